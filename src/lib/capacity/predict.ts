import {desiredLeafConfig} from '../leaf/desired.js'
import type {Placement} from './placement.js'
import type {Host, Network, Switch, Tenant} from '../model/types.js'

/** Bound ports, counted by network and host: what the leaf tables are made of. */
export type BoundPorts = Map<string, Map<string, number>>

export interface TableCounts {
  /** MAC entries: every bound port of every L2 VNI on the leaf, local or learned over EVPN. */
  macs: number
  /** ARP/ND entries in those VNIs (EVPN ARP suppression keeps every port's IP↔MAC binding). */
  neighbors: number
  /** /32 host routes in the leaf's VRFs: tenants' bound ports local on other leaves (symmetric IRB type-2 routes). */
  hostRoutes: number
  /** L2 VNIs plus the L3 VNIs of the VRFs. */
  vnis: number
  vrfs: number
}

export interface FabricShape {
  leaves: Switch[]
  hosts: Host[]
  networks: Network[]
  tenants: Tenant[]
}

export function addBound(bound: BoundPorts, network: string, host: string, n = 1): void {
  let byHost = bound.get(network)
  if (!byHost) bound.set(network, (byHost = new Map()))
  byHost.set(host, (byHost.get(host) ?? 0) + n)
}

/**
 * What the desired state implies in each leaf's tables. The VNIs and VRFs on a leaf are the
 * desired state's (leaf/desired.ts, from the hosts cabled to it); the entries are the ports
 * bound anywhere in those VNIs and VRFs. Remote VTEPs' router MACs and the anycast gateway's
 * own MAC are not counted (a handful per leaf, not per port). A port is local on the leaves its
 * host's `placement` names (an active-backup bond: the active member's leaf); a host of unknown
 * placement is local on every leaf it is cabled to.
 */
export function predictTables(shape: FabricShape, bound: BoundPorts, placement?: Placement): Map<string, TableCounts> {
  const networks = new Map(shape.networks.map(n => [n.name, n]))
  const tenants = new Map(shape.tenants.map(t => [t.name, t]))
  // where each host's ports are local: read from its bond (placement), else every leaf it is cabled to
  const leavesOfHost = new Map(
    shape.hosts.map(h => [h.name, placement?.get(h.name) ?? new Set(h.nics.map(n => n.switch))]),
  )
  const perNetwork = new Map([...bound].map(([net, byHost]) => [net, sum(byHost.values())]))
  const netsOfHost = new Map<string, string[]>()
  for (const [net, byHost] of bound)
    for (const [host, n] of byHost) {
      if (n <= 0) continue
      const nets = netsOfHost.get(host)
      if (nets) nets.push(net)
      else netsOfHost.set(host, [net])
    }
  const out = new Map<string, TableCounts>()
  for (const leaf of shape.leaves) {
    const attachments = shape.hosts.flatMap(h =>
      h.nics
        .filter(n => n.switch === leaf.name)
        .map(n => ({interface: n.interface, networks: netsOfHost.get(h.name) ?? []})),
    )
    const desired = desiredLeafConfig(attachments, networks, tenants)
    const l2 = Object.values(desired.vnis)
    const entries = l2.reduce((a, v) => a + (perNetwork.get(v.network) ?? 0), 0)
    const vrfs = new Set(Object.keys(desired.vrfs))
    let hostRoutes = 0
    for (const [netName, byHost] of bound) {
      const net = networks.get(netName)
      const vrf = net ? tenants.get(net.tenant)?.vrf : undefined
      if (!vrf || !vrfs.has(vrf)) continue
      for (const [host, n] of byHost) if (!leavesOfHost.get(host)?.has(leaf.name)) hostRoutes += n
    }
    out.set(leaf.name, {macs: entries, neighbors: entries, hostRoutes, vnis: l2.length + vrfs.size, vrfs: vrfs.size})
  }
  return out
}

const sum = (xs: Iterable<number>) => {
  let s = 0
  for (const x of xs) s += x
  return s
}
