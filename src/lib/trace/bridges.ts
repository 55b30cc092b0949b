import type {HostFacts} from '../seam/host-probe.js'

/** Default OVS bridge and patch-port names on a host (DESIGN.md §1). */
export const DEFAULT_BRIDGES = {
  int: 'br-int',
  bond: 'br-bond',
  patchInt: 'int-br-bond',
  patchPhy: 'phy-br-bond',
} as const

/**
 * The host's bridges as its OVS tables show them (deployments name them: the OVS agent's integration_bridge,
 * the bridge_mappings): the uplink bridge is the one holding the bond, the integration bridge the one at the
 * other end of the uplink bridge's patch port. Only a name the tables do not show is the Neutron default
 * (the tables unread: the wiring is unknown then anyway, and says so).
 */
export function bridgesOf(facts: HostFacts): {int: string; bond: string; patchInt: string; patchPhy: string} {
  const ifs = facts.ovs.interfaces
  if (!ifs) return {...DEFAULT_BRIDGES}
  const bondName = facts.bond?.name ?? facts.ovs.bonds?.[0]?.name
  const bond = ifs.find(i => i.port === bondName && i.bridge)?.bridge ?? facts.ovs.bonds?.[0]?.bridge ?? null
  const patchPhy = bond ? ifs.find(i => i.type === 'patch' && i.bridge === bond && i.peer) : undefined
  const patchInt = patchPhy ? ifs.find(i => i.name === patchPhy.peer && i.bridge) : undefined
  return {
    int: patchInt?.bridge ?? DEFAULT_BRIDGES.int,
    bond: bond ?? DEFAULT_BRIDGES.bond,
    patchInt: patchInt?.name ?? DEFAULT_BRIDGES.patchInt,
    patchPhy: patchPhy?.name ?? DEFAULT_BRIDGES.patchPhy,
  }
}
