import {type LeafPushOutcome, reconcileLeaves} from '../backends/sim/leaf-reconcile.js'
import type {PlaneState, Port} from '../model/types.js'
import type {FabricStore} from '../store/fabric-store.js'
import {hasFault} from './faults.js'
import {deviceName} from './generator.js'

/**
 * The simulated OVS agents and controller (DESIGN.md §1 steps 4–8, §2 state machine). Every
 * function runs inside the caller's `store.tx()`, so a bind, a migrate or a release is one
 * all-or-nothing change.
 *
 * bind → BUILD/BUILD; the host's agent wires the device on br-int (tap… or qvo… + port id[:11],
 * a local VLAN per network per host, the next ofport) → underlay ACTIVE, or stays BUILD when the
 * agent is down (agent-down), ERROR when OVS is down (ovs-down); bare metal has no OVS: underlay
 * ACTIVE without a device. The controller (when it holds the port) records the host and pushes
 * the affected leaves through the leaf reconcile seam → overlay ACTIVE, ERROR when a push fails
 * (leaf-unreachable, push-fail), BUILD when the controller lacks the port.
 */

export interface AgentWiring {
  host: string
  /** Device on br-int, null when none was wired (bare metal, agent down, OVS down). */
  device: string | null
  localVlan: number | null
  ofport: number | null
  underlay: PlaneState
  reason: string
}

export interface BindOutcome {
  portId: string
  name: string
  host: string
  wiring: AgentWiring
  underlay: PlaneState
  overlay: PlaneState
  /** Why each plane ended where it did, in spawn-flow order. */
  reasons: string[]
}

export interface RemovedDevice {
  host: string
  device: string
  portId: string
}

export interface LeafTouch extends LeafPushOutcome {
  /** Which side of a move the leaf serves: the port's old host, its new host, or both. */
  side: 'old' | 'new' | 'both'
}

export interface BindResult {
  outcomes: BindOutcome[]
  leaves: LeafTouch[]
  removed: RemovedDevice[]
}

interface HostFacts {
  name: string
  az: string
  role: string
  ovs_version: string | null
  ovs_running: number
  plugging: 'direct' | 'qbr'
  agent_alive: number
}

/** Per-call caches: one bind of 10,000 ports on a host must not rescan br-int per port. */
class WiringCache {
  private readonly hosts = new Map<string, HostFacts | undefined>()
  private readonly vlans = new Map<string, Map<string, number>>()
  private readonly ofports = new Map<string, number>()
  private readonly leaves = new Map<string, string[]>()

  constructor(private readonly store: FabricStore) {}

  host(name: string): HostFacts | undefined {
    if (!this.hosts.has(name)) {
      this.hosts.set(
        name,
        this.store
          .sql('SELECT name, az, role, ovs_version, ovs_running, plugging, agent_alive FROM hosts WHERE name = ?')
          .get(name) as HostFacts | undefined,
      )
    }
    return this.hosts.get(name)
  }

  /** network → local VLAN on this host's br-int (the OVS agent's per-host mapping). */
  localVlans(host: string): Map<string, number> {
    let m = this.vlans.get(host)
    if (!m) {
      m = new Map()
      const rows = this.store
        .sql(
          'SELECT DISTINCT p.network AS network, o.local_vlan AS vlan FROM ovs_ports o JOIN ports p ON p.id = o.port_id WHERE o.host = ?',
        )
        .all(host) as {network: string; vlan: number}[]
      for (const r of rows) m.set(r.network, r.vlan)
      this.vlans.set(host, m)
    }
    return m
  }

  nextOfport(host: string): number {
    let n = this.ofports.get(host)
    // ofport 1 is int-br-bond on br-int.
    if (n === undefined)
      n = (
        this.store.sql('SELECT coalesce(max(ofport), 1) AS m FROM ovs_ports WHERE host = ?').get(host) as {m: number}
      ).m
    n += 1
    this.ofports.set(host, n)
    return n
  }

  /** The leaves the controller believes a host is cabled to (its host→leaf map). */
  controllerLeaves(host: string): string[] {
    let l = this.leaves.get(host)
    if (!l)
      this.leaves.set(
        host,
        (l = (
          this.store.sql('SELECT leaf FROM controller_host_map WHERE host = ? ORDER BY leaf').all(host) as {
            leaf: string
          }[]
        ).map(r => r.leaf)),
      )
    return l
  }

  topology(az: string): string {
    return (
      (this.store.sql('SELECT topology FROM azs WHERE name = ?').get(az) as {topology: string} | undefined)?.topology ??
      'spine-leaf'
    )
  }
}

function freeLocalVlan(used: Map<string, number>): number {
  const taken = new Set(used.values())
  for (let v = 1; v <= 4094; v++) if (!taken.has(v)) return v
  return 4095 // OVS's "dead VLAN": br-int is full
}

/** Step 4–5: the device appears on the host and its agent wires it (or does not). */
export function agentWire(
  store: FabricStore,
  port: Pick<Port, 'id' | 'network'>,
  hostName: string,
  cache = new WiringCache(store),
): AgentWiring {
  const host = cache.host(hostName)
  if (!host)
    return {
      host: hostName,
      device: null,
      localVlan: null,
      ofport: null,
      underlay: 'ERROR',
      reason: `host ${hostName} is unknown`,
    }
  if (host.role === 'baremetal' || host.ovs_version === null) {
    return {
      host: hostName,
      device: null,
      localVlan: null,
      ofport: null,
      underlay: 'ACTIVE',
      reason: "bare-metal host: no OVS, the bond is the instance's own NIC",
    }
  }
  const device = deviceName(host.plugging === 'qbr' ? 'qvo' : 'tap', port.id)
  const existing = store
    .sql('SELECT local_vlan, ofport FROM ovs_ports WHERE host = ? AND device = ?')
    .get(hostName, device) as {local_vlan: number; ofport: number} | undefined
  if (host.agent_alive === 0 || hasFault(store, 'agent-down', hostName)) {
    return {
      host: hostName,
      device: existing ? device : null,
      localVlan: existing?.local_vlan ?? null,
      ofport: existing?.ofport ?? null,
      underlay: 'BUILD',
      reason: `the OVS agent on ${hostName} is down: the device is not wired, underlay stays BUILD`,
    }
  }
  if (host.ovs_running === 0) {
    return {
      host: hostName,
      device: null,
      localVlan: null,
      ofport: null,
      underlay: 'ERROR',
      reason: `ovs-vswitchd is not running on ${hostName}: the agent cannot add ${device} to br-int`,
    }
  }
  if (existing)
    return {
      host: hostName,
      device,
      localVlan: existing.local_vlan,
      ofport: existing.ofport,
      underlay: 'ACTIVE',
      reason: `${device} already on br-int (VLAN ${existing.local_vlan})`,
    }
  const vlans = cache.localVlans(hostName)
  let localVlan = vlans.get(port.network)
  if (localVlan === undefined) vlans.set(port.network, (localVlan = freeLocalVlan(vlans)))
  const ofport = cache.nextOfport(hostName)
  store
    .sql('INSERT INTO ovs_ports(host, device, port_id, local_vlan, ofport) VALUES (?, ?, ?, ?, ?)')
    .run(hostName, device, port.id, localVlan, ofport)
  return {
    host: hostName,
    device,
    localVlan,
    ofport,
    underlay: 'ACTIVE',
    reason: `agent wired ${device} on br-int of ${hostName}, local VLAN ${localVlan}, ofport ${ofport}`,
  }
}

/** The vNIC is deleted: its device leaves br-int wherever it is (or only on `host`). */
export function agentUnwire(store: FabricStore, portId: string, host?: string): RemovedDevice[] {
  const rows = store
    .sql('SELECT host, device, port_id FROM ovs_ports WHERE port_id = ? AND (? IS NULL OR host = ?)')
    .all(portId, host ?? null, host ?? null) as {host: string; device: string; port_id: string}[]
  if (rows.length > 0)
    store
      .sql('DELETE FROM ovs_ports WHERE port_id = ? AND (? IS NULL OR host = ?)')
      .run(portId, host ?? null, host ?? null)
  return rows.map(r => ({host: r.host, device: r.device, portId: r.port_id}))
}

/** Step 3: Neutron sends new ports to the controller, which stores them (the statement looked up once per batch). */
export function controllerStorer(
  store: FabricStore,
): (port: Pick<Port, 'id' | 'network' | 'host' | 'ip' | 'mac'>) => void {
  const ins = store.sql(
    'INSERT OR REPLACE INTO controller_ports(port_id, network, host, ip, mac) VALUES (?, ?, ?, ?, ?)',
  )
  return port => void ins.run(port.id, port.network, port.host, port.ip, port.mac)
}

/** Neutron tells the controller about a host change; false when the controller has no record of the port. */
function controllerSetHost(store: FabricStore, portId: string, host: string | null): boolean {
  return store.sql('UPDATE controller_ports SET host = ? WHERE port_id = ?').run(host, portId).changes > 0
}

function mergeLeaves(pushes: LeafPushOutcome[], oldLeaves: Set<string>, newLeaves: Set<string>): LeafTouch[] {
  return pushes.map(p => ({
    ...p,
    side: oldLeaves.has(p.leaf) && newLeaves.has(p.leaf) ? 'both' : newLeaves.has(p.leaf) ? 'new' : 'old',
  }))
}

/**
 * Steps 6–8 for ports bound (or moved) to `host`: host_id set, BUILD/BUILD, the agent wires the
 * device, the controller records the host and pushes the leaves of the new host — and of each
 * port's previous host, whose interfaces drop a network's VLAN when no port of it remains there
 * (the desired-state code decides that). A device left on a previous host is removed first.
 */
export function bindPorts(store: FabricStore, ports: readonly Port[], host: string): BindResult {
  const cache = new WiringCache(store)
  const now = store.now()
  const removed: RemovedDevice[] = []
  const oldLeaves = new Set<string>()
  const setHost = store.sql(
    `UPDATE ports SET host = ?, underlay = 'BUILD', overlay = 'BUILD', updated_at = ? WHERE id = ?`,
  )
  for (const p of ports) {
    if (p.host !== null && p.host !== host) {
      // Faults for drift fencing (issue 17): the old host keeps the device (a stale plug, or a host cut off).
      const keeps =
        hasFault(store, 'stale-device', p.id) ||
        hasFault(store, 'stale-foreign-device', p.id) ||
        hasFault(store, 'old-host-unreachable', p.host)
      if (!keeps) removed.push(...agentUnwire(store, p.id, p.host))
      for (const l of cache.controllerLeaves(p.host)) oldLeaves.add(l)
    }
    setHost.run(host, now, p.id)
  }
  const wirings = ports.map(p => agentWire(store, p, host, cache))
  const known = ports.map(p => controllerSetHost(store, p.id, host))
  const newLeaves = new Set(cache.controllerLeaves(host))
  const pushes = reconcileLeaves(store, [...newLeaves, ...oldLeaves], {source: 'controller'})
  const failed = pushes.filter(p => !p.ok && newLeaves.has(p.leaf))
  const facts = cache.host(host)
  const hierarchical = facts ? cache.topology(facts.az) === 'hierarchical' : false
  const setState = store.sql('UPDATE ports SET underlay = ?, overlay = ?, updated_at = ? WHERE id = ?')
  const outcomes = ports.map((p, i): BindOutcome => {
    const wiring = wirings[i]!
    const reasons = [wiring.reason]
    let overlay: PlaneState
    if (!known[i]) {
      overlay = 'BUILD'
      reasons.push('the controller has no record of this port: it cannot configure the leaves, overlay stays BUILD')
    } else if (newLeaves.size === 0) {
      overlay = hierarchical ? 'ACTIVE' : 'ERROR'
      reasons.push(
        hierarchical
          ? 'hierarchical AZ: VLAN only, no leaf configuration to push'
          : `the controller maps host ${host} to no leaf interface: nothing to configure`,
      )
    } else if (failed.length > 0) {
      overlay = 'ERROR'
      reasons.push(...failed.map(f => `controller push failed: ${f.error ?? f.leaf}`))
    } else {
      overlay = 'ACTIVE'
      reasons.push(`controller configured ${[...newLeaves].join(', ')}`)
    }
    setState.run(wiring.underlay, overlay, now, p.id)
    return {portId: p.id, name: p.name, host, wiring, underlay: wiring.underlay, overlay, reasons}
  })
  return {outcomes, leaves: mergeLeaves(pushes, oldLeaves, newLeaves), removed}
}

/** Unbind: devices removed, host cleared (DOWN/DOWN), the controller told, the old hosts' leaves reconciled. */
export function unbindPorts(
  store: FabricStore,
  ports: readonly Port[],
): {removed: RemovedDevice[]; leaves: LeafTouch[]} {
  const cache = new WiringCache(store)
  const removed: RemovedDevice[] = []
  const oldLeaves = new Set<string>()
  const now = store.now()
  for (const p of ports) {
    removed.push(...agentUnwire(store, p.id))
    if (p.host) for (const l of cache.controllerLeaves(p.host)) oldLeaves.add(l)
    store
      .sql(`UPDATE ports SET host = NULL, underlay = 'DOWN', overlay = 'DOWN', updated_at = ? WHERE id = ?`)
      .run(now, p.id)
    controllerSetHost(store, p.id, null)
  }
  const pushes = reconcileLeaves(store, oldLeaves, {source: 'controller'})
  return {removed, leaves: mergeLeaves(pushes, oldLeaves, new Set())}
}

/** Release: devices removed, the controller forgets the ports, the ports are deleted, old leaves reconciled. */
export function deletePorts(
  store: FabricStore,
  ports: readonly Port[],
): {removed: RemovedDevice[]; leaves: LeafTouch[]} {
  const cache = new WiringCache(store)
  const removed: RemovedDevice[] = []
  const oldLeaves = new Set<string>()
  for (const p of ports) {
    removed.push(...agentUnwire(store, p.id))
    if (p.host) for (const l of cache.controllerLeaves(p.host)) oldLeaves.add(l)
    store.sql('DELETE FROM controller_ports WHERE port_id = ?').run(p.id)
    store.sql('DELETE FROM ports WHERE id = ?').run(p.id)
  }
  const pushes = reconcileLeaves(store, oldLeaves, {source: 'controller'})
  return {removed, leaves: mergeLeaves(pushes, oldLeaves, new Set())}
}
