import type {LiveContext} from '../context/schema.js'
import type {PortStatesResult, StateRecorder, StatesBy} from '../seam/states.js'
import type {PlaneState} from '../model/types.js'
import type {FabricStore} from '../store/fabric-store.js'
import {recordedPlanes} from '../seam/ipam.js'

/** `port states`: the reference's port-state panel (Fig 8) — ports per UNDERLAY_OVERLAY state, grouped. */

// The result's types are the seam's (a recorder returns them); kept importable from here.
export {STATES_BY, type PortStatesResult, type StatesBy} from '../seam/states.js'

const SEVERITY: Record<string, number> = {ERROR: 3, BUILD: 2, DOWN: 1, ACTIVE: 0}
const HEALTHY = 'ACTIVE_ACTIVE'
export const UNBOUND = '(unbound)'

function rank(state: string): number {
  const [u, o] = state.split('_')
  return Math.max(SEVERITY[u!] ?? 4, SEVERITY[o!] ?? 4) * 10 + Math.min(SEVERITY[u!] ?? 4, SEVERITY[o!] ?? 4)
}

export function orderStates(states: Iterable<string>): string[] {
  return [...new Set(states)].sort((a, b) => rank(b) - rank(a) || a.localeCompare(b))
}

/** Build the result from (group key, state, count) rows and the per-state totals of distinct ports. */
export function summarise(
  by: StatesBy,
  rows: readonly {key: string; state: string; count: number}[],
  totals: Record<string, number>,
  at: string,
  note: string | null,
): PortStatesResult {
  const groups = new Map<string, PortStatesResult['groups'][number]>()
  for (const r of rows) {
    let g = groups.get(r.key)
    if (!g) groups.set(r.key, (g = {key: r.key, total: 0, unhealthy: 0, states: {}}))
    g.states[r.state] = (g.states[r.state] ?? 0) + r.count
    g.total += r.count
    if (r.state !== HEALTHY) g.unhealthy += r.count
  }
  const states = orderStates([...Object.keys(totals), ...rows.map(r => r.state)])
  const sortStates = (m: Record<string, number>) =>
    Object.fromEntries(states.filter(s => m[s] !== undefined).map(s => [s, m[s]!]))
  const total = Object.values(totals).reduce((a, b) => a + b, 0)
  return {
    by,
    at,
    states,
    total,
    unhealthy: total - (totals[HEALTHY] ?? 0),
    totals: sortStates(totals),
    groups: [...groups.values()]
      .map(g => ({...g, states: sortStates(g.states)}))
      .sort((a, b) => b.unhealthy - a.unhealthy || a.key.localeCompare(b.key, 'en', {numeric: true})),
    note,
  }
}

const LEAF_NOTE =
  'a port counts under every leaf its host is cabled to (both leaves of a pair), so group totals add up to more than the port total'

export function simPortStates(store: FabricStore, by: StatesBy): PortStatesResult {
  const state = `p.underlay || '_' || p.overlay`
  const sql = {
    az: `SELECT n.az AS key, ${state} AS state, count(*) AS count FROM ports p JOIN networks n ON n.name = p.network GROUP BY 1, 2`,
    host: `SELECT coalesce(p.host, '${UNBOUND}') AS key, ${state} AS state, count(*) AS count FROM ports p GROUP BY 1, 2`,
    network: `SELECT p.network AS key, ${state} AS state, count(*) AS count FROM ports p GROUP BY 1, 2`,
    leaf: `SELECT c.switch AS key, ${state} AS state, count(*) AS count FROM ports p JOIN cabling c ON c.host = p.host GROUP BY 1, 2
      UNION ALL SELECT '${UNBOUND}', ${state}, count(*) FROM ports p WHERE p.host IS NULL GROUP BY 2`,
  }[by]
  const rows = store.sql(sql).all() as {key: string; state: string; count: number}[]
  const totals = Object.fromEntries(
    (
      store.sql(`SELECT ${state} AS state, count(*) AS count FROM ports p GROUP BY 1`).all() as {
        state: string
        count: number
      }[]
    ).map(r => [r.state, r.count]),
  )
  return summarise(by, rows, totals, store.now(), by === 'leaf' ? LEAF_NOTE : null)
}

interface NeutronPortLite {
  id: string
  network_id: string
  status: string
  data_plane_status?: string | null
  'binding:host_id'?: string | null
  'binding:vif_type'?: string | null
  tags?: string[]
}

/** The recorded planes of a Neutron port: one reading for port show, port states and port diagnose (seam/ipam.ts). */
export function livePlanes(p: NeutronPortLite): {underlay: PlaneState; overlay: PlaneState} {
  const {underlay, overlay} = recordedPlanes(p)
  return {underlay, overlay}
}

export async function livePortStates(ctx: LiveContext, by: StatesBy): Promise<PortStatesResult> {
  const {neutronRequest} = await import('../live/neutron/http.js')
  const [{ports}, {networks}] = await Promise.all([
    neutronRequest<{ports: NeutronPortLite[]}>(
      ctx,
      'GET',
      '/v2.0/ports?fields=id&fields=network_id&fields=status&fields=data_plane_status&fields=binding:host_id&fields=binding:vif_type&fields=tags',
    ),
    neutronRequest<{networks: {id: string; name: string; availability_zone_hints?: string[]}[]}>(
      ctx,
      'GET',
      '/v2.0/networks?fields=id&fields=name&fields=availability_zone_hints',
    ),
  ])
  const defaultAz = ctx.inventory.azs[0]?.name ?? 'default'
  const nets = new Map(networks.map(n => [n.id, n]))
  const hostAz = new Map(ctx.inventory.hosts.map(h => [h.name, h.az]))
  const hostLeaves = new Map(ctx.inventory.hosts.map(h => [h.name, [...new Set(h.nics.map(n => n.leaf))]]))
  const counts = new Map<string, number>()
  const totals: Record<string, number> = {}
  const add = (key: string, state: string) =>
    counts.set(`${key}\u0000${state}`, (counts.get(`${key}\u0000${state}`) ?? 0) + 1)
  for (const p of ports) {
    const {underlay, overlay} = livePlanes(p)
    const state = `${underlay}_${overlay}`
    totals[state] = (totals[state] ?? 0) + 1
    const host = p['binding:host_id'] || null
    const net = nets.get(p.network_id)
    if (by === 'host') add(host ?? UNBOUND, state)
    else if (by === 'network') add(net?.name || p.network_id, state)
    else if (by === 'az') add((host && hostAz.get(host)) ?? net?.availability_zone_hints?.[0] ?? defaultAz, state)
    else if (!host) add(UNBOUND, state)
    else for (const l of hostLeaves.get(host) ?? ['(host not in inventory)']) add(l, state)
  }
  const rows = [...counts].map(([k, count]) => {
    const [key, state] = k.split('\u0000') as [string, string]
    return {key, state, count}
  })
  return summarise(
    by,
    rows,
    totals,
    new Date().toISOString(),
    [
      'Underlay from Neutron status (binding_failed: ERROR), overlay from data_plane_status or the fabricctl-overlay port tag (unset: BUILD when bound)',
      by === 'leaf' ? LEAF_NOTE : null,
    ]
      .filter(Boolean)
      .join('; '),
  )
}

/** The recorded states, counted per group: whichever backend records them (`fabric.states`). */
export async function portStates(fabric: {states: StateRecorder}, by: StatesBy): Promise<PortStatesResult> {
  return fabric.states.portStates(by)
}
