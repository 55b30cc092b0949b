/**
 * The fabric's domain model (DESIGN.md §1–§3). One model for every command and both backends:
 * the simulated store maps its rows onto these types, the live backend builds them from Neutron,
 * the SSH inventory and the leaves.
 */

export type Topology = 'spine-leaf' | 'hierarchical'
export type SwitchRole = 'spine' | 'leaf' | 'access' | 'aggregation' | 'core'
/** What a host runs. A bare-metal host *is* its instance: no OVS, the instance owns the bond. */
export type HostRole = 'hypervisor' | 'container' | 'baremetal'
export type InstanceKind = 'vm' | 'container' | 'baremetal'
/** direct: tap → br-int. qbr: tap → qbr (Linux bridge, iptables) → qvb ⇄ qvo → br-int (legacy security groups). */
export type Plugging = 'direct' | 'qbr'
export type PlaneState = 'DOWN' | 'BUILD' | 'ACTIVE' | 'ERROR'
export const PLANE_STATES: readonly PlaneState[] = ['DOWN', 'BUILD', 'ACTIVE', 'ERROR']

export interface Az {
  name: string
  topology: Topology
}

export interface Switch {
  name: string
  az: string
  role: SwitchRole
  /** Leaves (and access switches) come in pairs; hosts are dual-homed to both members. */
  pair: string | null
  asn: number | null
  /** VTEP / loopback address (spine-leaf). */
  vtep: string | null
  /** Management address the live backend reaches it on (SSH). */
  address: string | null
  /** Driver for configuration pushes: 'sim', 'frr', ... */
  driver: string
}

export interface Nic {
  name: string
  /** Switch this NIC is cabled to, and the switch-side interface. */
  switch: string
  interface: string
  speedMbps: number
  /** null: the link state was not read (a live host's inventory; `audit hosts` reads it). */
  up: boolean | null
}

export interface KernelInfo {
  version: string
  /** CONFIG_* flags as read from the kernel config: 'y' | 'm' | 'n' (absent means unknown). */
  config: Record<string, string> | null
  bpffsMounted: boolean | null
  jitEnabled: boolean | null
}

export interface Host {
  name: string
  az: string
  role: HostRole
  address: string | null
  /** null: no Open vSwitch on this host (bare metal). */
  ovsVersion: string | null
  /** null: not read (see `unknown`). */
  ovsRunning: boolean | null
  plugging: Plugging
  bond: string
  nics: Nic[]
  kernel: KernelInfo
  /** null: not read (see `unknown`). */
  agentAlive: boolean | null
  /** ISO time of the last agent heartbeat (now when alive); null: not read. */
  agentHeartbeatAt: string | null
  /** Why a fact above is null (unknown, never a default): field name → reason. Absent when every fact was read. */
  unknown?: Partial<Record<'ovsVersion' | 'ovsRunning' | 'agentAlive' | 'nics' | 'kernel', string>>
}

export interface Tenant {
  name: string
  vrf: string
  l3Vni: number
}

/** The default VRF: no tenant VRF (no L3 VNI, no table of its own); a live native fabric's gateways sit in it. */
export const DEFAULT_VRF = 'default'
export const isTenantVrf = (vrf: string): boolean => vrf !== DEFAULT_VRF

export interface Network {
  id: string
  name: string
  az: string
  tenant: string
  cidr: string
  gateway: string
  vlan: number
  /** null in a hierarchical AZ: VLAN only, gateway on the core. */
  l2Vni: number | null
  labels: string[]
}

export interface Instance {
  name: string
  kind: InstanceKind
  host: string | null
}

export interface Port {
  id: string
  /** Unique across the fabric (the CNI derives it from pod labels). */
  name: string
  network: string
  ip: string
  mac: string
  host: string | null
  instance: string | null
  underlay: PlaneState
  overlay: PlaneState
  createdAt: string
  updatedAt: string
}

export function portState(p: Pick<Port, 'underlay' | 'overlay'>): string {
  return `${p.underlay}_${p.overlay}`
}

/** A device on a host's br-int, as the OVS agent wired it. */
export interface OvsPort {
  host: string
  /** Name on br-int: tapXXXXXXXXXXX (direct) or qvoXXXXXXXXXXX (qbr). */
  device: string
  portId: string
  localVlan: number
  ofport: number
}

/** The controller's (CNC's) own record of a port. */
export interface ControllerPort {
  portId: string
  network: string
  host: string | null
  ip: string
  mac: string
}

/** The controller's belief of which leaf interfaces a host is cabled to. */
export interface HostLeafMapping {
  host: string
  leaf: string
  interface: string
}

/** A leaf's configuration (desired or running), DESIGN.md §3. Keys sorted when serialised. */
export interface LeafConfig {
  /** L2 VNIs by VNI number (as string key). */
  vnis: Record<string, LeafVni>
  /** Tenant VRFs by name. */
  vrfs: Record<string, {l3Vni: number}>
  /** Host-facing interfaces and the VLANs allowed on them. */
  interfaces: Record<string, {vlans: number[]}>
}

export interface LeafVni {
  vni: number
  vlan: number
  network: string
  vrf: string
  /** EVPN route target for this VNI. */
  routeTarget: string
  /** Anycast gateway: address with prefix length, and the shared anycast MAC. */
  gateway: {address: string; mac: string}
}

export const ANYCAST_GATEWAY_MAC = '00:00:5e:00:01:01'

export function emptyLeafConfig(): LeafConfig {
  return {vnis: {}, vrfs: {}, interfaces: {}}
}
