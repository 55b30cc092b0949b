import {type Config, Errors, flush} from '@oclif/core'

import {makeStyle} from '../output/style.js'
import {renderErrorText, toFabricError} from './error-map.js'
import {FabricError} from './errors.js'
import {EXIT} from './exit-codes.js'
import {didYouMeanText, editDistance, suggest, tolerance} from './suggest.js'

const GLOBAL_FLAGS = ['--json', '--context', '--debug', '--no-color', '--help', '--version']

/**
 * The last word on an error that escaped oclif's `run` (bin/run.js): a command's own errors were
 * already printed by FabricCommand.catch and arrive here as an ExitError carrying the exit code;
 * anything else failed before a command ran (unknown command, a global flag without its value):
 * it is printed the fabricctl way — one JSON Error object on stdout with --json, a did-you-mean
 * for a mistyped command — and exits 2 (or the error's own code).
 */
export async function handleTopLevelError(err: unknown, argv: readonly string[], root: string): Promise<never> {
  const e = err as Error & {oclif?: {exit?: number}}
  if (e instanceof Errors.ExitError || (e?.oclif?.exit !== undefined && e.constructor?.name === 'ExitError')) {
    await flushOut()
    process.exit(e.oclif!.exit!)
  }
  const json = argv.includes('--json')
  let fe: FabricError
  const notFound = /^command (\S+) not found/.exec(e?.message ?? '')
  if (notFound) fe = await unknownCommand(notFound[1]!, argv, root)
  else fe = toFabricError(e instanceof Error ? e : new Error(String(err)), argv)
  if (json) process.stdout.write(`${JSON.stringify(fe.toJSON(), null, 2)}\n`)
  else
    process.stderr.write(renderErrorText(fe, makeStyle({noColor: argv.includes('--no-color'), stream: process.stderr})))
  if (argv.includes('--debug')) process.stderr.write(`${e?.stack ?? String(err)}\n`)
  await flushOut()
  process.exit(fe.exitCode)
}

async function flushOut(): Promise<void> {
  try {
    await flush()
  } catch {
    // nothing to flush
  }
  await new Promise<void>(resolve => process.stdout.write('', () => resolve()))
}

async function unknownCommand(id: string, argv: readonly string[], root: string): Promise<FabricError> {
  const words = argv.filter(a => !a.startsWith('-'))
  if (id.startsWith('-')) {
    // oclif took a leading flag for the command: a global flag without its value, or an unknown flag.
    const flag = id.split('=')[0]!
    if (flag === '--context') {
      return new FabricError({
        code: 'BAD_USAGE',
        message: '--context needs a value: the name of a context.',
        value: argv.join(' '),
        hint: 'Write `fabricctl --context NAME COMMAND …` or `fabricctl COMMAND … --context NAME`; list contexts with `fabricctl context list`.',
        exitCode: EXIT.USAGE,
      })
    }
    if (GLOBAL_FLAGS.includes(flag) && words.length === 0) {
      return new FabricError({
        code: 'COMMAND_MISSING',
        message: `${flag} needs a command to apply to; none was given.`,
        value: argv.join(' '),
        hint: 'Write e.g. `fabricctl host list --json`; list the commands with `fabricctl --help`.',
        exitCode: EXIT.USAGE,
      })
    }
    const near = suggest(flag, GLOBAL_FLAGS)
    return new FabricError({
      code: 'BAD_USAGE',
      message: `Unknown flag ${flag} before the command.${near.length > 0 ? ` ${didYouMeanText(near)}` : ''}`,
      value: flag,
      hint: "Global flags are --json, --context NAME, --debug and --no-color; a command's own flags go after it (see `fabricctl COMMAND --help`).",
      exitCode: EXIT.USAGE,
      details: {suggestions: near},
    })
  }
  let ids: string[] = []
  try {
    const {Config: ConfigClass} = await import('@oclif/core')
    const config: Config = await ConfigClass.load(root)
    ids = [...config.commandIDs, ...config.topics.map(t => t.name)].filter(i => !i.startsWith('autocomplete'))
  } catch {
    // no suggestions
  }
  const typed = words.join(' ')
  const suggestions = nearestCommands(
    words,
    ids.map(i => i.replaceAll(':', ' ')),
  )
  return new FabricError({
    code: 'COMMAND_NOT_FOUND',
    message: `Unknown command "${typed || id.replaceAll(':', ' ')}".${suggestions.length > 0 ? ` ${didYouMeanText(suggestions)}` : ''}`,
    value: typed || id,
    hint: "List the commands with `fabricctl --help`, a topic's with `fabricctl TOPIC --help`.",
    exitCode: EXIT.USAGE,
    details: {suggestions},
  })
}

/** Commands whose words are nearest the words typed (comparing as many words as the command has). */
export function nearestCommands(words: readonly string[], ids: readonly string[]): string[] {
  const scored: {id: string; d: number; extra: number; n: number}[] = []
  for (const id of new Set(ids)) {
    const n = id.split(' ').length
    if (words.length < n) continue
    const typed = words.slice(0, n).join(' ')
    const max = tolerance(typed)
    const d = editDistance(typed.toLowerCase(), id, max)
    if (d <= max) scored.push({id, d, extra: words.length - n, n})
  }
  // Nearest first, a word typed but left unmatched counting as 3 edits; ties: the longer command.
  const score = (x: {d: number; extra: number}) => x.d + 3 * x.extra
  scored.sort((a, b) => score(a) - score(b) || b.n - a.n)
  const best = scored[0]
  return best
    ? scored
        .filter(s => score(s) === score(best))
        .slice(0, 3)
        .map(s => s.id)
    : []
}
