/**
 * `ovs-ofctl dump-flows BRIDGE`: the installed flows, and the VLAN translations among them (the
 * Neutron OVS agent's `dl_vlan=<segment> → mod_vlan_vid:<local>` on br-int and
 * `dl_vlan=<local> → mod_vlan_vid:<segment>` on br-bond).
 */
export interface Flow {
  table: number
  priority: number
  /** The match fields, as printed (e.g. {in_port: '4', dl_vlan: '101'}). */
  match: Record<string, string>
  actions: string
}
export interface VlanTranslation {
  table: number
  priority: number
  inPort: string | null
  fromVlan: number
  toVlan: number
}

const STATS = new Set([
  'cookie',
  'duration',
  'table',
  'n_packets',
  'n_bytes',
  'idle_age',
  'hard_age',
  'idle_timeout',
  'hard_timeout',
  'priority',
  'reset_counts',
  'send_flow_rem',
  'importance',
])

export function parseDumpFlows(text: string): Flow[] {
  const out: Flow[] = []
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    const i = line.indexOf(' actions=')
    if (!line.startsWith('cookie=') || i < 0) continue
    const head = line.slice(0, i)
    const actions = line.slice(i + ' actions='.length)
    const fields: Record<string, string> = {}
    for (const part of head.split(/[ ,]+/).filter(Boolean)) {
      const eq = part.indexOf('=')
      if (eq < 0) fields[part] = ''
      else fields[part.slice(0, eq)] = part.slice(eq + 1)
    }
    const match = Object.fromEntries(Object.entries(fields).filter(([k]) => !STATS.has(k)))
    out.push({table: Number(fields.table ?? 0), priority: Number(fields.priority ?? 32_768), match, actions})
  }
  return out
}

/** Flows that rewrite one VLAN into another (`dl_vlan=A … actions=mod_vlan_vid:B`). */
export function vlanTranslations(flows: Flow[]): VlanTranslation[] {
  const out: VlanTranslation[] = []
  for (const f of flows) {
    const from = f.match.dl_vlan ?? f.match.vlan_vid
    const to = /(?:^|,)mod_vlan_vid:(\d+)/.exec(f.actions)?.[1] ?? /set_field:(\d+)->vlan_vid/.exec(f.actions)?.[1]
    if (from === undefined || to === undefined) continue
    const fromVlan = Number(from.replace(/\/.*$/, '')) & 0xfff
    out.push({table: f.table, priority: f.priority, inPort: f.match.in_port ?? null, fromVlan, toVlan: Number(to)})
  }
  return out
}
