import {renderTable} from '../output/table.js'
import type {Style} from '../output/style.js'
import type {LeafCapacity, TableUse} from './index.js'

function cell(t: TableUse | undefined): string {
  if (!t) return '-'
  return t.limit === null ? `${t.used} / unknown` : `${t.used} / ${t.limit} (${t.percent}%)`
}

/** One row per leaf; "unknown" limits carry their reason below the table. */
export function renderCapacity(rows: readonly LeafCapacity[], style: Style): string {
  const colour = (s: LeafCapacity['status']) =>
    s === 'full' ? style.red(s) : s === 'warn' ? style.yellow(s) : s === 'ok' ? style.green(s) : style.dim(s)
  const anyModel = rows.some(r => r.model.name !== null)
  const table = renderTable(rows, [
    {header: 'leaf', get: r => r.leaf},
    ...(anyModel ? [{header: 'model', get: (r: LeafCapacity) => r.model.name ?? 'unknown'}] : []),
    {header: 'class', get: r => r.class ?? 'unknown'},
    {header: 'macs', get: r => cell(r.tables.find(t => t.table === 'macs'))},
    {header: 'arp/nd+routes', get: r => cell(r.tables.find(t => t.table === 'hostTable'))},
    {header: 'vnis', get: r => cell(r.tables.find(t => t.table === 'vnis'))},
    {header: 'vrfs', get: r => cell(r.tables.find(t => t.table === 'vrfs'))},
    {header: 'status', get: r => colour(r.status)},
  ])
  const reasons = [...new Set(rows.flatMap(r => (r.reason ? [r.reason] : [])))]
  const unplaced = new Map(rows.flatMap(r => r.placementUnknown.map(u => [u.host, u.reason] as const)))
  const placement =
    unplaced.size === 0
      ? []
      : [
          `bond placement unknown on ${unplaced.size} host(s), their ports counted local on each of their leaves (host routes may be undercounted):`,
          ...[...unplaced].slice(0, 5).map(([h, why]) => `  ${h}: ${why}`),
          ...(unplaced.size > 5 ? [`  … and ${unplaced.size - 5} more (--json lists them)`] : []),
        ]
  return [table, ...reasons.map(r => `limits unknown: ${r}`), ...placement].join('\n')
}
