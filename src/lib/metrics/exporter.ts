import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import {Worker} from 'node:worker_threads'

import {FabricError, usageError} from '../cli/errors.js'
import {EXIT} from '../cli/exit-codes.js'
import type {ContextConfig} from '../context/schema.js'
import {failedSnapshot, PARTS, type GatherOptions, type Part, type Snapshot} from './gather.js'

// The gather thread's module: beside this file in dist/; in the bundle (scripts/bundle.mjs) an entry of its own,
// bundle/metrics-worker.js, beside bundle/fabricctl.cjs where this code sits.
const GATHER_WORKER =
  [new URL('worker.js', import.meta.url), new URL('metrics-worker.js', import.meta.url)].find(u => fs.existsSync(u)) ??
  new URL('worker.js', import.meta.url)

/**
 * `fabricctl exporter`: an HTTP server exposing the fabric's series (series.ts) for Prometheus.
 * One gather per interval runs in a worker thread, bounded by a timeout (the worker is terminated
 * when it overruns); its snapshot is applied to the registry and every scrape is served from it,
 * so a scrape never triggers work on the fabric. A failed gather drops its series (stale) and sets
 * fabricctl_gather_success 0; the exporter itself keeps running. SIGTERM/SIGINT stop it cleanly.
 */

export interface Listen {
  host: string
  port: number
}

/** `HOST:PORT`, `[V6]:PORT` or `:PORT` (loopback). PORT 0 asks the kernel for a free port. */
export function parseListen(raw: string): Listen {
  const bad = (why: string) =>
    usageError(
      'LISTEN_INVALID',
      `--listen "${raw}" is not a listen address: ${why}.`,
      raw,
      'Give HOST:PORT with an IP address (or localhost) and a port 0-65535, e.g. 127.0.0.1:9469 or [::1]:9469.',
    )
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(raw.trim())
  if (!m) throw bad('expected HOST:PORT')
  const host = m[1] ?? (m[2] || '127.0.0.1')
  const port = Number(m[3])
  if (port > 65_535) throw bad(`port ${port} is out of range`)
  if (host !== 'localhost' && net.isIP(host) === 0) throw bad(`"${host}" is not an IP address`)
  if (m[1] !== undefined && net.isIP(host) !== 6) throw bad(`"[${host}]" is not an IPv6 address`)
  return {host, port}
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true
  if (net.isIPv4(host)) return host.startsWith('127.')
  return /^::ffff:127\./i.test(host)
}

/** `30s`, `1m`, `500ms`, `1h`, or bare seconds (`30`): the one duration parser (src/lib/cli/duration.ts). */
export {parseDuration} from '../cli/duration.js'

export function parseParts(raw: string | undefined): Part[] {
  if (!raw) return [...PARTS]
  const wanted = raw
    .split(',')
    .map(s => s.trim())
    .filter(Boolean)
  const bad = wanted.filter(p => !(PARTS as readonly string[]).includes(p))
  if (bad.length > 0 || wanted.length === 0)
    throw usageError(
      'GATHER_PART_UNKNOWN',
      `Unknown gather part "${bad.join(',') || raw}".`,
      raw,
      `Use a comma-separated list of: ${PARTS.join(', ')}.`,
    )
  return PARTS.filter(p => wanted.includes(p))
}

export interface ExporterOptions {
  context: ContextConfig
  listen: Listen
  intervalMs: number
  timeoutMs: number
  gather: GatherOptions
  log: (line: string) => void
  /** Called once listening, with the bound address (the real port when 0 was asked). */
  onListening?: (addr: Listen) => void
}

const fmtS = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`

export async function runExporter(opts: ExporterOptions): Promise<void> {
  const {loadProm, FabricSeries} = await import('./series.js')
  const prom = await loadProm()
  const registry = new prom.Registry()
  const series = new FabricSeries(prom, registry, opts.gather.parts)
  const gathers = new prom.Counter({
    name: 'fabricctl_exporter_gathers_total',
    help: 'Gathers by result (ok, failed: at least one part failed, timeout, error: the gather thread failed).',
    labelNames: ['result'],
    registers: [registry],
  })
  for (const result of ['ok', 'failed', 'timeout', 'error']) gathers.inc({result}, 0)
  const backend = opts.context.backend

  // The cached exposition: rebuilt once per gather, served as-is to every scrape.
  let cached = await registry.metrics()
  const rebuild = async () => {
    cached = await registry.metrics()
  }

  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, {allow: 'GET, HEAD', 'content-type': 'text/plain'}).end('Method not allowed\n')
    } else if (url === '/metrics') {
      res.writeHead(200, {'content-type': registry.contentType}).end(req.method === 'HEAD' ? undefined : cached)
    } else if (url === '/') {
      res
        .writeHead(200, {'content-type': 'text/html; charset=utf-8'})
        .end(
          '<html><head><title>fabricctl exporter</title></head><body><h1>fabricctl exporter</h1><p><a href="/metrics">/metrics</a></p></body></html>\n',
        )
    } else {
      res.writeHead(404, {'content-type': 'text/plain'}).end('Not found: try /metrics\n')
    }
  })
  server.keepAliveTimeout = 5000
  server.headersTimeout = 10_000
  server.requestTimeout = 10_000

  const bound = await new Promise<Listen>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new FabricError({
          code: 'LISTEN_FAILED',
          message: `Cannot listen on ${opts.listen.host}:${opts.listen.port}: ${error.code === 'EADDRINUSE' ? 'the port is in use' : error.code === 'EADDRNOTAVAIL' ? 'the address is not on this machine' : error.message}.`,
          value: `${opts.listen.host}:${opts.listen.port}`,
          hint: 'Choose another --listen address or port (another exporter may already run there).',
          exitCode: EXIT.USAGE,
        }),
      ),
    )
    server.listen({host: opts.listen.host, port: opts.listen.port}, () => {
      const a = server.address() as net.AddressInfo
      resolve({host: a.address, port: a.port})
    })
  })
  const shown = bound.host.includes(':') ? `[${bound.host}]` : bound.host
  opts.log(
    `fabricctl exporter: serving http://${shown}:${bound.port}/metrics (context ${opts.context.name}, ${backend}; gather ${opts.gather.parts.join(',')} every ${fmtS(opts.intervalMs)}, at most ${fmtS(opts.timeoutMs)} each)`,
  )
  opts.onListening?.(bound)

  // The gather thread: created on demand, terminated when a gather overruns or on stop.
  let worker: Worker | null = null
  let ready: Promise<boolean> = Promise.resolve(false)
  let seq = 0
  const spawn = () => {
    const w = new Worker(GATHER_WORKER, {workerData: {context: opts.context, options: opts.gather}})
    w.unref()
    w.on('error', error => opts.log(`gather thread error: ${error.message}`))
    // Module loading is not part of a gather's budget, but it is bounded too.
    ready = new Promise(resolve => {
      const t = setTimeout(() => resolve(false), Math.max(60_000, opts.timeoutMs))
      w.once('message', () => {
        clearTimeout(t)
        resolve(true)
      })
      w.once('exit', () => {
        clearTimeout(t)
        resolve(false)
      })
    })
    return w
  }
  const runGather = async (): Promise<{snapshot: Snapshot; result: 'ok' | 'failed' | 'timeout' | 'error'}> => {
    const w = (worker ??= spawn())
    if (!(await ready)) {
      if (worker === w) worker = null
      await w.terminate()
      return {
        snapshot: failedSnapshot(opts.context.name, backend, opts.gather.parts, 0, 'the gather thread did not start'),
        result: 'error',
      }
    }
    return gatherOn(w)
  }
  const gatherOn = (w: Worker): Promise<{snapshot: Snapshot; result: 'ok' | 'failed' | 'timeout' | 'error'}> =>
    new Promise(resolve => {
      const t0 = performance.now()
      const id = ++seq
      let done = false
      const finish = (snapshot: Snapshot, result: 'ok' | 'failed' | 'timeout' | 'error') => {
        if (done) return
        done = true
        clearTimeout(timer)
        w.off('message', onMessage)
        w.off('exit', onExit)
        resolve({snapshot, result})
      }
      const fail = (result: 'timeout' | 'error', why: string) =>
        finish(failedSnapshot(opts.context.name, backend, opts.gather.parts, performance.now() - t0, why), result)
      const onMessage = (m: {id: number; snapshot?: Snapshot; error?: string}) => {
        if (m.id !== id) return
        if (m.snapshot) finish(m.snapshot, opts.gather.parts.every(p => m.snapshot![p]?.ok) ? 'ok' : 'failed')
        else fail('error', m.error ?? 'the gather failed')
      }
      const onExit = (code: number) => {
        if (worker === w) worker = null
        fail('error', `the gather thread exited (code ${code})`)
      }
      const timer = setTimeout(() => {
        if (worker === w) worker = null
        void w.terminate()
        fail('timeout', `the gather took longer than ${fmtS(opts.timeoutMs)} (--timeout)`)
      }, opts.timeoutMs)
      w.on('message', onMessage)
      w.on('exit', onExit)
      w.postMessage({id})
    })

  let stopping = false
  let timer: NodeJS.Timeout | undefined
  let wake: (() => void) | undefined
  const loop = async () => {
    let n = 0
    while (!stopping) {
      const t0 = performance.now()
      const {snapshot, result} = await runGather()
      if (stopping) break
      series.apply(snapshot)
      gathers.inc({result})
      await rebuild()
      n++
      const parts = opts.gather.parts
        .map(p => `${p} ${snapshot[p]?.ok ? 'ok' : 'FAILED'} ${fmtS(snapshot[p]?.durationMs ?? 0)}`)
        .join(', ')
      if (result !== 'ok' || n === 1) {
        const errs = opts.gather.parts
          .filter(p => snapshot[p] && !snapshot[p]!.ok)
          .map(p => `${p}: ${snapshot[p]!.error}`)
        opts.log(`gather #${n} ${result}: ${parts}${errs.length ? ` — ${[...new Set(errs)].join('; ')}` : ''}`)
      }
      const wait = Math.max(0, opts.intervalMs - (performance.now() - t0))
      await new Promise<void>(resolve => {
        wake = resolve
        timer = setTimeout(resolve, wait)
      })
    }
  }

  await new Promise<void>(resolve => {
    const stop = (signal: string) => {
      if (stopping) return
      stopping = true
      opts.log(`fabricctl exporter: ${signal}, stopping`)
      clearTimeout(timer)
      wake?.()
      const w = worker
      worker = null
      void Promise.resolve(w?.terminate()).finally(() => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    }
    process.once('SIGTERM', () => stop('SIGTERM'))
    process.once('SIGINT', () => stop('SIGINT'))
    loop().catch(error => {
      opts.log(`fabricctl exporter: gather loop failed: ${(error as Error).message}`)
      stop('error')
    })
  })
}
