import type {FenceDoc} from './fence.js'
import {renderFields, renderTable} from '../output/table.js'
import type {
  AllocateResult,
  BindResultDoc,
  IpamCheckResult,
  LabelChange,
  LeafTouchDoc,
  MigrateResult,
  PortDetail,
  PortView,
  ReleaseResult,
  UsageRow,
} from './types.js'
import type {GcResult} from './gc.js'
import type {PortPlan} from './plan.js'

/** Human renderings of the port, label and ipam results (the commands stay thin). */

const dry = (d: boolean) => (d ? 'DRY RUN (nothing changed): ' : '')

export function leavesTable(leaves: LeafTouchDoc[]): string {
  if (leaves.length === 0) return 'leaves touched: none'
  return renderTable(leaves, [
    {header: 'leaf', get: l => l.leaf},
    {header: 'side', get: l => l.side},
    {header: 'result', get: l => (l.ok ? (l.changed ? 'configured' : 'unchanged') : `FAILED: ${l.error ?? l.cause}`)},
  ])
}

/** The plan: ordered steps, each with its undo (what --dry-run shows is what the real run executes). */
export function planLines(plan: PortPlan | undefined, dryRun: boolean): string[] {
  if (!plan) return []
  return [
    '',
    `${dryRun ? 'plan' : 'executed plan'} (${plan.steps.length} steps; leaves: ${plan.leaves.join(', ') || 'none'}):`,
    ...plan.steps.map((st, i) => `  ${i + 1}. [${st.kind}] ${st.action}${st.undo ? ` (undo: ${st.undo})` : ''}`),
  ]
}

/** A dry run pushes nothing: name the leaves the real run will push instead of "none". */
function leavesOrPlanned(leaves: LeafTouchDoc[], dryRun: boolean, plan: PortPlan | undefined): string {
  if (dryRun && leaves.length === 0 && plan) return `leaves it will push: ${plan.leaves.join(', ') || 'none'}`
  return leavesTable(leaves)
}

export function renderAllocation(r: AllocateResult): string {
  const head = `${dry(r.dryRun)}${r.dryRun ? 'would create' : 'created'} ${r.created} port${r.created === 1 ? '' : 's'}${r.existing ? `, ${r.existing} existing returned unchanged` : ''}`
  const shown = r.ports.length > 50 ? r.ports.slice(0, 50) : r.ports
  const lines = [
    head,
    renderTable(shown, [
      {header: 'name', get: p => p.name},
      {header: 'ip', get: p => p.ip},
      {header: 'network', get: p => p.network},
      {header: 'mac', get: p => p.mac},
      {header: 'host', get: p => p.host},
      {header: 'state', get: p => p.state},
      {header: 'created', get: p => (p.created ? 'yes' : 'no (existing)')},
    ]),
  ]
  if (r.ports.length > shown.length) lines.push(`… and ${r.ports.length - shown.length} more (use --json for all)`)
  if (r.leaves.length > 0 || r.plan) lines.push('', leavesOrPlanned(r.leaves, r.dryRun, r.plan))
  for (const p of shown) if (p.reasons && p.state !== 'ACTIVE_ACTIVE') lines.push(`${p.name}: ${p.reasons.join('; ')}`)
  lines.push(...planLines(r.plan, r.dryRun))
  return lines.join('\n')
}

export function renderBinding(r: BindResultDoc): string {
  return [
    renderFields([
      ['port', `${dry(r.dryRun)}${r.port.name} (${r.port.ip}, ${r.port.mac})`],
      ['host', `${r.before.host ?? '(none)'} → ${r.host}`],
      ['device', r.device ?? '(none)'],
      ['state', `${r.before.state} → ${r.port.state}`],
    ]),
    '',
    leavesOrPlanned(r.leaves, r.dryRun, r.plan),
    '',
    ...r.reasons.map(x => `- ${x}`),
    ...planLines(r.plan, r.dryRun),
  ].join('\n')
}

function fenceLines(f: FenceDoc | undefined): string[] {
  if (!f) return []
  const out = ['', `fencing (old host ${f.oldHost ?? '-'}): ${f.status}${f.reason ? ` — ${f.reason}` : ''}`]
  if (f.before.reason) out.push(`  before the move: not read (${f.before.reason})`)
  else if (f.before.read)
    out.push(
      `  before the move: ${f.before.devices.length ? f.before.devices.join(', ') : 'no device'} carried the iface-id`,
    )
  for (const d of f.devices)
    out.push(
      `  ${d.device} on ${d.bridge ?? 'no bridge'}: ${d.action}${d.ours ? '' : ` (${d.why})`}${d.error ? `: ${d.error}` : ''}`,
    )
  out.push(`leaves: ${f.leaves.status}${f.leaves.reason ? ` — ${f.leaves.reason}` : ''}`)
  for (const x of f.leaves.seen)
    out.push(
      `  ${f.leaves.mac} on ${x.leaf}:${x.interface} (${x.origin}${x.vtep ? ` via ${x.vtep}` : ''}, ${x.where}; ${x.source})`,
    )
  for (const c of f.codes) out.push(`! ${c}`)
  for (const w of f.warnings) out.push(`warning: ${w}`)
  return out
}

export function renderMigration(r: MigrateResult & {fence?: FenceDoc}): string {
  return [
    `${dry(r.dryRun)}${r.changed ? `${r.dryRun ? 'would migrate' : 'migrated'} ${r.port.name}` : `${r.port.name}: nothing to do`}`,
    renderTable(
      [
        {k: 'before', ...r.before},
        {k: 'after', ...r.after},
      ],
      [
        {header: '', get: x => x.k},
        {header: 'host', get: x => x.host},
        {header: 'ip', get: x => x.ip},
        {header: 'mac', get: x => x.mac},
        {header: 'device', get: x => x.device},
        {header: 'state', get: x => x.state},
      ],
    ),
    '',
    leavesOrPlanned(r.leaves, r.dryRun, r.plan),
    '',
    ...r.reasons.map(x => `- ${x}`),
    ...fenceLines(r.fence),
    ...planLines(r.plan, r.dryRun),
  ].join('\n')
}

export function renderRelease(r: ReleaseResult): string {
  return [
    `${dry(r.dryRun)}${r.dryRun ? 'would release' : 'released'} ${r.released.length} port${r.released.length === 1 ? '' : 's'}`,
    renderTable(r.released, [
      {header: 'name', get: p => p.name},
      {header: 'ip', get: p => p.ip},
      {header: 'network', get: p => p.network},
      {header: 'host', get: p => p.host},
      {header: 'device removed', get: p => p.device},
    ]),
    '',
    leavesOrPlanned(r.leaves, r.dryRun, r.plan),
    ...planLines(r.plan, r.dryRun),
  ].join('\n')
}

export function renderDetail(d: PortDetail): string {
  const p = d.port
  const fields: [string, unknown][] = [
    ['name', p.name],
    ['id', p.id],
    ['state', p.state],
    [
      'overlay record',
      d.overlayRecord === 'none'
        ? 'none: this Neutron has neither data_plane_status nor standard-attr-tag; the overlay shows BUILD until `port diagnose` reads the leaves'
        : d.overlayRecord === 'port-tag'
          ? 'port tag fabricctl-overlay:* (this Neutron has no data_plane_status)'
          : d.overlayRecord === 'store'
            ? 'the simulated controller'
            : 'Neutron data_plane_status',
    ],
    ['ip', p.ip],
    ['mac', p.mac],
    ['network', p.network],
    ['host', p.host ?? '(unbound)'],
    ['instance', p.instance],
  ]
  if (d.network)
    fields.push(
      ['cidr', d.network.cidr],
      ['gateway', d.network.gateway],
      ['vlan', d.network.vlan],
      ['vni', d.network.l2Vni],
      ['labels', d.network.labels.join(', ')],
    )
  if (p.neutron) fields.push(['neutron status', p.neutron.status], ['vif type', p.neutron.vifType])
  if (d.evidence) {
    const dev = d.evidence.device
    fields.push([
      'br-int device',
      dev ? `${dev.device} on ${dev.host} (local VLAN ${dev.localVlan}, ofport ${dev.ofport})` : '(none)',
    ])
    fields.push([
      'controller',
      d.evidence.controller ? `has it (host ${d.evidence.controller.host ?? 'none'})` : 'NO RECORD',
    ])
    fields.push(['leaf interfaces', d.evidence.leaves.join(', ') || '(none)'])
  }
  fields.push(['created', p.createdAt], ['updated', p.updatedAt])
  return renderFields(fields)
}

export function renderPortTable(ports: PortView[]): string {
  return renderTable(
    ports,
    [
      {header: 'name', get: p => p.name},
      {header: 'ip', get: p => p.ip},
      {header: 'network', get: p => p.network},
      {header: 'host', get: p => p.host},
      {header: 'state', get: p => p.state},
      {header: 'mac', get: p => p.mac},
    ],
    {empty: 'No ports match.'},
  )
}

export function renderLabel(r: LabelChange): string {
  const verb = r.action === 'add' ? (r.changed ? 'added' : 'already has') : r.changed ? 'removed' : 'did not have'
  return `${dry(r.dryRun)}${r.network}: ${verb} label ${r.label}${r.dryRun && r.changed ? ' (would be)' : ''}; labels now: ${r.labels.join(', ') || '(none)'}`
}

export function renderUsage(rows: UsageRow[], by: 'network' | 'label'): string {
  const pct = (r: UsageRow) => (r.total ? `${Math.round((r.used / r.total) * 100)}%` : '-')
  return renderTable(
    rows,
    [
      {header: by, get: r => r.name},
      {header: 'az', get: r => r.azs.join(',')},
      ...(by === 'label'
        ? [{header: 'networks', get: (r: UsageRow) => r.networks.length, align: 'right' as const}]
        : []),
      {header: 'used', get: r => r.used, align: 'right'},
      {header: 'free', get: r => r.free, align: 'right'},
      {header: 'total', get: r => r.total, align: 'right'},
      {header: 'use', get: pct, align: 'right'},
      {header: 'exhausted', get: r => (r.exhausted ? (by === 'label' ? r.exhausted : 'yes') : '')},
    ],
    {empty: 'No networks.'},
  )
}

export function renderCheck(r: IpamCheckResult): string {
  const lines = [
    renderTable(r.checks, [
      {header: 'check', get: c => c.name},
      {header: 'status', get: c => c.status.toUpperCase()},
      {header: 'findings', get: c => c.count, align: 'right'},
      {header: 'what', get: c => c.reason ?? c.description},
    ]),
  ]
  for (const c of r.checks) {
    if (c.findings.length === 0) continue
    lines.push('', `${c.name}:`)
    for (const f of c.findings.slice(0, 20)) lines.push(`  - ${f.message}`)
    if (c.count > 20) lines.push(`  … ${c.count - 20} more (use --json)`)
  }
  for (const c of r.checks) {
    if (!c.unknown?.length) continue
    lines.push('', `${c.name}: unknown (not checked, never reported as leaked):`)
    for (const f of c.unknown.slice(0, 20)) lines.push(`  - ${f.message}`)
    if ((c.unknownCount ?? 0) > 20) lines.push(`  … ${c.unknownCount! - 20} more (use --json)`)
  }
  lines.push('', r.ok ? 'IPAM is consistent.' : 'IPAM has problems (exit 1).')
  return lines.join('\n')
}

export function renderGc(r: GcResult): string {
  const lines: string[] = []
  const src = r.source === 'report' ? `report ${r.reportFile}` : 'scan'
  lines.push(
    `${dry(r.dryRun)}${r.found.length} leaked port${r.found.length === 1 ? '' : 's'} (${src}; grace ${r.criteria.graceMs / 1000}s${r.criteria.unboundOlderThanMs === null ? '' : `, unbound older than ${r.criteria.unboundOlderThanMs / 1000}s`})`,
  )
  if (r.found.length > 0)
    lines.push(
      renderTable(r.found, [
        {header: 'name', get: p => p.name},
        {header: 'ip', get: p => p.ip},
        {header: 'host', get: p => p.host},
        {header: 'kind', get: p => p.kind},
        {header: 'since', get: p => `${p.since} (${p.sinceSource})`},
      ]),
    )
  if (r.dryRun) {
    lines.push(
      '',
      `would release ${r.released.length}:`,
      ...r.released.map(p => `  - ${p.name} ${p.ip} on ${p.host ?? 'no host'}`),
    )
    lines.push(...planLines(r.plan, true))
  } else {
    lines.push(
      '',
      `released ${r.released.length}:`,
      ...r.released.map(p => `  - ${p.name} ${p.ip} on ${p.host ?? 'no host'}`),
    )
    if (r.leaves.length) lines.push(leavesTable(r.leaves))
  }
  if (r.skipped.length)
    lines.push(
      '',
      `skipped ${r.skipped.length} (re-checked, not released):`,
      ...r.skipped.map(s => `  - ${s.name}: ${s.reason}`),
    )
  if (r.failed.length)
    lines.push('', `FAILED ${r.failed.length}:`, ...r.failed.map(f => `  - ${f.name} (${f.id}): ${f.code}: ${f.error}`))
  if (r.unknown.length)
    lines.push(
      '',
      `unknown ${r.unknown.length} (host not readable, not released):`,
      ...r.unknown.map(u => `  - ${u.name} on ${u.host}: ${u.reason}`),
    )
  if (r.reportFile && r.source === 'scan') lines.push('', `report written to ${r.reportFile}`)
  return lines.join('\n')
}
