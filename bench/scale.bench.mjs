// Issue 16: scale is shown, not assumed. `npm run bench -- scale` (opt-in: not in the default run; x5 takes
// minutes to generate). For the small, seed and x5 profiles it runs each command once and prints its CPU time
// (user + system) per item beyond the small profile's run (start-up excluded): ports for diagnose --all / port states / ipam check, leaves for leaf diff --all,
// hosts for audit hosts, the page size for port list, and one trace per run. A per-item cost at x5 more than
// 1.5x the seed's is flagged SUPER-LINEAR. The x5 audit also reports its peak RSS (goal <= 250 MB).
import fs from 'node:fs'
import path from 'node:path'

import {BIN, timed} from './lib.mjs'

export const name = 'scale'
export const optIn = true

const PROFILES = (process.env.BENCH_SCALE_PROFILES ?? 'small,seed,x5').split(',')

export async function run(ctx) {
  const {default: Database} = await import('better-sqlite3')
  const rows = []
  const cost = {}
  for (const profile of PROFILES) {
    const home = path.join(ctx.home, `scale-${profile}`)
    fs.mkdirSync(home, {recursive: true})
    const env = {...ctx.env, FABRICCTL_HOME: home, FABRICCTL_CONFIG: path.join(home, 'config.yaml')}
    const init = timed(process.execPath, [BIN, 'sim', 'init', '--profile', profile, '--force', '--json'], {
      env,
      timeoutMs: 1_800_000,
    })
    if (init.status !== 0) throw new Error(`sim init ${profile} failed: ${init.stderr.slice(0, 300)}`)
    const db = new Database(path.join(home, 'sim.db'), {readonly: true})
    const n = q => db.prepare(q).pluck().get()
    const counts = {
      ports: n('SELECT count(*) FROM ports'),
      hosts: n('SELECT count(*) FROM hosts'),
      leaves: n(`SELECT count(*) FROM switches WHERE role = 'leaf'`),
    }
    const [src, dst] = db
      .prepare(
        `SELECT p.name FROM ports p JOIN networks n ON n.name = p.network WHERE p.host IS NOT NULL AND n.az = 'az1' ORDER BY p.name LIMIT 2`,
      )
      .pluck()
      .all()
    db.close()
    rows.push({
      group: `scale ${profile}`,
      metric: `sim init --profile ${profile} (${counts.hosts} hosts, ${counts.ports} ports, ${counts.leaves} leaves)`,
      value: init.cpuMs,
      unit: 'ms CPU',
      note: `wall ${Math.round(init.ms)} ms`,
    })
    const page = Math.min(1000, counts.ports)
    const items = [
      ['port diagnose --all', ['port', 'diagnose', '--all', '--json'], counts.ports, 'port'],
      ['port states', ['port', 'states', '--json'], counts.ports, 'port'],
      ['ipam check', ['ipam', 'check', '--json'], counts.ports, 'port'],
      ['leaf diff --all', ['leaf', 'diff', '--all', '--json'], counts.leaves, 'leaf'],
      ['audit hosts', ['audit', 'hosts', '--json'], counts.hosts, 'host'],
      ['port list (one page)', ['port', 'list', '--limit', String(page), '--json'], page, 'port listed'],
      ['trace', ['trace', src, dst, '--json'], 1, 'trace'],
    ]
    for (const [label, args, count, unit] of items) {
      const r = timed(process.execPath, [BIN, ...args], {env, timeoutMs: 1_800_000})
      const bad = r.status !== 0 && r.status !== 1
      cost[label] ??= {}
      cost[label][profile] = {cpuMs: r.cpuMs, count}
      // Per item, start-up excluded: the marginal cost over the small profile's run of the same command.
      const small = cost[label].small
      const marginal =
        profile !== 'small' && small && count > small.count ? (r.cpuMs - small.cpuMs) / (count - small.count) : null
      cost[label][profile].marginal = marginal
      const seedM = cost[label].seed?.marginal
      const flag =
        profile === 'x5' && seedM && marginal !== null && marginal > 1.5 * seedM
          ? `SUPER-LINEAR (x5 ${(marginal / seedM).toFixed(2)}x seed per ${unit})`
          : profile === 'x5' && unit === 'trace' && cost[label].seed && r.cpuMs > 1.5 * cost[label].seed.cpuMs
            ? 'SUPER-LINEAR (one trace costs more on a larger fabric)'
            : ''
      const rss =
        label === 'audit hosts'
          ? `; peak RSS ${Math.round(r.rssMiB)} MiB${profile === 'x5' ? ' (goal <= 250)' : ''}`
          : ''
      const isTrace = unit === 'trace'
      rows.push({
        group: `scale ${profile}`,
        metric: isTrace ? `${label}: CPU of one trace` : `${label}: CPU per ${unit} beyond small (${count} ${unit}s)`,
        value: isTrace ? r.cpuMs : marginal === null ? null : +(marginal * 1000).toFixed(1),
        unit: isTrace ? 'ms' : 'µs',
        note: [
          `total ${Math.round(r.cpuMs)} ms CPU, ${Math.round(r.ms)} ms wall${rss}`,
          flag,
          bad ? `exit ${r.status}: ${r.stderr.trim().split('\n')[0]?.slice(0, 80)}` : '',
        ]
          .filter(Boolean)
          .join('; '),
      })
    }
    if (profile !== 'small') fs.rmSync(path.join(home, 'sim.db'), {force: true})
  }
  return rows
}
