import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

import {BIN, ROOT} from './cli.js'

/**
 * Debian's `prometheus` package (prometheus + promtool) for the exporter tests. When it is missing
 * and we are root on Debian, it is installed with apt-get (announced on stderr); elsewhere the tests
 * skip with the reason — except under FABRICCTL_REQUIRE_LIVE=1, where a skip is a failure.
 */
export interface PromTools {
  prometheus: string
  promtool: string
}

const which = (cmd: string): string | null => {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], {encoding: 'utf8'})
  return r.status === 0 ? r.stdout.trim() : null
}

function isDebian(): boolean {
  try {
    return /^ID=debian$/m.test(fs.readFileSync('/etc/os-release', 'utf8'))
  } catch {
    return false
  }
}

/** The tools, or the reason they are not available (throws instead under FABRICCTL_REQUIRE_LIVE=1). */
export function ensurePrometheus(): PromTools | {skip: string} {
  const found = () => {
    const prometheus = which('prometheus')
    const promtool = which('promtool')
    return prometheus && promtool ? {prometheus, promtool} : null
  }
  let tools = found()
  let reason: string | null = null
  if (!tools) {
    if (process.platform !== 'linux' || process.getuid?.() !== 0 || !isDebian()) {
      reason =
        "Debian's prometheus package (prometheus, promtool) is not installed, and installing it needs root on Debian"
    } else {
      process.stderr.write(
        "[exporter tests] installing Debian's prometheus package (prometheus, promtool) with apt-get …\n",
      )
      const env = {...process.env, DEBIAN_FRONTEND: 'noninteractive'}
      let r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'prometheus'], {
        encoding: 'utf8',
        env,
        timeout: 600_000,
      })
      if (r.status !== 0) {
        spawnSync('apt-get', ['update', '-qq'], {encoding: 'utf8', env, timeout: 300_000})
        r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'prometheus'], {
          encoding: 'utf8',
          env,
          timeout: 600_000,
        })
      }
      tools = found()
      if (!tools)
        reason = `apt-get install prometheus failed: ${(r.stderr || r.stdout || String(r.error)).trim().split('\n').slice(-3).join(' ')}`
    }
  }
  if (tools) return tools
  if (process.env.FABRICCTL_REQUIRE_LIVE === '1')
    throw new Error(`FABRICCTL_REQUIRE_LIVE=1 but the Prometheus tests cannot run: ${reason}`)
  return {skip: reason!}
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const {port} = s.address() as net.AddressInfo
      s.close(() => resolve(port))
    })
  })
}

/** Poll `fn` until it returns a value that is not undefined, at most `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  fn: () => Promise<T | undefined>,
  everyMs = 250,
): Promise<T> {
  const until = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await fn()
      if (v !== undefined) return v
    } catch (error) {
      last = error
    }
    if (Date.now() > until)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`,
      )
    await new Promise(r => setTimeout(r, everyMs))
  }
}

async function fetchText(url: string, timeoutMs = 5000): Promise<{status: number; text: string; type: string | null}> {
  const r = await fetch(url, {signal: AbortSignal.timeout(timeoutMs)})
  return {status: r.status, text: await r.text(), type: r.headers.get('content-type')}
}
export {fetchText}

/** A process started by the tests, stopped by its PID. */
export interface Proc {
  pid: number
  child: ChildProcess
  stderr: () => string
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (null: killed by a signal). */
  stop(graceMs?: number): Promise<number | null>
}

function track(child: ChildProcess): Proc {
  let err = ''
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (d: string) => {
    err += d
  })
  child.stdout?.resume()
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
  return {
    pid: child.pid!,
    child,
    stderr: () => err,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
      try {
        process.kill(child.pid!, 'SIGTERM')
      } catch {
        /* gone */
      }
      const t = setTimeout(() => {
        try {
          process.kill(child.pid!, 'SIGKILL')
        } catch {
          /* gone */
        }
      }, graceMs)
      const code = await exited
      clearTimeout(t)
      return code
    },
  }
}

/** Start `fabricctl exporter` on a kernel-chosen loopback port; resolves once it listens. */
export async function startExporter(env: Record<string, string>, args: string[] = []): Promise<Proc & {url: string}> {
  const child = spawn(process.execPath, [BIN, 'exporter', '--listen', '127.0.0.1:0', ...args], {
    cwd: ROOT,
    env: {...process.env, ...env},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const p = track(child)
  try {
    const port = await waitFor(
      'the exporter to listen',
      60_000,
      async () => {
        if (child.exitCode !== null) throw new Error(`the exporter exited (${child.exitCode}): ${p.stderr()}`)
        return /serving http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(p.stderr())?.[1]
      },
      100,
    )
    return {...p, url: `http://127.0.0.1:${port}`}
  } catch (error) {
    await p.stop(2000)
    throw error
  }
}

export interface PromServer extends Proc {
  url: string
  dir: string
  query(expr: string): Promise<{metric: Record<string, string>; value: [number, string]}[]>
}

/** A real Prometheus on a free loopback port with its own temporary storage, scraping `targets` every second. */
export async function startPrometheus(tools: PromTools, targets: string[], job = 'fabricctl'): Promise<PromServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabricctl-prom-'))
  const port = await freePort()
  fs.writeFileSync(
    path.join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      `  - job_name: ${job}`,
      '    static_configs:',
      `      - targets: [${targets.map(t => `'${t}'`).join(', ')}]`,
      '',
    ].join('\n'),
  )
  const child = spawn(
    tools.prometheus,
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
      '--storage.tsdb.retention.time=1h',
    ],
    {cwd: dir, stdio: ['ignore', 'pipe', 'pipe']},
  )
  const p = track(child)
  const url = `http://127.0.0.1:${port}`
  const server: PromServer = {
    ...p,
    url,
    dir,
    async query(expr) {
      const r = await fetchText(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`)
      const body = JSON.parse(r.text) as {
        status: string
        error?: string
        data: {result: {metric: Record<string, string>; value: [number, string]}[]}
      }
      if (body.status !== 'success') throw new Error(`query ${expr}: ${body.error}`)
      return body.data.result
    },
    async stop(graceMs) {
      const code = await p.stop(graceMs)
      fs.rmSync(dir, {recursive: true, force: true})
      return code
    },
  }
  try {
    await waitFor('Prometheus to be ready', 60_000, async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}): ${p.stderr()}`)
      return (await fetchText(`${url}/-/ready`, 2000)).status === 200 ? true : undefined
    })
    return server
  } catch (error) {
    await server.stop(2000)
    throw error
  }
}

/** `promtool check metrics` on an exposition: exit code and what it said. */
export function promtoolCheck(tools: PromTools, text: string): {status: number | null; output: string} {
  const r = spawnSync(tools.promtool, ['check', 'metrics'], {input: text, encoding: 'utf8', timeout: 30_000})
  return {status: r.status, output: `${r.stdout}${r.stderr}`.trim()}
}
