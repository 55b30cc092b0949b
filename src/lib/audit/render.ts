import {renderTable} from '../output/table.js'
import type {Style} from '../output/style.js'
import type {AuditResult} from './run.js'
import {type Finding, type HostAudit, type Verdict, CHECK_IDS, SEVERITY_RANK, VERDICTS} from './types.js'

const SHOWN_WITHOUT_VERBOSE = 20

export function colourVerdict(v: Verdict | Finding['severity'] | 'unknown', s: Style): string {
  switch (v) {
    case 'error':
    case 'unreachable':
      return s.red(v)
    case 'warning':
      return s.yellow(v)
    case 'unknown':
      return s.magenta(v)
    case 'ok':
      return s.green(v)
    default:
      return v
  }
}

function worst(h: HostAudit): Finding | undefined {
  return [...h.findings].sort(
    (a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || Number(a.unknown) - Number(b.unknown),
  )[0]
}

/** Human report: summary (hosts by verdict, findings by check), hosts needing attention, per-host detail with --verbose. */
export function renderAudit(
  r: AuditResult,
  o: {context: string; verbose: boolean; failOn: string; checks: string[]},
  s: Style,
): string {
  const out: string[] = []
  const sm = r.summary
  out.push(
    `Audited ${sm.hosts} host(s) from ${r.source === 'sim' ? 'the simulated fabric' : r.source === 'local' ? 'this machine' : 'the inventory over SSH'} (context ${o.context}) in ${r.elapsedMs} ms; checks: ${o.checks.join(', ')}; fail on: ${o.failOn}.`,
    '',
  )
  out.push(
    renderTable(
      VERDICTS.filter(v => sm.byVerdict[v] > 0 || v === 'ok'),
      [
        {header: 'verdict', get: v => colourVerdict(v, s)},
        {header: 'hosts', get: v => sm.byVerdict[v], align: 'right'},
      ],
    ),
    '',
  )
  out.push(
    renderTable(
      CHECK_IDS.filter(c => o.checks.includes(c)),
      [
        {header: 'check', get: c => c},
        {header: 'error', get: c => sm.findingsByCheck[c].error, align: 'right'},
        {header: 'warning', get: c => sm.findingsByCheck[c].warning, align: 'right'},
        {header: 'unknown', get: c => sm.findingsByCheck[c].unknown, align: 'right'},
        {header: 'info', get: c => sm.findingsByCheck[c].info, align: 'right'},
      ],
    ),
  )
  if (o.checks.includes('bridges') && sm.instances.total > 0) {
    out.push(
      '',
      `Instances: ${sm.instances.total} — ${sm.instances.direct} plugged directly (18-hop paths), ${sm.instances.qbr} through a Linux bridge (24-hop paths).`,
    )
  }
  const failed = r.hosts.filter(h => h.verdict === 'unreachable')
  if (failed.length > 0) {
    out.push('', s.red(`Not audited (${failed.length}):`))
    out.push(
      renderTable(failed, [
        {header: 'host', get: h => h.host},
        {header: 'address', get: h => h.address},
        {header: 'reason', get: h => h.failure?.code},
        {header: 'detail', get: h => h.failure?.message},
      ]),
    )
  }
  const attention = r.hosts.filter(h => h.verdict !== 'ok' && h.verdict !== 'unreachable')
  if (attention.length > 0 && !o.verbose) {
    const shown = attention.slice(0, SHOWN_WITHOUT_VERBOSE)
    out.push('', `Hosts needing attention (${attention.length}):`)
    out.push(
      renderTable(shown, [
        {header: 'host', get: h => h.host},
        {header: 'verdict', get: h => colourVerdict(h.verdict, s)},
        {header: 'ovs', get: h => h.facts?.ovsVersion},
        {header: 'kernel', get: h => h.facts?.kernel},
        {
          header: 'qbr',
          get: h => (h.facts?.instances ? `${h.facts.instances.qbr}/${h.facts.instances.total}` : null),
          align: 'right',
        },
        {header: 'worst finding', get: h => worst(h)?.title},
      ]),
    )
    if (attention.length > shown.length)
      out.push(`… ${attention.length - shown.length} more; --verbose shows every host, --json everything.`)
  }
  if (o.verbose) {
    for (const h of r.hosts) {
      out.push(
        '',
        `${s.bold(h.host)}  ${colourVerdict(h.verdict, s)}  ${[h.az, h.address, h.facts?.ovsVersion ? `ovs ${h.facts.ovsVersion}` : null, h.facts?.kernel ? `kernel ${h.facts.kernel}` : null, bondText(h), `${h.elapsedMs} ms`].filter(Boolean).join('  ')}`,
      )
      if (h.failure) {
        out.push(`  ${s.red(h.failure.code)}: ${h.failure.message}`)
        if (h.failure.hint) out.push(`  what to do: ${h.failure.hint}`)
        continue
      }
      out.push(`  checks: ${h.checks.map(c => `${c.check} ${c.status}`).join(', ')}`)
      for (const f of [...h.findings].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity])) {
        out.push(`  [${colourVerdict(f.unknown ? 'unknown' : f.severity, s)}] ${f.id}: ${f.title}`)
        for (const e of f.evidence) out.push(s.dim(`      ${e.source}: ${e.value}`))
        if (f.remediation) out.push(`      → ${f.remediation}`)
      }
    }
  } else if (r.hosts.length === 1 && !failed.length) {
    out.push('', '(--verbose shows every finding with its evidence and remediation.)')
  }
  return out.join('\n')
}

/** "bond0 balance-tcp, LACP configured, active eth0"; unknown facts as "unknown (why)". */
function bondText(h: HostAudit): string | null {
  const b = h.facts?.bond
  if (!b || (b.mode === null && b.lacp === null && b.activeMember === null && h.source === 'sim')) return null
  const show = (v: string | null, k: 'mode' | 'lacp' | 'activeMember') => v ?? `unknown (${b.unknown[k] ?? 'not read'})`
  return `${b.name} ${show(b.mode, 'mode')}, LACP ${show(b.lacp, 'lacp')}, active ${show(b.activeMember, 'activeMember')}`
}
