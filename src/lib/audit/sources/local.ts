import type {ProbeResult, Runner} from '../collect.js'

/** This machine: every probe through execa (sh -c), concurrently, stdout kept as bytes. */
export async function localRunner(timeoutMs: number): Promise<Runner> {
  const {execa} = await import('execa')
  const run = async (command: string): Promise<ProbeResult> => {
    const r = await execa('sh', ['-c', command], {
      reject: false,
      timeout: timeoutMs,
      stdin: 'ignore',
      encoding: 'buffer',
      env: {LC_ALL: 'C'},
      extendEnv: true,
    })
    if (r.timedOut) throw new Error(`"${command.slice(0, 80)}" did not finish within ${timeoutMs} ms`)
    const raw = Buffer.from(r.stdout as Uint8Array)
    return {
      stdout: raw.toString('utf8'),
      stderr: Buffer.from(r.stderr as Uint8Array).toString('utf8'),
      code: r.exitCode ?? null,
      raw,
    }
  }
  return {
    async batch(commands) {
      const out = new Map<string, ProbeResult>()
      await Promise.all(
        Object.entries(commands).map(async ([id, cmd]) => {
          try {
            out.set(id, await run(cmd))
          } catch {
            // missing from the map: reported as a probe that did not run
          }
        }),
      )
      return out
    },
  }
}
