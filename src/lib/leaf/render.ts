import type {Style} from '../output/style.js'
import {renderTable} from '../output/table.js'
import type {PushResult, RollbackResult, VerifyResult} from './engine.js'
import type {LeafDiffResult} from './service.js'

/** Human renderings of the leaf commands' results. */
export function colourDiff(lines: string[], s: Style): string[] {
  return lines.map(l =>
    l.startsWith('+++') || l.startsWith('---')
      ? s.bold(l)
      : l.startsWith('@@')
        ? s.cyan(l)
        : l.startsWith('+')
          ? s.green(l)
          : l.startsWith('-')
            ? s.red(l)
            : l,
  )
}

export function renderDiffs(results: LeafDiffResult[], s: Style): string {
  const out: string[] = []
  for (const r of results) {
    if (r.status === 'differs') out.push(...colourDiff(r.diff, s), '')
    else if (r.status === 'unreachable') out.push(`${s.yellow('unreachable')} ${r.leaf}: ${r.error?.message ?? ''}`, '')
    if (r.unmanaged?.length)
      out.push(`${r.leaf}: unmanaged (information; fabricctl leaves it alone):`, ...r.unmanaged.map(u => `  ${u}`), '')
  }
  const differ = results.filter(r => r.status === 'differs')
  const unreachable = results.filter(r => r.status === 'unreachable').length
  out.push(
    results.length === 1
      ? differ.length
        ? `${results[0]!.leaf}: ${differ[0]!.changes.length} change(s) between running and desired.`
        : unreachable
          ? ''
          : `${results[0]!.leaf}: running configuration matches the desired state.`
      : `${results.length} leaves: ${results.length - differ.length - unreachable} in sync, ${differ.length} differ (${differ.reduce((a, r) => a + r.changes.length, 0)} changes), ${unreachable} unreachable.`,
  )
  return out.filter((l, i, a) => !(l === '' && i === a.length - 1)).join('\n')
}

const STATUS_NOTE: Record<PushResult['status'], string> = {
  unchanged: 'already matches the desired state; nothing was pushed',
  applied: 'applied and verified; recorded as last-known-good',
  planned: 'dry run: nothing was changed',
  refused: 'refused by --max-changes; nothing was changed',
  failed: 'failed',
  unreachable: 'unreachable; nothing was changed',
}

export function renderPush(
  results: PushResult[],
  s: Style,
  opts: {dryRun: boolean; gate?: {totalChanges: number; refused: boolean; max: number | null} | null},
): string {
  const colour = (st: PushResult['status']) =>
    st === 'applied'
      ? s.green(st)
      : st === 'failed' || st === 'unreachable'
        ? s.red(st)
        : st === 'refused'
          ? s.yellow(st)
          : st
  const out: string[] = []
  if (opts.gate?.refused)
    out.push(
      s.yellow(
        `Refused: ${opts.gate.totalChanges} changes over ${results.length} leaves exceed --max-changes ${opts.gate.max}; nothing was changed. Review with \`fabricctl leaf diff --all\`, then raise --max-changes or add --force.`,
      ),
      '',
    )
  const detailed = results.length <= 20 || opts.dryRun ? results : results.filter(r => r.status !== 'unchanged')
  for (const r of detailed) {
    const head = `${s.bold(r.leaf)}: ${colour(r.status)} — ${r.status === 'failed' ? (r.error?.message ?? 'failed') : r.status === 'unreachable' ? `${r.error?.message ?? ''} (nothing was changed)` : r.status === 'refused' ? (r.error && r.error.code !== 'LEAF_TOO_MANY_CHANGES' ? r.error.message : `${r.changes.length} changes exceed --max-changes; nothing was changed`) : STATUS_NOTE[r.status]}`
    out.push(head)
    if (r.status === 'failed') {
      if (r.error?.step) out.push(`  failed at: ${r.error.step}`)
      out.push(
        `  rollback: ${r.rolledBackTo === null || r.rolledBackTo === undefined ? 'not needed (nothing had been applied)' : r.rolledBackTo === 'failed' ? s.red('FAILED — the leaf may be half-configured; run `fabricctl leaf verify` and `fabricctl leaf rollback`') : `leaf restored to its ${r.rolledBackTo} state`}`,
      )
      if (r.error?.hint) out.push(`  what to do: ${r.error.hint}`)
    }
    if (r.status !== 'unchanged' && r.summary.length)
      out.push(
        ...r.summary
          .slice(0, 50)
          .map(l => `  ${r.status === 'applied' || r.status === 'planned' ? '' : '(not applied) '}${l}`),
        ...(r.summary.length > 50 ? [`  … ${r.summary.length - 50} more`] : []),
      )
    if (r.status === 'refused' && r.error?.hint && r.error.code !== 'LEAF_TOO_MANY_CHANGES')
      out.push(`  what to do: ${r.error.hint}`)
    if (r.pending)
      out.push(
        s.yellow(
          `  commit-confirm: the leaf reverts to its pre-push state at ${r.pending.deadline} unless \`fabricctl leaf confirm ${r.leaf}\``,
        ),
      )
    if (opts.dryRun && r.plan.length) out.push('  on the leaf:', ...r.plan.map(l => `    ${l}`))
    for (const c of r.checks.filter(c => !c.ok)) out.push(`  ${c.severity}: ${c.name}: ${c.detail}`)
  }
  const count = (st: PushResult['status']) => results.filter(r => r.status === st).length
  if (results.length > 1) {
    out.push(
      '',
      renderTable(
        [
          ['applied', count('applied')],
          ['unchanged', count('unchanged')],
          ['planned', count('planned')],
          ['refused', count('refused')],
          ['failed', count('failed')],
          ['unreachable', count('unreachable')],
        ]
          .filter(([, n]) => (n as number) > 0)
          .map(([k, n]) => ({k, n})),
        [
          {header: 'status', get: r => r.k},
          {header: 'leaves', get: r => r.n, align: 'right'},
        ],
      ),
    )
  }
  return out.join('\n')
}

export function renderVerify(results: VerifyResult[], s: Style): string {
  const out: string[] = []
  for (const r of results) {
    const st =
      r.status === 'in-sync' ? s.green('in-sync') : r.status === 'differs' ? s.red('differs') : s.yellow('unreachable')
    if (results.length > 20 && r.status === 'in-sync') continue
    out.push(`${s.bold(r.leaf)}: ${st}${r.error ? ` — ${r.error.message}` : ''}`)
    for (const l of r.summary) out.push(`  ${l}`)
    for (const c of r.checks)
      if (!c.ok || results.length === 1) out.push(`  ${c.ok ? 'ok' : c.severity}: ${c.name}: ${c.detail}`)
  }
  if (results.length > 1) {
    const n = (st: VerifyResult['status']) => results.filter(r => r.status === st).length
    out.push(
      `${results.length} leaves: ${n('in-sync')} in sync, ${n('differs')} differ, ${n('unreachable')} unreachable.`,
    )
  }
  return out.join('\n')
}

export function renderRollback(r: RollbackResult, s: Style): string {
  const head: Record<RollbackResult['status'], string> = {
    restored: s.green(`restored to its ${r.to} state${r.takenAt ? ` (recorded ${r.takenAt})` : ''}`),
    unchanged: `already in its ${r.to} state${r.takenAt ? ` (recorded ${r.takenAt})` : ''}; nothing was changed`,
    planned: `dry run: would restore its ${r.to} state${r.takenAt ? ` (recorded ${r.takenAt})` : ''}; nothing was changed`,
    failed: s.red(`rollback failed: ${r.error?.message ?? ''}`),
    unreachable: s.yellow(`unreachable: ${r.error?.message ?? ''}`),
    'no-snapshot': s.yellow(r.error?.message ?? 'nothing recorded'),
  }
  return [
    `${s.bold(r.leaf)}: ${head[r.status]}`,
    ...r.summary.map(l => `  ${l}`),
    ...(r.error?.hint ? [`  what to do: ${r.error.hint}`] : []),
  ].join('\n')
}
