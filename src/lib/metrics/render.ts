import {CAUSES, type CauseCode} from '../diagnose/catalogue.js'
import {renderTable} from '../output/table.js'
import type {Style} from '../output/style.js'
import type {VerifiedStatesResult} from './verified.js'

/** `port states --verify`: recorded states beside verified ones per group, then broken ports by cause. */
export function renderVerified(r: VerifiedStatesResult, opts: {top?: number}, style: Style): string {
  const rows = opts.top ? r.groups.slice(0, opts.top) : r.groups
  const warn = (v: number) => (v === 0 ? '0' : style.red(String(v)))
  type Row = VerifiedStatesResult['groups'][number]
  const all: Row = {key: 'all', total: r.total, unhealthy: r.unhealthy, states: r.totals, verified: r.verified}
  const table = renderTable<Row>(
    [...rows, all],
    [
      {header: r.by, get: g => g.key},
      {header: 'total', get: g => g.total, align: 'right'},
      ...r.states.map(s => ({header: s, get: (g: Row) => g.states[s] ?? '-', align: 'right' as const})),
      {header: 'verified ok', get: g => g.verified.ACTIVE_ACTIVE, align: 'right'},
      {header: 'not active', get: g => warn(g.verified.NOT_ACTIVE), align: 'right'},
      {
        header: 'unknown',
        get: g => (g.verified.UNKNOWN ? style.yellow(String(g.verified.UNKNOWN)) : '0'),
        align: 'right',
      },
      {header: 'rec. ACTIVE_ACTIVE but broken', get: g => warn(g.verified.activeButBroken), align: 'right'},
    ],
    {empty: 'No ports.'},
  )
  const causes = Object.entries(r.verified.causes)
  const causeTable =
    causes.length === 0
      ? style.green("No broken ports: every port's evidence shows ACTIVE_ACTIVE.")
      : renderTable(causes, [
          {header: 'cause', get: ([c]) => c},
          {header: 'ports', get: ([, n]) => n, align: 'right'},
          {header: 'step', get: ([c]) => CAUSES[c as CauseCode]?.step ?? '-'},
          {header: 'meaning', get: ([c]) => CAUSES[c as CauseCode]?.text ?? '-'},
        ])
  return [
    table,
    ...(rows.length < r.groups.length ? [`(${r.groups.length - rows.length} more groups; drop --top to see all)`] : []),
    '',
    `Broken ports by cause (${r.verified.NOT_ACTIVE + r.verified.UNKNOWN} of ${r.total}; diagnosed in ${(r.verified.elapsedMs / 1000).toFixed(1)} s):`,
    causeTable,
    ...(causes.length ? [style.dim('Details and repairs: fabricctl port diagnose --all')] : []),
    ...(r.note ? [style.dim(r.note)] : []),
  ].join('\n')
}
