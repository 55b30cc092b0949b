import {notFound, usageError} from '../cli/errors.js'
import type {Host, LeafConfig, PlaneState, Topology} from '../model/types.js'
import {usableCount} from '../model/addressing.js'
import type {FabricStore} from '../store/fabric-store.js'
import {toHost, type CablingRow, type HostRow} from '../store/rows.js'
import {AGENT_STALE_AFTER_MS} from './catalogue.js'
import {leafConfigGaps} from './steps.js'
import {type CleanPortEvidence, type LeafEvidence, type PortEvidence, SIM_ORIGIN} from './types.js'
import {portNames} from '../store/names.js'

/**
 * The simulated fabric's evidence gatherer: reads the store in bulk (a handful of queries per
 * scope, never per port) and hands each port's evidence to the pure step logic.
 */

interface PortRowX {
  id: string
  name: string
  network: string
  ip: string
  mac: string
  host: string | null
  instance: string | null
  underlay: PlaneState
  overlay: PlaneState
  instance_host: string | null
}
interface NetX {
  name: string
  az: string
  cidr: string
  gateway: string
  vlan: number
  l2Vni: number | null
  vrf: string | null
  l3Vni: number | null
  topology: Topology
}

const PORT_COLS = `p.id, p.name, p.network, p.ip, p.mac, p.host, p.instance, p.underlay, p.overlay, i.host AS instance_host`

export interface SimScope {
  /** Only ports in this AZ. */
  az?: string
  /** Only ports in this UNDERLAY_OVERLAY state. */
  state?: string
  /** Build every port's full evidence, no fast path (the reference the fast path is tested against). */
  full?: boolean
}

/** Index of everything diagnose reads, for a set of AZs. */
class SimIndex {
  readonly now: string
  readonly nets = new Map<string, NetX>()
  readonly hosts = new Map<string, Host>()
  readonly ovsByPort = new Map<string, {host: string; device: string; localVlan: number; ofport: number}[]>()
  /** host → network → tag → count of devices; host → tag → network → count. */
  readonly tagsByNet = new Map<string, Map<string, Map<number, number>>>()
  readonly netsByTag = new Map<string, Map<number, Map<string, number>>>()
  readonly ctlPorts = new Map<string, {network: string; host: string | null; ip: string; mac: string}>()
  readonly ctlMap = new Map<string, {leaf: string; interface: string}[]>()
  readonly leaves = new Map<string, LeafEvidence>()
  readonly leftovers = new Map<string, PortEvidence['leftovers']>()
  readonly used = new Map<string, number>()
  readonly dupes = new Map<string, {id: string; name: string; network: string}[]>()
  readonly faults: {id: number; kind: string; target: string}[]
  readonly faultsByTarget = new Map<string, {id: number; kind: string; target: string}[]>()

  constructor(
    private readonly store: FabricStore,
    azs: readonly string[],
    hostNames: readonly string[] | null,
    focus?: {network: string; ip: string},
  ) {
    const focusNetwork = focus?.network
    this.now = store.now()
    const azSet = new Set(azs)
    const inAz = (az: string) => azSet.has(az)
    for (const n of store
      .sql(
        `SELECT n.name, n.az, n.cidr, n.gateway, n.vlan, n.l2_vni, t.vrf, t.l3_vni, a.topology FROM networks n
        LEFT JOIN tenants t ON t.name = n.tenant JOIN azs a ON a.name = n.az`,
      )
      .all() as {
      name: string
      az: string
      cidr: string
      gateway: string
      vlan: number
      l2_vni: number | null
      vrf: string | null
      l3_vni: number | null
      topology: Topology
    }[]) {
      this.nets.set(n.name, {
        name: n.name,
        az: n.az,
        cidr: n.cidr,
        gateway: n.gateway,
        vlan: n.vlan,
        l2Vni: n.l2_vni,
        vrf: n.vrf,
        l3Vni: n.l3_vni,
        topology: n.topology,
      })
    }
    // Hosts (with cabling) of the scope.
    const hostRows = hostNames
      ? hostNames
          .map(h => store.sql('SELECT * FROM hosts WHERE name = ?').get(h) as HostRow | undefined)
          .filter((r): r is HostRow => r !== undefined)
      : (store.sql('SELECT * FROM hosts').all() as HostRow[]).filter(r => inAz(r.az))
    const cabling = new Map<string, CablingRow[]>()
    const cablingRows = hostNames
      ? hostRows.flatMap(
          r => store.sql('SELECT * FROM cabling WHERE host = ? ORDER BY nic').all(r.name) as CablingRow[],
        )
      : (store
          .sql('SELECT c.* FROM cabling c JOIN hosts h ON h.name = c.host ORDER BY c.host, c.nic')
          .all() as CablingRow[])
    for (const c of cablingRows) {
      let l = cabling.get(c.host)
      if (!l) cabling.set(c.host, (l = []))
      l.push(c)
    }
    for (const r of hostRows) this.hosts.set(r.name, toHost(r, cabling.get(r.name) ?? [], this.now))
    // OVS devices on those hosts, with each device's network (for the local VLAN check).
    // Iterated, not materialised: one row alive at a time.
    type OvsRow = {
      host: string
      device: string
      port_id: string
      local_vlan: number
      ofport: number
      network: string | null
    }
    const addOvs = (o: OvsRow) => {
      if (!hostNames && !this.hosts.has(o.host)) return
      let l = this.ovsByPort.get(o.port_id)
      if (!l) this.ovsByPort.set(o.port_id, (l = []))
      l.push({host: o.host, device: o.device, localVlan: o.local_vlan, ofport: o.ofport})
      if (o.network === null) return
      bump(nested(nested(this.tagsByNet, o.host), o.network), o.local_vlan)
      bump(nested(nested(this.netsByTag, o.host), o.local_vlan), o.network)
    }
    if (hostNames) {
      const q = store.sql(
        'SELECT o.host, o.device, o.port_id, o.local_vlan, o.ofport, p.network FROM ovs_ports o LEFT JOIN ports p ON p.id = o.port_id WHERE o.host = ?',
      )
      for (const r of hostRows) for (const o of q.iterate(r.name) as IterableIterator<OvsRow>) addOvs(o)
    } else {
      const q = store.sql(
        'SELECT o.host, o.device, o.port_id, o.local_vlan, o.ofport, p.network FROM ovs_ports o JOIN hosts h ON h.name = o.host LEFT JOIN ports p ON p.id = o.port_id WHERE h.az = ?',
      )
      for (const az of azs) for (const o of q.iterate(az) as IterableIterator<OvsRow>) addOvs(o)
    }
    // Controller tables.
    for (const m of store.sql('SELECT host, leaf, interface FROM controller_host_map ORDER BY host, leaf').all() as {
      host: string
      leaf: string
      interface: string
    }[]) {
      if (!this.hosts.has(m.host)) continue
      let l = this.ctlMap.get(m.host)
      if (!l) this.ctlMap.set(m.host, (l = []))
      l.push({leaf: m.leaf, interface: m.interface})
    }
    this.faults = store.sql('SELECT id, kind, target FROM faults ORDER BY id').all() as {
      id: number
      kind: string
      target: string
    }[]
    // Indexed by target: a port looks up only the faults naming it, its network, host or leaves (issue 16:
    // thousands of irrelevant fault rows cost one Map insert each, not a scan per port).
    for (const f of this.faults) {
      let l = this.faultsByTarget.get(f.target)
      if (!l) this.faultsByTarget.set(f.target, (l = []))
      l.push(f)
    }
    const faulty = (kind: string, target: string) =>
      this.faultsByTarget.get(target)?.some(f => f.kind === kind) ?? false
    // Every leaf of the AZs: their running config (leftovers need the whole AZ).
    const leafRows = (
      store
        .sql(
          `SELECT s.name, s.az, l.running FROM switches s LEFT JOIN leaf_configs l ON l.leaf = s.name WHERE s.role = 'leaf'`,
        )
        .all() as {name: string; az: string; running: string | null}[]
    ).filter(r => inAz(r.az))
    for (const r of leafRows) {
      const reachable = !faulty('leaf-unreachable', r.name)
      this.leaves.set(r.name, {
        name: r.name,
        reachable,
        ...(reachable ? {} : {error: 'the leaf does not answer (simulated leaf-unreachable)'}),
        running: reachable && r.running ? (JSON.parse(r.running) as LeafConfig) : null,
        hasVrfs: true,
        source: 'sim leaf_configs.running',
      })
    }
    // Leftovers, per network of the AZs: a leaf interface allowing the network's VLAN while the
    // host cabled behind it (per the cabling) has no port of that network.
    const hostByIface = new Map<string, string>()
    for (const c of store.sql('SELECT host, switch, interface FROM cabling').all() as {
      host: string
      switch: string
      interface: string
    }[])
      hostByIface.set(`${c.switch}\u0000${c.interface}`, c.host)
    const hwn = (
      hostNames && focusNetwork
        ? store.sql('SELECT DISTINCT host, network FROM ports WHERE network = ? AND host IS NOT NULL').all(focusNetwork)
        : azs.flatMap(az =>
            store
              .sql(
                'SELECT DISTINCT p.host, p.network FROM ports p JOIN networks n ON n.name = p.network WHERE n.az = ? AND p.host IS NOT NULL',
              )
              .all(az),
          )
    ) as {host: string; network: string}[]
    const hostsWithNet = new Set(hwn.map(r => `${r.host}\u0000${r.network}`))
    for (const az of azs) {
      const azLeaves = leafRows.filter(r => r.az === az).map(r => this.leaves.get(r.name)!)
      const complete = azLeaves.every(l => l.reachable)
      const byVlan = new Map<number, {leaf: string; interface: string; host: string | null}[]>()
      const netByVlan = new Map<number, string>()
      for (const n of this.nets.values()) if (n.az === az) netByVlan.set(n.vlan, n.name)
      for (const l of azLeaves) {
        if (!l.running) continue
        for (const [iface, {vlans}] of Object.entries(l.running.interfaces)) {
          for (const v of vlans) {
            const net = netByVlan.get(v)
            const host = hostByIface.get(`${l.name}\u0000${iface}`) ?? null
            if (net && host && hostsWithNet.has(`${host}\u0000${net}`)) continue
            let list = byVlan.get(v)
            if (!list) byVlan.set(v, (list = []))
            list.push({leaf: l.name, interface: iface, host})
          }
        }
      }
      for (const n of this.nets.values())
        if (n.az === az && (!hostNames || !focusNetwork || n.name === focusNetwork))
          this.leftovers.set(n.name, complete ? (byVlan.get(n.vlan) ?? []) : null)
    }
    // Usage per network, and ports sharing an IP within a VRF (fabric-wide: a VRF may span AZs).
    for (const r of (focus
      ? store.sql('SELECT network, count(*) AS used FROM ports WHERE network = ? GROUP BY network').all(focus.network)
      : store.sql('SELECT network, count(*) AS used FROM ports GROUP BY network').all()) as {
      network: string
      used: number
    }[])
      this.used.set(r.network, r.used)
    const dupRows = (
      focus
        ? store
            .sql(
              `SELECT p.id, p.name, p.network, p.ip, coalesce(t.vrf, n.name) AS vrf FROM ports p JOIN networks n ON n.name = p.network LEFT JOIN tenants t ON t.name = n.tenant WHERE p.ip = ?`,
            )
            .all(focus.ip)
        : store
            .sql(
              `SELECT p.id, p.name, p.network, p.ip, coalesce(t.vrf, n.name) AS vrf FROM ports p JOIN networks n ON n.name = p.network LEFT JOIN tenants t ON t.name = n.tenant
      WHERE (p.ip, coalesce(t.vrf, n.name)) IN (SELECT p2.ip, coalesce(t2.vrf, n2.name) FROM ports p2 JOIN networks n2 ON n2.name = p2.network LEFT JOIN tenants t2 ON t2.name = n2.tenant
        GROUP BY p2.ip, coalesce(t2.vrf, n2.name) HAVING count(*) > 1)`,
            )
            .all()
    ) as {id: string; name: string; network: string; ip: string; vrf: string}[]
    for (const d of dupRows) {
      const k = `${d.vrf}\u0000${d.ip}`
      let l = this.dupes.get(k)
      if (!l) this.dupes.set(k, (l = []))
      l.push({id: d.id, name: d.name, network: d.network})
    }
    // The controller's ports: all of them in bulk, one lookup otherwise.
    if (!hostNames) {
      const q = store.sql(
        'SELECT c.port_id, c.network, c.host, c.ip, c.mac FROM controller_ports c JOIN networks n ON n.name = c.network WHERE n.az = ?',
      )
      for (const az of azs)
        for (const c of q.iterate(az) as IterableIterator<{
          port_id: string
          network: string
          host: string | null
          ip: string
          mac: string
        }>)
          this.ctlPorts.set(c.port_id, {network: c.network, host: c.host, ip: c.ip, mac: c.mac})
    }
    this.bulk = !hostNames
  }

  private readonly bulk: boolean

  controllerPort(id: string) {
    if (this.bulk) return this.ctlPorts.get(id) ?? null
    const r = this.store
      .sql('SELECT port_id, network, host, ip, mac FROM controller_ports WHERE port_id = ?')
      .get(id) as {network: string; host: string | null; ip: string; mac: string} | undefined
    return r ? {network: r.network, host: r.host, ip: r.ip, mac: r.mac} : null
  }

  evidence(ref: string, p: PortRowX): PortEvidence {
    const net = this.nets.get(p.network) ?? null
    const host = p.host ? (this.hosts.get(p.host) ?? null) : null
    const devices = this.ovsByPort.get(p.id) ?? []
    const dev = host ? (devices.find(d => d.host === host.name) ?? null) : null
    let ovs: PortEvidence['ovs'] = null
    if (host && host.role !== 'baremetal') {
      const own = (tag: number, n: string) => (dev && dev.localVlan === tag && n === p.network ? 1 : 0)
      const byNet = this.tagsByNet.get(host.name)?.get(p.network)
      const networkTags = byNet
        ? [...byNet]
            .filter(([tag, count]) => count - own(tag, p.network) > 0)
            .map(([tag]) => tag)
            .sort((a, b) => a - b)
        : []
      const byTag = dev ? this.netsByTag.get(host.name)?.get(dev.localVlan) : undefined
      const tagNetworks = byTag
        ? [...byTag]
            .filter(([n, count]) => count - own(dev!.localVlan, n) > 0)
            .map(([n]) => n)
            .sort()
        : []
      ovs = {
        device: dev && {name: dev.device, localVlan: dev.localVlan, ofport: dev.ofport},
        elsewhere: devices.filter(d => d.host !== host.name).map(d => d.host),
        networkTags,
        tagNetworks,
        unmanaged: [],
        source: `sim ovs_ports of ${host.name}`,
      }
    }
    const leaves: Record<string, LeafEvidence> = {}
    if (host)
      for (const n of host.nics) {
        const l = this.leaves.get(n.switch)
        if (l) leaves[l.name] = l
      }
    const exhausted = this.faultsByTarget.get(p.network)?.some(f => f.kind === 'network-exhausted') ?? false
    const vrfKey = net?.vrf ?? p.network
    return {
      backend: 'sim',
      origin: SIM_ORIGIN,
      now: this.now,
      ref,
      port: {
        id: p.id,
        name: p.name,
        network: p.network,
        ip: p.ip,
        mac: p.mac,
        host: p.host,
        instanceHost: p.instance_host,
        vifType: null,
        underlay: p.underlay,
        overlay: p.overlay,
      },
      traces: [],
      network: net && {
        name: net.name,
        az: net.az,
        cidr: net.cidr,
        gateway: net.gateway,
        vlan: net.vlan,
        l2Vni: net.l2Vni,
        vrf: net.vrf,
        l3Vni: net.l3Vni,
      },
      topology: net?.topology ?? null,
      recordAuthority: {underlay: 'agent', overlay: 'controller'},
      host: host && {
        name: host.name,
        role: host.role,
        readable: true,
        agent: {state: 'reported', heartbeatAt: host.agentHeartbeatAt},
        ovsRunning: host.role === 'baremetal' ? null : host.ovsRunning,
        nics: host.nics,
      },
      ovs,
      controller: {
        present: true,
        port: this.controllerPort(p.id),
        hostMap: host ? (this.ctlMap.get(host.name) ?? []) : [],
        mapSource: 'controller_host_map',
      },
      leaves,
      leftovers: net ? (this.leftovers.get(net.name) ?? null) : null,
      sameIp: (this.dupes.get(`${vrfKey}\u0000${p.ip}`) ?? []).filter(d => d.id !== p.id),
      networkFree: net ? (exhausted ? 0 : Math.max(0, usableCount(net.cidr) - (this.used.get(net.name) ?? 0))) : null,
      simFaults: this.faultsFor([p.id, p.network, ...(host ? [host.name, ...host.nics.map(n => n.switch)] : [])]),
    }
  }

  /** Per host: the host-level conditions of a clean port hold (see `clean`). */
  private readonly hostClean = new Map<string, boolean>()
  /** Per host and network: every reachable leaf of the host carries the network on the host's interfaces. */
  private readonly leafClean = new Map<string, boolean>()
  /** Per network: free addresses left (usable minus used). */
  private readonly free = new Map<string, number>()

  /**
   * The fast path of `--all`: true only when the index shows that `diagnosePort` would pass every step of this
   * port with no warning, so that `cleanVerdict` gives what the full walk gives. It mirrors the pass conditions of
   * steps.ts on the index, conservatively: whatever it does not prove clean (any fault naming the port, its
   * network, host or leaves; a hierarchical AZ; several local VLANs of the network on the host…) takes the full path.
   */
  clean(p: PortRowX): boolean {
    if (p.underlay !== 'ACTIVE' || p.overlay !== 'ACTIVE' || p.host === null) return false
    const net = this.nets.get(p.network)
    if (!net || net.topology === 'hierarchical' || net.l2Vni === null) return false
    const host = this.hosts.get(p.host)
    if (!host || !this.hostIsClean(host)) return false
    const f = this.faultsByTarget
    if (f.size > 0 && (f.has(p.id) || f.has(p.network))) return false
    if (host.role !== 'baremetal') {
      // device-attached: its device on this host with a usable tag, which no other network shares there and no
      // other tag of its network contradicts.
      const dev = this.ovsByPort.get(p.id)?.find(d => d.host === host.name)
      if (!dev || !(dev.localVlan > 0 && dev.localVlan < 4095)) return false
      const byNet = this.tagsByNet.get(host.name)?.get(p.network)
      if (!byNet || byNet.size !== 1 || !byNet.has(dev.localVlan)) return false
      const byTag = this.netsByTag.get(host.name)?.get(dev.localVlan)
      if (!byTag || byTag.size !== 1) return false
    }
    // controller-port: the same record.
    const c = this.ctlPorts.get(p.id)
    if (!c || c.host !== p.host || c.ip !== p.ip || c.mac !== p.mac || c.network !== p.network) return false
    // leaf-config, leftover-config (no warning), duplicate-ip, network-capacity (no warning).
    if (!this.leafIsClean(host, net)) return false
    const leftovers = this.leftovers.get(net.name)
    if (leftovers && leftovers.length > 0) return false
    if (this.dupes.size > 0 && this.dupes.has(`${net.vrf ?? p.network}\u0000${p.ip}`)) return false
    let free = this.free.get(net.name)
    if (free === undefined) this.free.set(net.name, (free = usableCount(net.cidr) - (this.used.get(net.name) ?? 0)))
    return free > 0
  }

  /** host-known, agent-alive, ovs-running, host-leaf-map, host-uplinks, leaves-reachable: one answer per host. */
  private hostIsClean(h: Host): boolean {
    const known = this.hostClean.get(h.name)
    if (known !== undefined) return known
    const f = this.faultsByTarget
    const nics = h.nics
    const map = this.ctlMap.get(h.name) ?? []
    const same = (a: {leaf: string; interface: string}, b: {switch: string; interface: string}) =>
      a.leaf === b.switch && a.interface === b.interface
    const ok =
      !(f.size > 0 && (f.has(h.name) || nics.some(n => f.has(n.switch)))) &&
      (h.role === 'baremetal' ||
        (h.agentHeartbeatAt !== null &&
          Date.parse(this.now) - Date.parse(h.agentHeartbeatAt) <= AGENT_STALE_AFTER_MS &&
          h.ovsRunning === true)) &&
      nics.length > 0 &&
      nics.every(n => n.up === true && this.leaves.get(n.switch)?.reachable === true) &&
      map.length > 0 &&
      nics.every(n => map.some(m => same(m, n))) &&
      map.every(m => nics.some(n => same(m, n)))
    this.hostClean.set(h.name, ok)
    return ok
  }

  private leafIsClean(h: Host, net: NetX): boolean {
    const key = `${h.name}\u0000${net.name}`
    let ok = this.leafClean.get(key)
    if (ok !== undefined) return ok
    ok = true
    for (const leaf of new Set(h.nics.map(n => n.switch))) {
      const running = this.leaves.get(leaf)?.running
      if (!running) continue
      const ifaces = h.nics.filter(n => n.switch === leaf).map(n => n.interface)
      if (leafConfigGaps(running, ifaces, net, true).length > 0) ok = false
    }
    this.leafClean.set(key, ok)
    return ok
  }

  /** The faults naming any of these targets, in id order (as `SELECT … ORDER BY id` filtered by target). */
  private faultsFor(targets: string[]): {id: number; kind: string; target: string}[] {
    if (this.faultsByTarget.size === 0) return []
    const seen = new Set<string>()
    const out: {id: number; kind: string; target: string}[] = []
    for (const t of targets) {
      if (seen.has(t)) continue
      seen.add(t)
      const l = this.faultsByTarget.get(t)
      if (l) out.push(...l)
    }
    return out.length > 1 ? out.sort((a, b) => a.id - b.id) : out
  }
}

function nested<K, K2, V>(m: Map<K, Map<K2, V>>, k: K): Map<K2, V> {
  let v = m.get(k)
  if (!v) m.set(k, (v = new Map()))
  return v
}
function bump<K>(m: Map<K, number>, k: K): void {
  m.set(k, (m.get(k) ?? 0) + 1)
}

/** Evidence for one port (by name, id or IP); notFound (exit 2) when nothing anywhere knows it. */
export function simPortEvidence(store: FabricStore, ref: string): PortEvidence {
  const rows = store
    .sql(
      `SELECT ${PORT_COLS} FROM ports p LEFT JOIN instances i ON i.name = p.instance WHERE p.name = ? OR p.id = ? OR p.ip = ? ORDER BY p.name`,
    )
    .all(ref, ref, ref) as PortRowX[]
  if (rows.length > 1) {
    throw usageError(
      'PORT_AMBIGUOUS',
      `"${ref}" matches ${rows.length} ports (${rows
        .slice(0, 5)
        .map(r => `${r.name} in ${r.network}`)
        .join(', ')}).`,
      ref,
      'Give the port name or id instead of the IP.',
    )
  }
  const p = rows[0]
  if (!p) {
    // Gone from the store: is it still anywhere else?
    const traces: string[] = []
    const ctl = store.sql('SELECT host FROM controller_ports WHERE port_id = ?').get(ref) as
      {host: string | null} | undefined
    if (ctl) traces.push(`the controller still has it (host ${ctl.host ?? 'none'})`)
    for (const o of store.sql('SELECT host, device FROM ovs_ports WHERE port_id = ?').all(ref) as {
      host: string
      device: string
    }[])
      traces.push(`device ${o.device} is still on ${o.host}'s br-int`)
    if (traces.length === 0)
      throw notFound(
        'port',
        ref,
        'Give a port name, id or IP; list ports with `fabricctl port list`.',
        portNames(store),
      )
    return {
      backend: 'sim',
      origin: SIM_ORIGIN,
      now: store.now(),
      ref,
      port: null,
      traces,
      network: null,
      topology: null,
      recordAuthority: {underlay: 'agent', overlay: 'controller'},
      host: null,
      ovs: null,
      controller: {present: true, port: null, hostMap: [], mapSource: 'controller_host_map'},
      leaves: {},
      leftovers: null,
      sameIp: null,
      networkFree: null,
      simFaults: [],
    }
  }
  const az = (store.sql('SELECT az FROM networks WHERE name = ?').get(p.network) as {az: string} | undefined)?.az
  const idx = new SimIndex(store, az ? [az] : [], p.host ? [p.host] : [], {network: p.network, ip: p.ip})
  return idx.evidence(ref, p)
}

/** Full evidence for every port of the scope, gathered in bulk (no fast path). */
export function simAllEvidence(store: FabricStore, scope: SimScope): PortEvidence[] {
  return [...simEvidenceStream(store, {...scope, full: true})] as PortEvidence[]
}

/** The same, one port at a time: `--all` diagnoses and groups as it goes instead of holding 20,000 evidence objects. */
export function* simEvidenceStream(store: FabricStore, scope: SimScope): Generator<PortEvidence | CleanPortEvidence> {
  const azs = scope.az ? [scope.az] : store.azs().map(a => a.name)
  if (scope.az && !store.az(scope.az)) throw notFound('AZ', scope.az, 'List AZs with `fabricctl topology show`.')
  const [u, o] = scope.state ? scope.state.split('_') : [null, null]
  // The instance's host (a repair hint) is looked up only for the ports that take the full path; with --az the
  // AZ's networks drive the scan (their ports by index, then sorted) instead of every port in name order.
  const rows =
    store.sql(`SELECT p.id, p.name, p.network, p.ip, p.mac, p.host, p.instance, p.underlay, p.overlay FROM ports p JOIN networks n ON n.name = p.network
    WHERE ${scope.az ? 'n.az = @az' : '@az IS NULL'} AND (@u IS NULL OR p.underlay = @u) AND (@o IS NULL OR p.overlay = @o) ORDER BY p.name`)
  const instanceHost = store.sql('SELECT host FROM instances WHERE name = ?').pluck()
  const idx = new SimIndex(store, azs, null)
  // Rows are iterated, not materialised: one row and one evidence object alive at a time. A clean port (most of
  // a healthy fabric) is handed without its evidence object.
  for (const r of rows.iterate({az: scope.az ?? null, u: u ?? null, o: o ?? null}) as IterableIterator<PortRowX>) {
    if (!scope.full && idx.clean(r)) yield cleanEvidence(r, idx.nets.get(r.network)!.az)
    else {
      r.instance_host =
        r.instance === null ? null : ((instanceHost.get(r.instance) as string | null | undefined) ?? null)
      yield idx.evidence(r.name, r)
    }
  }
}

function cleanEvidence(r: PortRowX, az: string): CleanPortEvidence {
  return {
    clean: true,
    ref: r.name,
    port: {id: r.id, name: r.name, network: r.network, ip: r.ip, mac: r.mac, host: r.host!},
    az,
  }
}
