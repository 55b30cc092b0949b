#!/usr/bin/env node
// npm run bench: runs every bench/*.bench.mjs (or those named on the command line), prints a table
// and writes bench/results/latest.json. Each module exports `name` and `async run(ctx)` returning rows:
// {group, metric, value, unit, peer?: {name, value}, note?}; a row with a peer also gets ratio = value / peer.value.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {benchContext} from './lib.mjs'

const dir = path.dirname(fileURLToPath(import.meta.url))
const only = process.argv.slice(2).filter(a => !a.startsWith('-'))
const files = fs
  .readdirSync(dir)
  .filter(f => f.endsWith('.bench.mjs'))
  .sort()
  .filter(f => only.length === 0 || only.some(o => f.includes(o)))

const rows = []
const ctx = benchContext()
try {
  for (const f of files) {
    const mod = await import(path.join(dir, f))
    // Opt-in groups (scale: minutes of generation) run only when named: `npm run bench -- scale`.
    if (mod.optIn && !only.some(o => f.includes(o))) continue
    process.stderr.write(`bench: ${mod.name ?? f} ...\n`)
    const started = Date.now()
    try {
      for (const r of await mod.run(ctx))
        rows.push({bench: mod.name ?? f, ...r, ...(r.peer ? {ratio: +(r.value / r.peer.value).toFixed(2)} : {})})
    } catch (error) {
      rows.push({
        bench: mod.name ?? f,
        group: 'error',
        metric: 'failed',
        value: null,
        unit: '',
        note: String(error?.message ?? error).slice(0, 200),
      })
    }
    process.stderr.write(`bench: ${mod.name ?? f} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
  }
} finally {
  ctx.cleanup()
}

const result = {
  kind: 'BenchReport',
  schemaVersion: 1,
  machine: {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    node: process.version,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
  },
  at: new Date().toISOString(),
  rows,
}
fs.mkdirSync(path.join(dir, 'results'), {recursive: true})
fs.writeFileSync(path.join(dir, 'results', 'latest.json'), `${JSON.stringify(result, null, 2)}\n`)
if (process.argv.includes('--json')) {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
} else {
  const fmt = v => (v === null || v === undefined ? '-' : typeof v === 'number' ? String(+v.toFixed(2)) : String(v))
  const table = rows.map(r => [
    r.bench,
    r.group,
    r.metric,
    fmt(r.value),
    r.unit ?? '',
    r.peer ? `${r.peer.name}=${fmt(r.peer.value)}` : '',
    r.ratio === undefined ? '' : `${r.ratio}x`,
    r.note ?? '',
  ])
  const head = ['BENCH', 'GROUP', 'METRIC', 'VALUE', 'UNIT', 'PEER', 'RATIO', 'NOTE']
  const widths = head.map((h, i) => Math.max(h.length, ...table.map(t => t[i].length)))
  for (const line of [head, ...table])
    process.stdout.write(
      `${line
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd()}\n`,
    )
  process.stdout.write(`\n(JSON: bench/results/latest.json)\n`)
}
