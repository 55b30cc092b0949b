// Issue 18: metrics at the seed scale (43,600 ports): `port states --verify`, `--output prometheus`,
// and the exporter's gather (per part) and scrape (served from the cached gather).
import {spawn} from 'node:child_process'

import {BIN} from './lib.mjs'

export const name = 'exporter'

const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

export async function run(ctx) {
  const topo = ctx.cli(['topology', 'show', '--json'])
  if (topo.status !== 0 || JSON.parse(topo.stdout).fabric?.profile !== 'seed') {
    const r = ctx.cli(['sim', 'init', '--profile', 'seed', '--force', '--json'])
    if (r.status !== 0) throw new Error(`sim init failed: ${r.stderr}`)
  }
  const plain = ctx.cli(['port', 'states', '--json'])
  const verify = ctx.cli(['port', 'states', '--verify', '--json'])
  if (verify.status !== 0)
    throw new Error(`port states --verify exited ${verify.status}: ${verify.stderr.slice(0, 300)}`)
  const v = JSON.parse(verify.stdout)
  const text = ctx.cli(['port', 'states', '--verify', '--output', 'prometheus'])
  const samples = text.stdout.split('\n').filter(l => l && !l.startsWith('#')).length

  // The exporter: one gather of every part, then 20 scrapes of the cached exposition.
  const child = spawn(
    process.execPath,
    [BIN, 'exporter', '--listen', '127.0.0.1:0', '--interval', '10m', '--timeout', '5m'],
    {env: ctx.env, stdio: ['ignore', 'ignore', 'pipe']},
  )
  let err = ''
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', d => {
    err += d
  })
  try {
    const until = Date.now() + 600_000
    let url
    let body = ''
    while (Date.now() < until) {
      url ??= /serving (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(err)?.[1]
      if (url) {
        body = await (await fetch(`${url}/metrics`, {signal: AbortSignal.timeout(10_000)})).text()
        if (/fabricctl_exporter_gathers_total\{result="(ok|failed|timeout|error)"\} [1-9]/.test(body)) break
      }
      if (child.exitCode !== null) throw new Error(`exporter exited: ${err}`)
      await new Promise(r => setTimeout(r, 250))
    }
    const part = p =>
      Number(
        new RegExp(`^fabricctl_gather_duration_seconds\\{part="${p}"\\} (\\S+)$`, 'm').exec(body)?.[1] ?? Number.NaN,
      ) * 1000
    const ok = p => new RegExp(`^fabricctl_gather_success\\{part="${p}"\\} 1$`, 'm').test(body)
    const scrapes = []
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now()
      await (await fetch(`${url}/metrics`, {signal: AbortSignal.timeout(10_000)})).text()
      scrapes.push(performance.now() - t0)
    }
    const parts = ['ports', 'verify', 'audit', 'leaves']
    const failed = parts.filter(p => !ok(p))
    return [
      {
        group: 'exporter',
        metric: `port states --verify (${v.total} ports diagnosed)`,
        value: verify.ms,
        unit: 'ms',
        peer: {name: 'port states', value: plain.ms},
        note: `in-process ${v.verified.elapsedMs} ms`,
      },
      {
        group: 'exporter',
        metric: 'port states --verify --output prometheus',
        value: text.ms,
        unit: 'ms',
        note: `${samples} samples, ${text.stdout.length} bytes`,
      },
      ...parts.map(p => ({
        group: 'exporter',
        metric: `exporter gather: ${p}`,
        value: Math.round(part(p)),
        unit: 'ms',
        ...(ok(p) ? {} : {note: 'FAILED'}),
      })),
      {
        group: 'exporter',
        metric: 'exporter scrape of the cached gather (median of 20)',
        value: Math.round(median(scrapes) * 10) / 10,
        unit: 'ms',
        note: `${body.split('\n').filter(l => l && !l.startsWith('#')).length} samples, ${body.length} bytes${failed.length ? `; failed: ${failed.join(',')}` : ''}`,
      },
    ]
  } finally {
    child.kill('SIGTERM')
    await new Promise(r => (child.exitCode === null ? child.once('exit', r) : r()))
  }
}
