import type {HostRole, InstanceKind, LeafConfig, PlaneState, Plugging, SwitchRole, Topology} from '../model/types.js'

/**
 * The trace model. Evidence (what the store or the live components say) goes in, a `Trace` comes
 * out of `computeTrace` — a pure function, so the simulated and the live backends share it.
 */

export type Proto = 'tcp' | 'udp' | 'icmp'

export interface FlowSpec {
  proto: Proto
  /** 0 for icmp. */
  sport: number
  dport: number
}

export interface Flow extends FlowSpec {
  srcIp: string
  dstIp: string
}

// --- evidence ---------------------------------------------------------------------------------

export interface PortEvidence {
  id: string
  name: string
  ip: string
  mac: string
  network: string
  host: string | null
  instance: string | null
  underlay: PlaneState
  overlay: PlaneState
}

export interface NetworkEvidence {
  name: string
  az: string
  tenant: string
  /** The tenant's VRF and its L3 VNI (null: unknown, e.g. a live fabric without VRFs). */
  vrf: string | null
  l3Vni: number | null
  vlan: number
  l2Vni: number | null
  /** Why l2Vni is null (live: no leaf read carries a VNI for the network, or none could be read); never a default. */
  l2VniUnknown?: string
  cidr: string
  gateway: string
}

export interface NicEvidence {
  name: string
  switch: string
  interface: string
  /** null: the link state was not read (why: `upUnknown`); such a NIC is chosen only when none is known up. */
  up: boolean | null
  upUnknown?: string
}

export interface HostEvidence {
  name: string
  az: string
  role: HostRole
  plugging: Plugging
  /** false on bare metal: no Open vSwitch at all. */
  ovsPresent: boolean
  /** null: not read (why: `unknown.ovsRunning`); only false is a drop (OVS_DOWN). */
  ovsRunning: boolean | null
  /** null: no agent reports for this host (Neutron lists none): not evidence either way. */
  agentAlive: boolean | null
  agentHeartbeatAt: string | null
  /** The uplink bond as read (live: the host probe's bond); null: none was read (why: `unknown.bond`). */
  bond: string | null
  nics: NicEvidence[]
  /**
   * The member that carries the flow when the evidence says so (live: an active-backup bond's
   * active member, or the NIC ofproto/trace outputs to). Unset: the bond hashes the flow.
   */
  activeMember?: string | null
  /** Bridge and patch-port names (DESIGN.md §1: br-int, br-bond, int-br-bond, phy-br-bond). */
  bridges: {int: string; bond: string; patchInt: string; patchPhy: string}
  /** Why a fact above is null (a fact not read is unknown, never assumed); the hops that rest on it carry the reason. */
  unknown?: Partial<Record<'ovsRunning' | 'bond', string>>
}

/** One verdict read from the host itself (live: `ovs-appctl ofproto/trace`). */
export interface InHostVerdict {
  ok: boolean
  /** What the evidence says, in a line (e.g. the datapath actions). */
  detail: string
  /** The command that produced it. */
  source: string
  /** The 802.1Q tag on the wire at the bond member (null: untagged, e.g. a leaf with access ports); unset: not observed. */
  wireVlan?: number | null
  /**
   * Set when the verdict could not be established (e.g. the routed frame's destination MAC, the gateway's, is
   * unknown): why. `ok` is then not evidence either way; the hop carries this as `unknown`.
   */
  unknown?: string
}

/** How one port is plugged into its host. */
export interface AttachmentEvidence {
  /** Name of the interface inside the instance (eth0). */
  vnic: string
  /** Host end of the instance's link: the VM's tap or the container's veth. */
  hostEnd: string
  hostEndKind: 'tap' | 'veth'
  /** false when the host end is known to be absent (live: not found on the host); null: not read (why: `hostEndUnknown`). */
  hostEndPresent: boolean | null
  hostEndUnknown?: string
  /** Legacy security-group plugging: tap → qbr → qvb ⇄ qvo → br-int. */
  qbr: {bridge: string; qvb: string; qvo: string} | null
  /** The device as the OVS agent wired it on br-int (`ovs_ports`); null: not a port of br-int (or not read: `wiringUnknown`). */
  brInt: {device: string; localVlan: number; ofport: number} | null
  /**
   * Set when br-int's wiring could not be read (live: the OVS tables): why. `brInt` and the port's underlay are then
   * not evidence: no DEVICE_NOT_ON_BR_INT or PORT_NOT_ACTIVE_ACTIVE is concluded, the br-int hop carries this as unknown.
   */
  wiringUnknown?: string
  /** Live: br-int's own verdict for this port's frames (ofproto/trace), outbound and inbound. */
  verdictOut?: InHostVerdict
  verdictIn?: InHostVerdict
}

export interface EndpointEvidence {
  /** As the user gave it. */
  ref: string
  port: PortEvidence
  instanceKind: InstanceKind | null
  network: NetworkEvidence
  /** null: the port is unbound, or its host is not known. */
  host: HostEvidence | null
  /** null on bare metal (no OVS) and for unbound ports. */
  attachment: AttachmentEvidence | null
}

export interface SwitchEvidence {
  name: string
  role: SwitchRole
  az: string
  pair: string | null
  vtep: string | null
  /** Why vtep is null (live: the leaf's VXLAN devices do not tell one, or disagree with the inventory). */
  vtepUnknown?: string
  /** The leaf answers (management plane); false: it does not, its forwarding is not vouched for. */
  reachable: boolean
  /** A spine is healthy when it can carry traffic (see docs/trace.md for each backend's rule). */
  healthy: boolean
  /** Set when the health could not be read (live: no leaf's EVPN sessions could be read): why. The switch is then not left out. */
  healthUnknown?: string
  /** The leaf's running configuration; null when not known or not modelled (spines, access, core). */
  running: LeafConfig | null
  /** Where `running` came from (sim: the store; live: the commands run on the leaf). */
  runningSource?: string
}

export interface TraceEvidence {
  backend: 'sim' | 'live'
  context: string
  az: {name: string; topology: Topology}
  src: EndpointEvidence
  dst: EndpointEvidence
  /** The switches of the AZ a path may cross: the leaves (or access switches) the two hosts are cabled to, spines, aggregation, core. */
  switches: SwitchEvidence[]
  /** Things worth knowing that do not break forwarding now (e.g. pushes to a leaf failing). */
  warnings: string[]
}

// --- result -----------------------------------------------------------------------------------

export type HopKind =
  | 'vnic'
  | 'tap'
  | 'veth'
  | 'linux-bridge'
  | 'ovs-bridge'
  | 'ovs-patch'
  | 'bond'
  | 'nic'
  | 'switch-port'
  | 'leaf'
  | 'spine'
  | 'access'
  | 'aggregation'
  | 'core'

export type HopStatus = 'ok' | 'drop' | 'not-reached'

/** src-end/dst-end: an end's host devices and its switch port (DESIGN.md §1 counts both); fabric: the switches. */
export type Segment = 'src-end' | 'fabric' | 'dst-end'

export interface Encapsulation {
  /** 802.1Q tag the frame carries at this device (null: untagged). */
  vlan: number | null
  /** VXLAN VNI (L2 VNI when bridged, L3 VNI when routed between leaves). */
  vni: number | null
  vrf: string | null
  /** VXLAN outer header between VTEPs. */
  outer: {srcVtep: string; dstVtep: string; udpSrcPort: number; udpDstPort: number} | null
}

export interface TraceHop {
  n: number
  /** The physical node: host or switch name. */
  node: string
  nodeKind: 'host' | SwitchRole
  device: string
  kind: HopKind
  plane: 'underlay' | 'overlay'
  segment: Segment
  encap: Encapsulation
  /** What the device does to the frame. */
  action: string
  status: HopStatus
  cause: CauseCode | null
  reason: string | null
  /** Where the hop's facts come from (store table, command). */
  evidence: string | null
  /** What this hop could not establish, and why (a fact not read is unknown, never assumed); absent: nothing. */
  unknown?: string
}

/** Stable cause codes for a drop (docs/trace.md lists each with the fault that produces it). */
export const CAUSE_CODES = [
  'PORT_UNBOUND',
  'HOST_UNKNOWN',
  'PORT_NOT_ACTIVE_ACTIVE',
  'DEVICE_MISSING',
  'DEVICE_NOT_ON_BR_INT',
  'OVS_DOWN',
  'AGENT_DOWN',
  'LOCAL_VLAN_MISMATCH',
  'OVS_FLOW_DROP',
  'BOND_NO_LINK',
  'LEAF_UNREACHABLE',
  'LEAF_CONFIG_UNKNOWN',
  'LEAF_VLAN_MISSING',
  'LEAF_VNI_MISSING',
  'LEAF_VRF_MISSING',
  'NO_ROUTE_BETWEEN_TENANTS',
  'NO_HEALTHY_SPINE',
  'NO_UPLINK',
  'HOST_NO_LINK',
  'HOST_UNREACHABLE',
] as const
export type CauseCode = (typeof CAUSE_CODES)[number]

export interface TraceEndpoint {
  ref: string
  port: {id: string; name: string; ip: string; mac: string; network: string; state: string}
  instance: string | null
  instanceKind: InstanceKind | null
  host: string | null
  plugging: Plugging | 'baremetal' | null
  network: {name: string; tenant: string; vrf: string | null; vlan: number; l2Vni: number | null; l3Vni: number | null}
}

export interface Trace {
  kind: 'Trace'
  schemaVersion: 1
  context: string
  backend: 'sim' | 'live'
  az: string
  topology: Topology
  flow: Flow
  src: TraceEndpoint
  dst: TraceEndpoint
  /** local: one host, same network (br-int only); bridged: same network across the fabric; routed: between networks at the gateway; none: no route. */
  route: 'local' | 'bridged' | 'routed' | 'none'
  hops: TraceHop[]
  disposition:
    | {result: 'delivered'; hop: null; node: null; device: null; cause: null; reason: null}
    | {result: 'dropped'; hop: number; node: string; device: string; cause: CauseCode; reason: string}
  /** ECMP across spines (spine-leaf, across leaves only). */
  ecmp: {candidates: string[]; chosen: string | null; outerUdpSrcPort: number; hash: string} | null
  summary: {
    /** Hops on hosts including each end's switch port (DESIGN.md §1: 9 direct / 12 qbr per end). */
    hostHops: number
    switchHops: number
    totalHops: number
    /** false when the path could not be built past the drop (no route, no link, no spine). */
    complete: boolean
  }
  warnings: string[]
}
