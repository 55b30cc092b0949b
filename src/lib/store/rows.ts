import type {Host, Network, Nic, Port, Switch} from '../model/types.js'

/** Row shapes as stored, and their mapping onto the domain model. */
export interface HostRow {
  name: string
  az: string
  role: Host['role']
  address: string | null
  ovs_version: string | null
  ovs_running: number
  plugging: Host['plugging']
  bond: string
  kernel_version: string
  kernel_config: string | null
  bpffs_mounted: number | null
  jit_enabled: number | null
  agent_alive: number
  agent_heartbeat_at: string
}
export interface CablingRow {
  host: string
  nic: string
  switch: string
  interface: string
  speed_mbps: number
  up: number
}
export interface SwitchRow {
  name: string
  az: string
  role: Switch['role']
  pair: string | null
  asn: number | null
  vtep: string | null
  address: string | null
  driver: string
}
export interface NetworkRow {
  id: string
  name: string
  az: string
  tenant: string
  cidr: string
  gateway: string
  vlan: number
  l2_vni: number | null
  labels: string | null
}
export interface PortRow {
  id: string
  name: string
  network: string
  ip: string
  ip_num: number
  mac: string
  host: string | null
  instance: string | null
  underlay: Port['underlay']
  overlay: Port['overlay']
  created_at: string
  updated_at: string
}

const bool = (v: number | null): boolean | null => (v === null ? null : v !== 0)

export function toNic(r: CablingRow): Nic {
  return {name: r.nic, switch: r.switch, interface: r.interface, speedMbps: r.speed_mbps, up: r.up !== 0}
}

/** `now` stands in for the heartbeat of a live agent: the simulated agents beat continuously. */
export function toHost(r: HostRow, cabling: CablingRow[], now: string): Host {
  return {
    name: r.name,
    az: r.az,
    role: r.role,
    address: r.address,
    ovsVersion: r.ovs_version,
    ovsRunning: r.ovs_running !== 0,
    plugging: r.plugging,
    bond: r.bond,
    nics: cabling.map(toNic),
    kernel: {
      version: r.kernel_version,
      config: r.kernel_config === null ? null : (JSON.parse(r.kernel_config) as Record<string, string>),
      bpffsMounted: bool(r.bpffs_mounted),
      jitEnabled: bool(r.jit_enabled),
    },
    agentAlive: r.agent_alive !== 0,
    agentHeartbeatAt: r.agent_alive !== 0 ? now : r.agent_heartbeat_at,
  }
}

export function toSwitch(r: SwitchRow): Switch {
  return {
    name: r.name,
    az: r.az,
    role: r.role,
    pair: r.pair,
    asn: r.asn,
    vtep: r.vtep,
    address: r.address,
    driver: r.driver,
  }
}

export function toNetwork(r: NetworkRow): Network {
  return {
    id: r.id,
    name: r.name,
    az: r.az,
    tenant: r.tenant,
    cidr: r.cidr,
    gateway: r.gateway,
    vlan: r.vlan,
    l2Vni: r.l2_vni,
    labels: r.labels ? r.labels.split(',').sort() : [],
  }
}

export function toPort(r: PortRow): Port {
  return {
    id: r.id,
    name: r.name,
    network: r.network,
    ip: r.ip,
    mac: r.mac,
    host: r.host,
    instance: r.instance,
    underlay: r.underlay,
    overlay: r.overlay,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}
