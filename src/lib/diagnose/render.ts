import {safeDeep} from '../output/safe.js'
import {renderTable} from '../output/table.js'
import type {Style} from '../output/style.js'
import type {DiagnoseAllResult} from './index.js'
import type {Diagnosis, StepStatus} from './types.js'

const MARK: Record<StepStatus, string> = {passed: 'ok', failed: 'FAIL', warning: 'warn', skipped: 'skip'}

export function renderDiagnosis(diagnosis: Diagnosis, s: Style): string {
  const d = safeDeep(diagnosis) // names in a visible, escaped form (output/safe.ts)
  const out: string[] = []
  const p = d.port
  out.push(
    p
      ? `Port ${p.name} (${p.id})  ${p.network} ${p.ip} ${p.mac}  host ${p.host ?? '-'}${p.az ? `  az ${p.az}` : ''}`
      : `Port "${d.ref}"`,
  )
  if (d.recorded) out.push(`Recorded ${d.recorded.state}; evidence ${d.evidence.state}`)
  out.push('')
  const colour = (st: StepStatus, t: string) =>
    st === 'failed' ? s.red(t) : st === 'warning' ? s.yellow(t) : st === 'skipped' ? s.dim(t) : s.green(t)
  const idW = Math.max(...d.steps.map(x => x.id.length))
  for (const st of d.steps) {
    out.push(
      `${String(st.n).padStart(2)}  ${colour(st.status, MARK[st.status].padEnd(4))}  ${st.id.padEnd(idW)}  ${st.status === 'skipped' ? s.dim(`skipped: ${st.detail}`) : st.detail}${st.cause ? s.dim(` [${st.cause}]`) : ''}`,
    )
  }
  out.push('')
  const v = d.verdict
  if (v.ok) out.push(`${s.bold('Verdict:')} ${s.green('ACTIVE_ACTIVE')} — ${v.message}`)
  else {
    const failed = d.steps.find(x => x.id === v.step)
    out.push(
      `${s.bold('Verdict:')} ${s.red(v.state === 'UNKNOWN' ? 'UNKNOWN (evidence could not be read)' : 'NOT ACTIVE')} — ${s.bold(v.cause ?? '')} at step ${failed?.n} ${v.step}`,
    )
    out.push(`  ${v.message}`)
  }
  if (d.disagreement) out.push(`${s.yellow('Record disagrees:')} ${d.disagreement.message}`)
  if (v.repair.length) out.push(`${s.bold('Repair:')}`, ...v.repair.map(r => `  ${r}`))
  else if (!v.ok) out.push(`${s.bold('Repair:')} no fabricctl command repairs this; see the step above.`)
  for (const w of d.warnings)
    out.push(
      `${s.yellow('Warning:')} ${w.cause} (${w.step}): ${w.message}${w.repair.length ? `\n  ${w.repair.join('\n  ')}` : ''}`,
    )
  return out.join('\n')
}

export function renderReport(report: DiagnoseAllResult, scope: {az?: string; state?: string}, s: Style): string {
  const r = safeDeep(report) // names in a visible, escaped form (output/safe.ts)
  const out: string[] = []
  const where = [scope.az && `az ${scope.az}`, scope.state && `state ${scope.state}`].filter(Boolean).join(', ')
  out.push(
    `Diagnosed ${r.total} port${r.total === 1 ? '' : 's'}${where ? ` (${where})` : ''} in ${r.elapsedMs} ms: ${s.green(`${r.active} ACTIVE_ACTIVE`)}, ${r.notActive ? s.red(`${r.notActive} not active`) : '0 not active'}, ${r.unknown ? s.yellow(`${r.unknown} unknown`) : '0 unknown'}.`,
  )
  if (r.staleRecords)
    out.push(s.yellow(`${r.staleRecords} of them are recorded ACTIVE_ACTIVE but the evidence says otherwise.`))
  const sample = (ports: string[]) =>
    `${ports.slice(0, 3).join(', ')}${ports.length > 3 ? ` +${ports.length - 3}` : ''}`
  const recorded = (rec: Record<string, number>) =>
    Object.entries(rec)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k}:${v}`)
      .join(' ')
  if (r.groups.length) {
    out.push(
      '',
      renderTable(r.groups, [
        {header: 'cause', get: g => g.cause},
        {header: 'step', get: g => g.step},
        {header: 'ports', get: g => g.count, align: 'right'},
        {header: 'recorded', get: g => recorded(g.recorded)},
        {header: 'examples', get: g => sample(g.ports)},
        {
          header: 'repair',
          get: g =>
            g.repair.length ? `${g.repair[0]}${g.repair.length > 1 ? ` (+${g.repair.length - 1})` : ''}` : '-',
        },
      ]),
    )
  }
  if (r.warnings.length) {
    out.push(
      '',
      'Warnings (these ports still pass traffic):',
      renderTable(r.warnings, [
        {header: 'cause', get: g => g.cause},
        {header: 'ports', get: g => g.count, align: 'right'},
        {header: 'examples', get: g => sample(g.ports)},
        {
          header: 'repair',
          get: g =>
            g.repair.length ? `${g.repair[0]}${g.repair.length > 1 ? ` (+${g.repair.length - 1})` : ''}` : '-',
        },
      ]),
    )
  }
  if (r.groups.length) out.push('', s.dim('Diagnose one port for the evidence: fabricctl port diagnose PORT'))
  return out.join('\n')
}
