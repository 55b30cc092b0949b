import {
  ANYCAST_GATEWAY_MAC,
  type LeafConfig,
  type Network,
  type Tenant,
  emptyLeafConfig,
  isTenantVrf,
} from '../model/types.js'
import {parseCidr} from '../model/addressing.js'

/** Route target for an L2 VNI: one fabric-wide ASN keeps RTs stable when leaves are renumbered. */
export const FABRIC_RT_ASN = 65000

export function routeTarget(vni: number): string {
  return `${FABRIC_RT_ASN}:${vni}`
}

/** What sits below one leaf: for each host-facing interface, the networks with ports on the host behind it. */
export interface LeafAttachment {
  interface: string
  networks: Iterable<string>
}

/**
 * The desired configuration of a leaf (DESIGN.md §3), derived — never hand-edited — from the
 * networks that have ports on the hosts cabled to it. A network's VLAN is allowed on an interface
 * only while the host behind it has a port there; its VNI (with EVPN and the anycast gateway)
 * stays on the leaf while any interface needs it; a tenant's VRF stays while any of its VNIs does.
 */
export function desiredLeafConfig(
  attachments: Iterable<LeafAttachment>,
  networks: ReadonlyMap<string, Network>,
  tenants: ReadonlyMap<string, Tenant>,
): LeafConfig {
  const config = emptyLeafConfig()
  for (const att of attachments) {
    const vlans = new Set<number>()
    for (const name of att.networks) {
      const net = networks.get(name)
      if (!net || net.l2Vni === null) continue
      const tenant = tenants.get(net.tenant)
      if (!tenant) continue
      vlans.add(net.vlan)
      config.vnis[String(net.l2Vni)] = {
        vni: net.l2Vni,
        vlan: net.vlan,
        network: net.name,
        vrf: tenant.vrf,
        routeTarget: routeTarget(net.l2Vni),
        gateway: {address: `${net.gateway}/${parseCidr(net.cidr).prefix}`, mac: ANYCAST_GATEWAY_MAC},
      }
      // the default VRF (a live native fabric's gateways) is no tenant VRF: no L3 VNI to carry
      if (isTenantVrf(tenant.vrf)) config.vrfs[tenant.vrf] = {l3Vni: tenant.l3Vni}
    }
    if (vlans.size > 0) config.interfaces[att.interface] = {vlans: [...vlans].sort((a, b) => a - b)}
  }
  return canonicalLeafConfig(config)
}

/** Sort every key so equal configs serialise to equal bytes. */
export function canonicalLeafConfig(c: LeafConfig): LeafConfig {
  const sortKeys = <T>(o: Record<string, T>, cmp?: (a: string, b: string) => number): Record<string, T> =>
    Object.fromEntries(
      Object.keys(o)
        .sort(cmp)
        .map(k => [k, o[k]!]),
    )
  const numeric = (a: string, b: string) => Number(a) - Number(b)
  return {
    vnis: sortKeys(c.vnis, numeric),
    vrfs: sortKeys(c.vrfs),
    interfaces: sortKeys(
      Object.fromEntries(
        Object.entries(c.interfaces).map(([k, v]) => [k, {vlans: [...v.vlans].sort((a, b) => a - b)}]),
      ),
      (a, b) => a.localeCompare(b, 'en', {numeric: true}),
    ),
  }
}
