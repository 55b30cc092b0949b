import type {Gauge, Registry} from 'prom-client'

import {PARTS, type Part, type Snapshot} from './gather.js'
import {VERIFIED_STATES, type VerifiedCounts} from './verified.js'

/**
 * The Prometheus series fabricctl exposes — one definition shared by `fabricctl exporter` and
 * `--output prometheus` (node_exporter's textfile collector). Listed in docs/exporter.md.
 * prom-client is loaded lazily: only the exporter and the prometheus output paths import this.
 */

type Prom = typeof import('prom-client')

export const SERIES = {
  info: {
    name: 'fabricctl_info',
    help: 'Always 1: the context and backend this exposition describes.',
    labelNames: ['context', 'backend'],
    part: null,
  },
  portsRecorded: {
    name: 'fabricctl_ports_recorded',
    help: 'Ports per recorded UNDERLAY_OVERLAY state (the store / Neutron), by AZ.',
    labelNames: ['az', 'state'],
    part: 'ports',
  },
  leafPortsRecorded: {
    name: 'fabricctl_leaf_ports_recorded',
    help: "Ports per recorded state under each leaf (a port counts under both leaves of its host's pair; do not sum across leaves).",
    labelNames: ['az', 'leaf', 'state'],
    part: 'ports',
  },
  portsVerified: {
    name: 'fabricctl_ports_verified',
    help: "Ports per verified state from diagnose's evidence (ACTIVE_ACTIVE, NOT_ACTIVE: a step failed, UNKNOWN: evidence unreadable), by AZ.",
    labelNames: ['az', 'state'],
    part: 'verify',
  },
  leafPortsVerified: {
    name: 'fabricctl_leaf_ports_verified',
    help: "Ports per verified state under each leaf (a port counts under both leaves of its host's pair).",
    labelNames: ['az', 'leaf', 'state'],
    part: 'verify',
  },
  portsActiveBroken: {
    name: 'fabricctl_ports_recorded_active_broken',
    help: 'Ports recorded ACTIVE_ACTIVE whose evidence says they are not (the record lies), by AZ.',
    labelNames: ['az'],
    part: 'verify',
  },
  leafPortsActiveBroken: {
    name: 'fabricctl_leaf_ports_recorded_active_broken',
    help: 'Ports recorded ACTIVE_ACTIVE but broken, under each leaf.',
    labelNames: ['az', 'leaf'],
    part: 'verify',
  },
  portsBroken: {
    name: 'fabricctl_ports_broken',
    help: 'Ports not verified ACTIVE_ACTIVE, by AZ and diagnose cause code (see `fabricctl port diagnose --help`).',
    labelNames: ['az', 'cause'],
    part: 'verify',
  },
  auditFindings: {
    name: 'fabricctl_audit_findings',
    help: 'Host audit findings by check and severity (unknown: a fact that could not be read).',
    labelNames: ['check', 'severity'],
    part: 'audit',
  },
  auditHosts: {
    name: 'fabricctl_audit_hosts',
    help: 'Audited hosts by verdict.',
    labelNames: ['verdict'],
    part: 'audit',
  },
  leaves: {
    name: 'fabricctl_leaves',
    help: 'Leaves by status: in-sync, drift (running config differs from the desired state), unreachable.',
    labelNames: ['az', 'status'],
    part: 'leaves',
  },
  leafStatus: {
    name: 'fabricctl_leaf_status',
    help: 'Per leaf: 1 for its current status (in-sync, drift, unreachable), 0 for the others.',
    labelNames: ['az', 'leaf', 'status'],
    part: 'leaves',
  },
  gatherDuration: {
    name: 'fabricctl_gather_duration_seconds',
    help: 'Wall time of the last gather of each part (ports, verify, audit, leaves).',
    labelNames: ['part'],
    part: null,
  },
  gatherSuccess: {
    name: 'fabricctl_gather_success',
    help: '1 when the last gather of the part succeeded, 0 when it failed (its series are then absent: stale).',
    labelNames: ['part'],
    part: null,
  },
  gatherLastSuccess: {
    name: 'fabricctl_gather_last_success_timestamp_seconds',
    help: "Unix time of the part's last successful gather.",
    labelNames: ['part'],
    part: null,
  },
} as const satisfies Record<string, {name: string; help: string; labelNames: readonly string[]; part: Part | null}>

export type SeriesKey = keyof typeof SERIES
const LEAF_STATUSES = ['in-sync', 'drift', 'unreachable'] as const

export class FabricSeries {
  readonly gauges: Record<SeriesKey, Gauge<string>>
  private readonly lastSuccess = new Map<Part, number>()

  /** Only the series of `parts` are registered (a textfile of the audit carries no empty port families). */
  constructor(
    prom: Prom,
    readonly registry: Registry,
    parts: readonly Part[] = PARTS,
  ) {
    this.gauges = Object.fromEntries(
      Object.entries(SERIES).map(([k, s]) => [
        k,
        new prom.Gauge({
          name: s.name,
          help: s.help,
          labelNames: [...s.labelNames],
          registers: s.part === null || parts.includes(s.part) ? [registry] : [],
        }),
      ]),
    ) as Record<SeriesKey, Gauge<string>>
  }

  private partGauges(part: Part): Gauge<string>[] {
    return (Object.keys(SERIES) as SeriesKey[]).filter(k => SERIES[k].part === part).map(k => this.gauges[k])
  }

  /** Replace every series with the snapshot's values. A failed part's series are removed (stale), its success gauge 0. */
  apply(snap: Snapshot): void {
    const g = this.gauges
    g.info.reset()
    g.info.set({context: snap.context, backend: snap.backend}, 1)
    for (const part of PARTS) {
      const o = snap[part]
      for (const gauge of this.partGauges(part)) gauge.reset()
      if (!o) {
        // Not gathered at all: nothing about it is exposed.
        for (const k of ['gatherDuration', 'gatherSuccess', 'gatherLastSuccess'] as const) g[k].remove({part})
        continue
      }
      g.gatherDuration.set({part}, o.durationMs / 1000)
      g.gatherSuccess.set({part}, o.ok ? 1 : 0)
      if (o.ok) this.lastSuccess.set(part, Date.parse(snap.at) / 1000)
      const last = this.lastSuccess.get(part)
      if (last === undefined) g.gatherLastSuccess.remove({part})
      else g.gatherLastSuccess.set({part}, last)
      if (!o.ok || !o.data) continue
      if (part === 'ports') this.applyPorts(snap.ports!.data!)
      else if (part === 'verify') this.applyVerify(snap.verify!.data!)
      else if (part === 'audit') this.applyAudit(snap.audit!.data!)
      else this.applyLeaves(snap.leaves!.data!)
    }
  }

  private applyPorts(d: NonNullable<NonNullable<Snapshot['ports']>['data']>): void {
    // Every state seen anywhere is exposed for every AZ/leaf (0 when absent), so a panel's series do not come and go.
    const states = [...new Set(['ACTIVE_ACTIVE', ...d.byAz.map(r => r.state)])]
    const azs = new Map<string, Map<string, number>>()
    for (const r of d.byAz) (azs.get(r.az) ?? azs.set(r.az, new Map()).get(r.az)!).set(r.state, r.count)
    for (const [az, m] of azs) for (const s of states) this.gauges.portsRecorded.set({az, state: s}, m.get(s) ?? 0)
    const leaves = new Map<string, {az: string; m: Map<string, number>}>()
    for (const r of d.byLeaf) {
      let l = leaves.get(r.leaf)
      if (!l) leaves.set(r.leaf, (l = {az: r.az, m: new Map()}))
      l.m.set(r.state, r.count)
    }
    for (const [leaf, {az, m}] of leaves)
      for (const s of states) this.gauges.leafPortsRecorded.set({az, leaf, state: s}, m.get(s) ?? 0)
  }

  private applyVerify(d: NonNullable<NonNullable<Snapshot['verify']>['data']>): void {
    const setCounts = (
      labels: Record<string, string>,
      c: VerifiedCounts,
      verified: Gauge<string>,
      broken: Gauge<string>,
    ) => {
      for (const s of VERIFIED_STATES) verified.set({...labels, state: s}, c[s])
      broken.set(labels, c.activeButBroken)
    }
    for (const {az, counts} of d.byAz) {
      setCounts({az}, counts, this.gauges.portsVerified, this.gauges.portsActiveBroken)
      for (const [cause, n] of Object.entries(counts.causes)) this.gauges.portsBroken.set({az, cause}, n)
    }
    for (const {az, leaf, counts} of d.byLeaf)
      setCounts({az, leaf}, counts, this.gauges.leafPortsVerified, this.gauges.leafPortsActiveBroken)
  }

  private applyAudit(d: NonNullable<NonNullable<Snapshot['audit']>['data']>): void {
    for (const f of d.findings) this.gauges.auditFindings.set({check: f.check, severity: f.severity}, f.count)
    for (const v of d.verdicts) this.gauges.auditHosts.set({verdict: v.verdict}, v.count)
  }

  private applyLeaves(d: NonNullable<NonNullable<Snapshot['leaves']>['data']>): void {
    const byAz = new Map<string, Record<string, number>>()
    for (const l of d.leaves) {
      const c = byAz.get(l.az) ?? byAz.set(l.az, Object.fromEntries(LEAF_STATUSES.map(s => [s, 0]))).get(l.az)!
      c[l.status]!++
      for (const s of LEAF_STATUSES)
        this.gauges.leafStatus.set({az: l.az, leaf: l.leaf, status: s}, l.status === s ? 1 : 0)
    }
    for (const [az, c] of byAz) for (const s of LEAF_STATUSES) this.gauges.leaves.set({az, status: s}, c[s]!)
  }
}

export async function loadProm(): Promise<Prom> {
  const m = await import('prom-client')
  return ((m as unknown as {default?: Prom}).default ?? m) as Prom
}

/** The exposition text of one snapshot (`--output prometheus`, for node_exporter's textfile collector). */
export async function exposition(snap: Snapshot): Promise<string> {
  const prom = await loadProm()
  const registry = new prom.Registry()
  const series = new FabricSeries(
    prom,
    registry,
    PARTS.filter(p => snap[p] !== undefined),
  )
  series.apply(snap)
  return registry.metrics()
}
