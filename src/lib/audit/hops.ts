import type {DeadVlanDevice, InstancePlug, LinkInfo, OvsInterface} from './types.js'

/**
 * Hop counting (DESIGN.md §1), per end: instance vNIC, tap/veth host end, [qbr, qvb, qvo], br-int,
 * int-br-bond, phy-br-bond, br-bond, bond0, physical NIC, switch port → 9 direct, 12 through a
 * Linux bridge. An instance-to-instance path through the host and its switch has two ends: 18 or 24.
 */
export const HOPS_PER_END = {direct: 9, qbr: 12} as const
export const PATH_HOPS = {direct: 18, qbr: 24} as const

export function endChain(
  plugging: 'direct' | 'qbr',
  d: {tap: string; qbr?: string; qvb?: string; qvo?: string; bond?: string; nic?: string; switchPort?: string},
): string[] {
  const chain = ['vnic (in the instance)', d.tap]
  if (plugging === 'qbr') chain.push(d.qbr ?? 'qbr', d.qvb ?? 'qvb', d.qvo ?? 'qvo')
  chain.push(
    'br-int',
    'int-br-bond',
    'phy-br-bond',
    'br-bond',
    d.bond ?? 'bond0',
    d.nic ?? 'nic',
    d.switchPort ?? 'switch port',
  )
  return chain
}

export function plug(
  plugging: 'direct' | 'qbr',
  device: string,
  d: Parameters<typeof endChain>[1],
  linuxBridge: string | null,
  iptablesRules: number | null,
): InstancePlug {
  const chain = endChain(plugging, d)
  return {device, plugging, chain, pathHops: 2 * chain.length, linuxBridge, iptablesRules}
}

/**
 * The Neutron OVS agent's dead VLAN (DEAD_VLAN_TAG in neutron): the Port tag it sets, with a drop flow,
 * on a br-int device it cannot bind (unknown iface-id, port not bound to this host, ...).
 */
export const DEAD_VLAN_TAG = 4095

/** A br-int port that could be an instance's: not a patch, not internal, not the bridge itself. */
const instanceCandidate = (i: OvsInterface) =>
  i.bridge === 'br-int' && i.type !== 'patch' && i.type !== 'internal' && i.name !== 'br-int'

/** On the dead VLAN: its tag was read and is 4095 (a tag not read is unknown, never dead). */
const onDeadVlan = (i: OvsInterface) => i.tag === DEAD_VLAN_TAG

/** br-int devices the agent quarantined on the dead VLAN: listed apart, not instances. */
export function deadVlanDevices(interfaces: OvsInterface[]): DeadVlanDevice[] {
  return interfaces
    .filter(i => instanceCandidate(i) && onDeadVlan(i))
    .map(i => ({device: i.name, ifaceId: i.ifaceId ?? null}))
    .sort((a, b) => a.device.localeCompare(b.device))
}

/**
 * br-int devices without a VLAN tag (read: the Port has none) on a host whose other br-int devices carry
 * local VLAN tags, i.e. where the OVS agent's wiring is the local-VLAN model: the agent tags every port it
 * wires, so it did not wire these (Neutron does not know the iface-id, or it was never asked), and OVS makes
 * an untagged port a trunk of every VLAN on the bridge. Hosts where no device is tagged (OVN, flow-based
 * controllers) give none: untagged is their normal.
 */
export function untaggedDevices(interfaces: OvsInterface[]): DeadVlanDevice[] {
  const candidates = interfaces.filter(instanceCandidate)
  const tagged = candidates.some(i => typeof i.tag === 'number' && i.tag > 0 && i.tag < DEAD_VLAN_TAG)
  if (!tagged) return []
  return candidates
    .filter(i => i.tag === null)
    .map(i => ({device: i.name, ifaceId: i.ifaceId ?? null}))
    .sort((a, b) => a.device.localeCompare(b.device))
}

/** Neutron names devices prefix + the first 11 characters of the port id; chains use the first 10. */
function portStem(device: string): string | null {
  const m = /^(?:tap|qvo|qvb|qbr)([0-9a-f-]{10,})$/i.exec(device)
  return m ? m[1]!.slice(0, 10) : null
}

/** iptables-save rules (the -A lines) that act on an instance's Linux-bridge devices or its Neutron chains. */
export function countRules(rules: string[], devices: string[]): number {
  const stems = [...new Set(devices.map(portStem).filter((s): s is string => s !== null))]
  const needles = [...devices, ...stems]
  return rules.filter(r => needles.some(n => r.includes(n))).length
}

/**
 * Which br-int ports are instances and how they are plugged, from OVS interfaces, `ip -d link`
 * and iptables. A br-int port that is a veth whose peer sits in a Linux bridge is qbr plugging
 * (the bridge's other member is the instance's tap); any other non-patch, non-internal port is a
 * direct tap/veth. Without link data the Neutron names decide (qvo… → qbr). A device on the dead
 * VLAN (tag 4095) is not an instance (see `deadVlanDevices`).
 */
export function deriveInstances(
  interfaces: OvsInterface[],
  links: LinkInfo[] | null,
  rules: string[] | null,
  uplink: {bond?: string; nic?: string; switchPort?: string} = {},
): InstancePlug[] {
  const byName = new Map((links ?? []).map(l => [l.name, l]))
  const bridgesLinux = new Set((links ?? []).filter(l => l.kind === 'bridge').map(l => l.name))
  const out: InstancePlug[] = []
  for (const i of interfaces) {
    if (!instanceCandidate(i) || onDeadVlan(i)) continue
    const link = byName.get(i.name)
    let peerName = link?.peer ?? null
    if (!peerName && /^qvo/.test(i.name)) peerName = `qvb${i.name.slice(3)}`
    const peer = peerName ? byName.get(peerName) : undefined
    const bridge =
      peer?.master && (bridgesLinux.has(peer.master) || links === null)
        ? peer.master
        : links === null && /^qvo/.test(i.name)
          ? `qbr${i.name.slice(3)}`
          : null
    if (bridge) {
      const members = (links ?? []).filter(l => l.master === bridge && l.name !== peerName).map(l => l.name)
      const tap = members[0] ?? `tap${i.name.slice(3)}`
      const devices = [tap, bridge, peerName ?? '', i.name].filter(Boolean)
      out.push(
        plug(
          'qbr',
          i.name,
          {tap, qbr: bridge, qvb: peerName ?? undefined, qvo: i.name, ...uplink},
          bridge,
          rules ? countRules(rules, devices) : null,
        ),
      )
    } else {
      out.push(plug('direct', i.name, {tap: i.name, ...uplink}, null, null))
    }
  }
  return out.sort((a, b) => a.device.localeCompare(b.device))
}
