/** Global flags an SRE may put before the command, kubectl-style: `fabricctl --context lab host list`. */
const WITH_VALUE = ['--context']
const BOOLEAN = ['--json', '--debug', '--no-color']

/**
 * oclif only parses flags after the command id; move leading global flags behind the command's own
 * arguments (but before a `--` separator) so both spellings mean the same.
 */
export function hoistGlobalFlags(argv: readonly string[]): string[] {
  const lead: string[] = []
  let i = 0
  while (i < argv.length) {
    const a = argv[i]!
    if (BOOLEAN.includes(a) || WITH_VALUE.some(f => a.startsWith(`${f}=`))) {
      lead.push(a)
      i += 1
    } else if (WITH_VALUE.includes(a) && i + 1 < argv.length) {
      lead.push(a, argv[i + 1]!)
      i += 2
    } else break
  }
  if (lead.length === 0 || i === argv.length) return [...argv]
  const rest = argv.slice(i)
  const sep = rest.indexOf('--')
  return sep < 0 ? [...rest, ...lead] : [...rest.slice(0, sep), ...lead, ...rest.slice(sep)]
}
