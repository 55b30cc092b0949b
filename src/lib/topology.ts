import type {Fabric} from './fabric.js'
import type {Switch} from './model/types.js'

export interface AzSummary {
  name: string
  topology: string
  switches: Record<string, number>
  leafPairs: number
  hosts: {total: number; byRole: Record<string, number>; legacyPlugging: number}
  networks: number
  labels: string[]
  instances: Record<string, number> | null
  ports: {total: number; byState: Record<string, number>} | null
  maxInstancesPerHost: number | null
}

export interface TopologyDoc {
  kind: 'Topology'
  schemaVersion: 1
  context: string
  backend: string
  fabric: {profile: string | null; seed: number | null}
  azs: AzSummary[]
  totals: {
    azs: number
    switches: number
    hosts: number
    networks: number
    instances: number | null
    ports: number | null
  }
}

const count = <T>(items: readonly T[], key: (t: T) => string): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const i of items) out[key(i)] = (out[key(i)] ?? 0) + 1
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)))
}

/** Per-AZ summary of the fabric. Deterministic: same fabric, same bytes. */
export async function topologySummary(fabric: Fabric, filter: {az?: string} = {}): Promise<TopologyDoc> {
  const r = fabric.inventory
  const [azs, switches, hosts, networks] = await Promise.all([
    r.azs(),
    r.switches(filter),
    r.hosts(filter),
    r.networks(filter),
  ])
  const recorded = fabric.inventory.stats?.()
  const simStats = recorded?.azCounts()
  const summaries = azs
    .filter(a => !filter.az || a.name === filter.az)
    .map((az): AzSummary => {
      const sw = switches.filter(s => s.az === az.name)
      const hs = hosts.filter(h => h.az === az.name)
      const nets = networks.filter(n => n.az === az.name)
      const stats = simStats?.get(az.name)
      return {
        name: az.name,
        topology: az.topology,
        switches: count(sw, s => s.role),
        leafPairs: new Set(sw.filter(s => s.role === 'leaf' || s.role === 'access').map(s => s.pair ?? s.name)).size,
        hosts: {
          total: hs.length,
          byRole: count(hs, h => h.role),
          legacyPlugging: hs.filter(h => h.plugging === 'qbr').length,
        },
        networks: nets.length,
        labels: [...new Set(nets.flatMap(n => n.labels))].sort(),
        instances: stats ? stats.instances : null,
        ports: stats ? {total: Object.values(stats.ports).reduce((a, b) => a + b, 0), byState: stats.ports} : null,
        maxInstancesPerHost: stats ? stats.maxPerHost : null,
      }
    })
  const sum = (f: (a: AzSummary) => number | null) =>
    summaries.every(a => f(a) !== null) ? summaries.reduce((s, a) => s + (f(a) ?? 0), 0) : null
  return {
    kind: 'Topology',
    schemaVersion: 1,
    context: fabric.context.name,
    backend: fabric.info.backend,
    fabric: recorded?.origin() ?? {profile: null, seed: null},
    azs: summaries,
    totals: {
      azs: summaries.length,
      switches: switches.length,
      hosts: hosts.length,
      networks: networks.length,
      instances: sum(a => (a.instances ? Object.values(a.instances).reduce((x, y) => x + y, 0) : null)),
      ports: sum(a => a.ports?.total ?? null),
    },
  }
}

/** Graphviz: AZ clusters, spines above leaves (full mesh), hosts below their leaf pair. */
export async function topologyDot(fabric: Fabric, filter: {az?: string} = {}): Promise<string> {
  const [switches, hosts] = await Promise.all([fabric.inventory.switches(filter), fabric.inventory.hosts(filter)])
  const q = (s: string) => JSON.stringify(s)
  const lines = ['graph fabric {', '  rankdir=TB;', '  node [fontname="Helvetica", fontsize=10];']
  const byAz = new Map<string, Switch[]>()
  for (const s of switches) byAz.set(s.az, [...(byAz.get(s.az) ?? []), s])
  for (const [az, sws] of byAz) {
    lines.push(`  subgraph ${q(`cluster_${az}`)} {`, `    label=${q(az)};`)
    for (const s of sws)
      lines.push(
        `    ${q(s.name)} [shape=box, style=filled, fillcolor=${s.role === 'spine' || s.role === 'core' ? '"#c6dbef"' : '"#e5f5e0"'}];`,
      )
    const upper = sws.filter(s => s.role === 'spine' || s.role === 'aggregation')
    const lower = sws.filter(s => s.role === 'leaf' || s.role === 'access')
    for (const lo of lower) for (const up of upper) lines.push(`    ${q(lo.name)} -- ${q(up.name)};`)
    for (const agg of sws.filter(s => s.role === 'aggregation'))
      for (const core of sws.filter(s => s.role === 'core')) lines.push(`    ${q(agg.name)} -- ${q(core.name)};`)
    for (const h of hosts.filter(x => x.az === az)) {
      lines.push(`    ${q(h.name)} [shape=ellipse${h.plugging === 'qbr' ? ', color=orange' : ''}];`)
      for (const n of h.nics) lines.push(`    ${q(h.name)} -- ${q(n.switch)} [label=${q(n.interface)}, fontsize=8];`)
    }
    lines.push('  }')
  }
  lines.push('}')
  return lines.join('\n')
}
