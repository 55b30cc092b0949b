import type {SshSession} from '../../live/ssh.js'
import type {ProbeResult, Runner} from '../collect.js'

/** Channels the per-probe fallback opens at once on a host's connection (OpenSSH's MaxSessions defaults to 10). */
export const CHANNELS_PER_HOST = 4
const NO_TMP = 90

/**
 * The probes as one shell script: each runs in the background with its stdout, stderr and exit
 * code in a private temporary directory; then one line per probe, "INDEX RC BASE64(stdout)
 * BASE64(stderr)". One exec channel per host instead of one per probe: a channel costs a shell
 * start on the host and a round trip, and that dominates an audit over SSH.
 */
export function batchScript(commands: string[]): string {
  const lines = [
    `d=$(mktemp -d "\${TMPDIR:-/tmp}/fabricctl-audit.XXXXXX" 2>/dev/null) || exit ${NO_TMP}`,
    `trap 'rm -rf "$d"' EXIT`,
    ...commands.map((c, i) => `{ (${c}) >"$d/${i}.o" 2>"$d/${i}.e" </dev/null; echo $? >"$d/${i}.r"; } &`),
    'wait',
    `for i in ${commands.map((_, i) => i).join(' ')}; do printf '%s %s %s %s\\n' "$i" "$(cat "$d/$i.r" 2>/dev/null || echo 255)" "$(base64 -w0 <"$d/$i.o" 2>/dev/null)" "$(base64 -w0 <"$d/$i.e" 2>/dev/null)"; done`,
  ]
  return lines.join('\n')
}

export function parseBatchOutput(text: string, ids: string[]): Map<string, ProbeResult> {
  const out = new Map<string, ProbeResult>()
  for (const line of text.split('\n')) {
    const m = /^(\d+) (\d+) (\S*) ?(\S*)$/.exec(line)
    if (!m) continue
    const id = ids[Number(m[1])]
    if (id === undefined) continue
    const raw = Buffer.from(m[3]!, 'base64')
    out.set(id, {
      stdout: raw.toString('utf8'),
      stderr: Buffer.from(m[4]!, 'base64').toString('utf8'),
      code: Number(m[2]),
      raw,
    })
  }
  return out
}

/** A host over its one SSH connection: all probes in one exec (one channel); per-probe channels when the host has no usable mktemp/base64. */
export function sshRunner(session: SshSession): Runner {
  return {
    async batch(commands) {
      const ids = Object.keys(commands)
      const r = await session.exec(batchScript(ids.map(id => commands[id]!)))
      const parsed = r.code === 0 ? parseBatchOutput(r.stdout, ids) : new Map<string, ProbeResult>()
      if (parsed.size === ids.length) return parsed
      // Fallback: one channel per probe, a few at a time.
      const out = new Map<string, ProbeResult>()
      let next = 0
      const worker = async () => {
        while (next < ids.length) {
          const id = ids[next++]!
          const e = await session.exec(commands[id]!)
          out.set(id, {...e, raw: Buffer.from(e.stdout, 'utf8')})
        }
      }
      await Promise.all(Array.from({length: CHANNELS_PER_HOST}, worker))
      return out
    },
  }
}
