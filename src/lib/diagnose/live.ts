import {notFound, usageError} from '../cli/errors.js'
import type {LiveContext} from '../context/schema.js'
import {neutronRequest} from '../live/neutron/http.js'
import {usableCount} from '../model/addressing.js'
import type {Topology} from '../model/types.js'
import {readLeavesThrough} from '../leaf/observe.js'
import type {HostProbe, NamedHostFacts} from '../seam/host-probe.js'
import {probeNamedHosts} from '../seam/host-probe.js'
import type {LeafDriverRegistry} from '../seam/leaf-drivers.js'
import {bridgesOf} from '../trace/bridges.js'
import {livePlanes} from './states.js'
import {recordedOverlay} from '../seam/ipam.js'
import {type LeafEvidence, LIVE_ORIGIN, type PortEvidence} from './types.js'

/**
 * The live evidence gatherer. What it reads, and what stands in for the parts a live fabric
 * may not have (docs/diagnose.md, "Live"):
 * - the port, its binding, status (underlay record) and data_plane_status (overlay record):
 *   Neutron; agents and their heartbeats: Neutron's /v2.0/agents (none registered: the agent
 *   step is skipped and the recorded underlay is not evidence);
 * - the host through the fabric's host probe (`fabric.hostProbe.facts`, `facts: 'wiring'`: one SSH
 *   session and one batched script per host, the one OVSDB decoder): `ovs-appctl version` (is it
 *   running and answering), `ovs-vsctl list Bridge/Port/Interface` (iface-id, tag, ofport, bridge),
 *   `ip -j -d link show` (uplink NICs);
 * - there is no controller: the inventory's cabling is the host→leaf map, and each leaf proves
 *   it carries the host interface;
 * - the leaves over SSH with the leaf capability's FRR driver (running config → the model:
 *   VNIs from FRR + kernel, host interfaces by bridge membership, gateway on the VNI's bridge).
 */

interface NPort {
  id: string
  name: string
  network_id: string
  mac_address: string
  status: string
  data_plane_status?: string | null
  tags?: string[]
  'binding:host_id'?: string | null
  'binding:vif_type'?: string | null
  fixed_ips?: {subnet_id: string; ip_address: string}[]
  device_id?: string
  device_owner?: string
}
interface NNet {
  id: string
  name: string
  'provider:network_type'?: string
  'provider:segmentation_id'?: number | null
  availability_zone_hints?: string[]
}
interface NSubnet {
  id: string
  network_id: string
  cidr: string
  gateway_ip: string | null
  ip_version: number
}
interface NAgent {
  host: string
  binary: string
  agent_type?: string
  alive: boolean
  heartbeat_timestamp: string
}

interface HostRead {
  readable: boolean
  error?: string
  ovsRunning: boolean | null
  /** device name → {iface-id, ofport, tag, onBrInt}. */
  devices: Map<string, {portId: string | null; ofport: number | null; tag: number | null; onBrInt: boolean}>
  ovsdbOk: boolean
  links: Map<string, boolean>
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const v4Of = (p: NPort) => p.fixed_ips?.find(f => /^\d+\.\d+\.\d+\.\d+$/.test(f.ip_address))?.ip_address ?? ''

/** Where diagnose reads a port's host and leaves: the fabric's host probe and leaf-driver registry. */
export interface LiveSources {
  leafDrivers: LeafOpener
  hostProbe: HostProbe
}

/**
 * One host as diagnose uses it, from the host probe's facts (`facts: 'wiring'`: ovs-appctl version,
 * ovs-vsctl list Bridge/Port/Interface, ip -j -d link, decoded by the one OVSDB decoder): the devices
 * by name with their iface-id, ofport, local VLAN tag and whether they are on br-int; the links' state.
 * A fact the probe did not read stays unknown (null), never a default.
 */
export function hostReadOf(r: NamedHostFacts): HostRead {
  if ('reason' in r)
    return {readable: false, error: r.reason, ovsRunning: null, devices: new Map(), ovsdbOk: false, links: new Map()}
  const f = r.facts
  const devices: HostRead['devices'] = new Map()
  const brInt = bridgesOf(f).int
  for (const i of f.ovs.interfaces ?? [])
    devices.set(i.name, {
      portId: i.ifaceId ?? null,
      ofport: i.ofport,
      tag: typeof i.tag === 'number' ? i.tag : null,
      onBrInt: i.bridge === brInt,
    })
  return {
    readable: true,
    ovsRunning: f.ovs.vswitchdRunning,
    devices,
    ovsdbOk: f.ovs.interfaces !== null,
    links: new Map((f.links ?? []).map(l => [l.name, l.up])),
  }
}

/** Everything read once: Neutron's lists, the hosts and leaves needed, over SSH in parallel. */
export class LiveWorld {
  readonly now = new Date().toISOString()
  private readonly portNet: Map<string, string>
  private readonly hostNet: Set<string>
  private readonly byIp = new Map<string, NPort[]>()
  /** Public for tests: a world built from recorded Neutron and host reads, without the network. */
  constructor(
    private readonly ctx: LiveContext,
    readonly ports: NPort[],
    private readonly nets: Map<
      string,
      {id: string; name: string; vlan: number | null; cidr: string; gateway: string; az: string}
    >,
    private readonly agents: NAgent[] | null,
    private readonly hostReads: Map<string, HostRead>,
    private readonly leafReads: Map<string, LeafEvidence>,
    private readonly free: Map<string, number>,
  ) {
    this.portNet = new Map(ports.map(x => [x.id, x.network_id]))
    this.hostNet = new Set(
      ports.filter(x => x['binding:host_id']).map(x => `${x['binding:host_id']}\u0000${x.network_id}`),
    )
    for (const x of ports) {
      const ip = v4Of(x)
      if (!ip) continue
      const l = this.byIp.get(ip)
      if (l) l.push(x)
      else this.byIp.set(ip, [x])
    }
  }

  static async load(
    ctx: LiveContext,
    sources: LiveSources,
    select: (ports: NPort[]) => {hosts: string[]; azs: string[]; networks: string[]},
  ): Promise<{world: LiveWorld}> {
    const [{ports}, {networks}, {subnets}, agents] = await Promise.all([
      neutronRequest<{ports: NPort[]}>(ctx, 'GET', '/v2.0/ports'),
      neutronRequest<{networks: NNet[]}>(ctx, 'GET', '/v2.0/networks'),
      neutronRequest<{subnets: NSubnet[]}>(ctx, 'GET', '/v2.0/subnets'),
      neutronRequest<{agents: NAgent[]}>(ctx, 'GET', '/v2.0/agents').then(
        r => r.agents,
        () => null,
      ),
    ])
    const v4 = new Map(subnets.filter(s => s.ip_version === 4).map(s => [s.network_id, s]))
    const defaultAz = ctx.inventory.azs[0]?.name ?? 'default'
    const nets = new Map(
      networks.map(n => {
        const sub = v4.get(n.id)
        return [
          n.id,
          {
            id: n.id,
            name: n.name || n.id,
            vlan: n['provider:network_type'] === 'vlan' ? (n['provider:segmentation_id'] ?? null) : null,
            cidr: sub?.cidr ?? '',
            gateway: sub?.gateway_ip ?? '',
            az: n.availability_zone_hints?.[0] ?? defaultAz,
          },
        ] as const
      }),
    )
    const want = select(ports)
    const inv = ctx.inventory
    const hostNames = inv.hosts.filter(h => want.hosts.includes(h.name)).map(h => h.name)
    const leafNames = inv.leaves.filter(l => want.azs.includes(l.az)).map(l => l.name)
    const [hostResults, leafResults, free] = await Promise.all([
      probeNamedHosts(sources.hostProbe, hostNames, {concurrency: 8, timeoutMs: 20_000, facts: 'wiring'}),
      readLeaves(sources.leafDrivers, leafNames),
      Promise.all(
        want.networks.map(async id => {
          try {
            const r = await neutronRequest<{network_ip_availability: {total_ips: number; used_ips: number}}>(
              ctx,
              'GET',
              `/v2.0/network-ip-availabilities/${id}`,
            )
            return [id, Math.max(0, r.network_ip_availability.total_ips - r.network_ip_availability.used_ips)] as const
          } catch {
            const n = nets.get(id)
            return [
              id,
              n?.cidr ? Math.max(0, usableCount(n.cidr) - ports.filter(p => p.network_id === id).length) : -1,
            ] as const
          }
        }),
      ),
    ])
    const hostReads = new Map([...hostResults].map(([name, r]) => [name, hostReadOf(r)]))
    return {
      world: new LiveWorld(ctx, ports, nets, agents, hostReads, leafResults, new Map(free.filter(([, f]) => f >= 0))),
    }
  }

  evidence(ref: string, p: NPort): PortEvidence {
    const ctx = this.ctx
    const inv = ctx.inventory
    const net = this.nets.get(p.network_id)
    const hostName = p['binding:host_id'] || null
    const ih = hostName ? inv.hosts.find(h => h.name === hostName) : undefined
    const az = ih?.az ?? net?.az ?? null
    const topology: Topology | null = (inv.azs.find(a => a.name === az)?.topology ?? null) as Topology | null
    const l2Vni = net?.vlan !== null && net?.vlan !== undefined ? ctx.overlay.vniBase + net.vlan : null
    const planes = livePlanes(p)
    const instance = inv.instances.find(i => i.portId === p.id)
    const hr = ih ? this.hostReads.get(ih.name) : undefined
    const netName = net?.name ?? p.network_id
    // Agents: Neutron's view of the OVS agent on this host.
    let agent: NonNullable<PortEvidence['host']>['agent']
    if (this.agents === null)
      agent = {state: 'not-checked', heartbeatAt: null, note: 'Neutron did not answer /v2.0/agents'}
    else if (this.agents.length === 0)
      agent = {
        state: 'none-registered',
        heartbeatAt: null,
        note: 'Neutron has no agents registered (this deployment runs no L2 agent); OVS on the host is checked directly',
      }
    else {
      const a = this.agents.find(
        x => x.host === hostName && /openvswitch|ovs/i.test(`${x.binary} ${x.agent_type ?? ''}`),
      )
      agent = {
        state: 'reported',
        heartbeatAt: a ? `${a.heartbeat_timestamp.replace(' ', 'T').replace(/Z?$/, '')}Z` : null,
      }
    }
    const nics: NonNullable<PortEvidence['host']>['nics'] = (ih?.nics ?? []).map(n => ({
      name: n.name,
      switch: n.leaf,
      interface: n.interface,
      speedMbps: n.speedMbps,
      up: hr?.links.get(n.name) ?? null,
    }))
    // OVS: the device whose iface-id is this port, on br-int.
    let ovs: PortEvidence['ovs'] = null
    if (ih && hr?.readable && hr.ovsdbOk && ih.role !== 'baremetal') {
      const portNet = this.portNet
      const mine = [...hr.devices].find(([, d]) => d.portId === p.id && d.onBrInt && d.ofport !== -1)
      // Devices that are Neutron ports (their iface-id is a port Neutron lists); the rest on br-int are unmanaged.
      const others = [...hr.devices].filter(
        ([name, d]) => d.onBrInt && d.portId && d.portId !== p.id && name !== mine?.[0] && portNet.has(d.portId),
      )
      const unmanaged = [...hr.devices]
        .filter(
          ([name, d]) =>
            d.onBrInt && name !== mine?.[0] && (!d.portId || (d.portId !== p.id && !portNet.has(d.portId))),
        )
        .map(([name]) => name)
        .filter(name => name !== 'br-int' && name !== 'int-br-bond' && !name.startsWith('patch-'))
        .sort()
      const networkTags = [
        ...new Set(
          others.filter(([, d]) => portNet.get(d.portId!) === p.network_id && d.tag !== null).map(([, d]) => d.tag!),
        ),
      ].sort((a, b) => a - b)
      const tagNetworks =
        mine && mine[1].tag !== null
          ? [
              ...new Set(
                others
                  .filter(([, d]) => d.tag === mine[1].tag)
                  .map(([, d]) => this.nets.get(portNet.get(d.portId!)!)?.name ?? portNet.get(d.portId!)!),
              ),
            ].sort()
          : []
      ovs = {
        device: mine ? {name: mine[0], localVlan: mine[1].tag, ofport: mine[1].ofport} : null,
        elsewhere: [],
        networkTags,
        tagNetworks,
        unmanaged,
        source: `ovs-vsctl on ${ih.name} (other hosts not searched)`,
      }
    }
    const leaves: Record<string, LeafEvidence> = {}
    for (const n of ih?.nics ?? []) {
      const l = this.leafReads.get(n.leaf)
      if (l) leaves[n.leaf] = l
    }
    // Leftovers of this network: a leaf interface carrying its VLAN whose host has no bound port of it.
    let leftovers: PortEvidence['leftovers'] = null
    const azLeaves = inv.leaves.filter(l => l.az === az).map(l => this.leafReads.get(l.name))
    if (
      net?.vlan !== null &&
      net?.vlan !== undefined &&
      azLeaves.length > 0 &&
      azLeaves.every(l => l?.reachable && l.running)
    ) {
      leftovers = []
      for (const l of azLeaves) {
        for (const [iface, {vlans}] of Object.entries(l!.running!.interfaces)) {
          if (!vlans.includes(net.vlan)) continue
          const behind =
            inv.hosts.find(h => h.nics.some(n => n.leaf === l!.name && n.interface === iface))?.name ?? null
          if (behind && this.hostNet.has(`${behind}\u0000${p.network_id}`)) continue
          leftovers.push({leaf: l!.name, interface: iface, host: behind})
        }
      }
    }
    const ip = v4Of(p)
    return {
      backend: 'live',
      origin: LIVE_ORIGIN,
      now: this.now,
      ref,
      port: {
        id: p.id,
        name: p.name || p.id,
        network: netName,
        ip,
        mac: p.mac_address,
        host: hostName,
        instanceHost: instance?.host ?? null,
        vifType: p['binding:vif_type'] ?? null,
        ...planes,
      },
      traces: [],
      network: net
        ? {
            name: net.name,
            az: az ?? net.az,
            cidr: net.cidr,
            gateway: net.gateway,
            vlan: net.vlan ?? 0,
            l2Vni,
            vrf: null,
            l3Vni: null,
          }
        : null,
      topology,
      recordAuthority: {
        underlay: agent.state === 'reported' ? 'agent' : 'none',
        overlay:
          recordedOverlay(p).source === 'none'
            ? 'none'
            : recordedOverlay(p).source === 'port-tag'
              ? 'port-tag'
              : 'data_plane_status',
      },
      host: ih
        ? {
            name: ih.name,
            role: ih.role,
            readable: hr?.readable ?? false,
            ...(hr?.error ? {error: hr.error} : {}),
            agent,
            ovsRunning: ih.role === 'baremetal' ? null : (hr?.ovsRunning ?? null),
            nics,
          }
        : null,
      ovs,
      controller: {
        present: false,
        note: 'no controller in this deployment: Neutron is the port record and the inventory the host→leaf map; the leaf steps prove the rest',
        port: null,
        hostMap: (ih?.nics ?? []).map(n => ({leaf: n.leaf, interface: n.interface})),
        mapSource: 'inventory (no controller: the cabling is the map)',
      },
      leaves,
      leftovers,
      sameIp: ip
        ? (this.byIp.get(ip) ?? [])
            .filter(x => x.id !== p.id)
            .map(x => ({id: x.id, name: x.name || x.id, network: this.nets.get(x.network_id)?.name ?? x.network_id}))
        : [],
      networkFree: this.free.get(p.network_id) ?? null,
      simFaults: [],
    }
  }
}

/** How diagnose reaches leaves: the fabric's leaf-driver registry (the same drivers, scope and catalogue as `leaf diff`). */
export type LeafOpener = Pick<LeafDriverRegistry, 'open'>

/** Read the leaves through the leaf-driver registry; an unreachable or unsupported leaf becomes evidence, not an exception. */
async function readLeaves(drivers: LeafOpener, names: string[]): Promise<Map<string, LeafEvidence>> {
  const out = new Map<string, LeafEvidence>()
  for (const [name, r] of await readLeavesThrough(drivers, names)) {
    const source = `the leaf's driver on ${name} over SSH (FRR show running-config, ip -j -d link/addr)`
    if (!r.reachable) {
      out.set(name, {name, reachable: false, error: r.error, running: null, hasVrfs: false, source})
      continue
    }
    // What the port's traffic meets: the whole leaf, including what fabricctl does not manage.
    const running = r.observed
    const unmanagedVnis = Object.values(running.vnis)
      .filter(v => !r.running.config.vnis[String(v.vni)])
      .map(v => v.vni)
    out.set(name, {
      name,
      reachable: true,
      running,
      unmanagedVnis,
      hasVrfs: Object.keys(running.vrfs).length > 0,
      source,
    })
  }
  return out
}

function findPort(ports: NPort[], ref: string): NPort[] {
  if (UUID.test(ref)) return ports.filter(p => p.id === ref)
  const byName = ports.filter(p => p.name === ref)
  return byName.length ? byName : ports.filter(p => v4Of(p) === ref)
}

export async function livePortEvidence(ctx: LiveContext, sources: LiveSources, ref: string): Promise<PortEvidence> {
  let picked: NPort | undefined
  const {world} = await LiveWorld.load(ctx, sources, ports => {
    const m = findPort(ports, ref)
    if (m.length > 1)
      throw usageError(
        'PORT_AMBIGUOUS',
        `"${ref}" matches ${m.length} Neutron ports (${m
          .slice(0, 5)
          .map(p => p.id)
          .join(', ')}); names are not unique in Neutron.`,
        ref,
        'Give the port id.',
      )
    picked = m[0]
    const host = picked?.['binding:host_id']
    const ih = host ? ctx.inventory.hosts.find(h => h.name === host) : undefined
    return {hosts: ih ? [ih.name] : [], azs: ih ? [ih.az] : [], networks: picked ? [picked.network_id] : []}
  })
  if (!picked) {
    const inst = ctx.inventory.instances.filter(i => i.portId === ref || i.name === ref || i.ip === ref)
    if (inst.length === 0)
      throw notFound('port', ref, 'Give a Neutron port name, id or IP; list ports with `fabricctl port list`.')
    return {
      backend: 'live',
      origin: LIVE_ORIGIN,
      now: world.now,
      ref,
      port: null,
      traces: inst.map(
        i =>
          `the inventory lists instance ${i.name} on ${i.host} with port ${i.portId ?? '?'}${i.device ? ` (device ${i.device})` : ''}`,
      ),
      network: null,
      topology: null,
      recordAuthority: {underlay: 'none', overlay: 'none'},
      host: null,
      ovs: null,
      controller: {present: false, port: null, hostMap: [], mapSource: 'inventory'},
      leaves: {},
      leftovers: null,
      sameIp: null,
      networkFree: null,
      simFaults: [],
    }
  }
  return world.evidence(ref, picked)
}

export async function liveAllEvidence(
  ctx: LiveContext,
  sources: LiveSources,
  scope: {az?: string; state?: string},
): Promise<PortEvidence[]> {
  if (scope.az && !ctx.inventory.azs.some(a => a.name === scope.az))
    throw notFound('AZ', scope.az, 'List AZs with `fabricctl topology show`.')
  let selected: NPort[] = []
  const hostAz = new Map(ctx.inventory.hosts.map(h => [h.name, h.az]))
  const {world} = await LiveWorld.load(ctx, sources, ports => {
    selected = ports.filter(p => {
      if (p.device_owner?.startsWith('network:')) return false // DHCP, router interfaces: not instance ports
      const {underlay, overlay} = livePlanes(p)
      if (scope.state && `${underlay}_${overlay}` !== scope.state) return false
      if (scope.az) {
        const h = p['binding:host_id']
        if (!h || hostAz.get(h) !== scope.az) return false
      }
      return true
    })
    const hosts = [...new Set(selected.map(p => p['binding:host_id']).filter((h): h is string => Boolean(h)))]
    return {
      hosts,
      azs: scope.az ? [scope.az] : ctx.inventory.azs.map(a => a.name),
      networks: [...new Set(selected.map(p => p.network_id))],
    }
  })
  return selected
    .sort((a, b) => (a.name || a.id).localeCompare(b.name || b.id))
    .map(p => world.evidence(p.name || p.id, p))
}
