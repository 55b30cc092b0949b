import fs from 'node:fs'
import path from 'node:path'

import {dataDir} from '../cli/paths.js'
import type {LiveContext} from '../context/schema.js'
import {neutronRequest} from '../live/neutron/http.js'
import {DEFAULT_VRF_TENANT, liveTenantOf, liveTenants} from '../live/tenants.js'
import {parseCidr} from '../model/addressing.js'
import {type LeafConfig, type Network, type Tenant} from '../model/types.js'
import {canonicalLeafConfig, desiredLeafConfig} from './desired.js'
import type {LeafSnapshot, SnapshotKind, SnapshotStore} from './driver.js'
import type {VniCatalogEntry} from './frr/native.js'
import type {PortAssumption} from '../seam/leaf-drivers.js'

interface NPort {
  id: string
  name: string
  network_id: string
  mac_address?: string
  'binding:host_id'?: string | null
  status?: string
  data_plane_status?: string | null
}
interface NNetwork {
  id: string
  name: string
  'provider:network_type'?: string
  'provider:segmentation_id'?: number | null
  tags?: string[]
}
interface NSubnet {
  network_id: string
  cidr: string
  gateway_ip: string | null
  ip_version: number
}

/**
 * What a live fabric's leaves must carry, from Neutron (ports and their `binding:host_id`,
 * networks and their VLAN) and the context's inventory (which leaf interfaces each host is cabled
 * to). A VLAN network maps to L2 VNI `overlay.vniBase + VLAN`; the native profile has no tenant
 * VRFs, so every gateway sits in the default VRF.
 */
export class LiveDesiredState {
  private constructor(
    private readonly ctx: LiveContext,
    readonly networks: Map<string, Network>,
    readonly catalog: Map<number, VniCatalogEntry>,
    private readonly portsByHost: Map<string, Set<string>>,
    readonly ports: NPort[],
    private readonly tenants: Map<string, Tenant> = new Map([[DEFAULT_VRF_TENANT.name, DEFAULT_VRF_TENANT]]),
  ) {}

  /**
   * Read Neutron. `assume` reads the named ports as bound to the given host (null: unbound): the desired state a
   * planned port change would give, so its leaf pushes can be gated (dry run) before Neutron is changed.
   */
  static async load(ctx: LiveContext, assume: readonly PortAssumption[] = []): Promise<LiveDesiredState> {
    const [{ports: read}, {networks}, {subnets}] = await Promise.all([
      neutronRequest<{ports: NPort[]}>(ctx, 'GET', '/v2.0/ports'),
      neutronRequest<{networks: NNetwork[]}>(ctx, 'GET', '/v2.0/networks'),
      neutronRequest<{subnets: NSubnet[]}>(ctx, 'GET', '/v2.0/subnets'),
    ])
    const assumed = new Map(assume.map(a => [a.portId, a.host]))
    const ports = read.map(p => (assumed.has(p.id) ? {...p, 'binding:host_id': assumed.get(p.id) ?? ''} : p))
    // A port the change will create (allocate --host): only its network and host shape the desired state.
    for (const a of assume)
      if (a.networkId && !read.some(p => p.id === a.portId))
        ports.push({
          id: a.portId,
          name: '',
          network_id: a.networkId,
          mac_address: '',
          status: 'DOWN',
          'binding:host_id': a.host ?? '',
        })
    const v4 = new Map(subnets.filter(s => s.ip_version === 4 && s.gateway_ip).map(s => [s.network_id, s]))
    const byId = new Map<string, Network>()
    const catalog = new Map<number, VniCatalogEntry>()
    // Full profile: a network's Neutron tag picks its tenant VRF (overlay.tenants); otherwise the default VRF.
    const tenants = new Map<string, Tenant>(liveTenants(ctx).map(t => [t.name, t]))
    for (const n of networks) {
      const sub = v4.get(n.id)
      const vlan = n['provider:network_type'] === 'vlan' ? (n['provider:segmentation_id'] ?? null) : null
      if (!sub || vlan === null) continue // only VLAN networks with an IPv4 gateway reach the leaves
      const name = n.name || n.id
      const vni = ctx.overlay.vniBase + vlan
      byId.set(n.id, {
        id: n.id,
        name,
        az: '',
        tenant: liveTenantOf(ctx, n.tags),
        cidr: sub.cidr,
        gateway: sub.gateway_ip!,
        vlan,
        l2Vni: vni,
        labels: [],
      })
      catalog.set(vni, {vlan, network: name})
    }
    const known = new Set(ctx.inventory.hosts.map(h => h.name))
    const portsByHost = new Map<string, Set<string>>()
    for (const p of ports) {
      const host = p['binding:host_id']
      const net = byId.get(p.network_id)
      if (!host || !net || !known.has(host)) continue
      let set = portsByHost.get(host)
      if (!set) portsByHost.set(host, (set = new Set()))
      set.add(net.name)
    }
    return new LiveDesiredState(
      ctx,
      new Map([...byId.values()].map(n => [n.name, n])),
      catalog,
      portsByHost,
      ports,
      tenants,
    )
  }

  /** Host-facing interfaces of a leaf, from the inventory. */
  hostPorts(leaf: string): string[] {
    return this.ctx.inventory.hosts.flatMap(h => h.nics.filter(n => n.leaf === leaf).map(n => n.interface)).sort()
  }

  /** Leaves a host is cabled to. */
  leavesOfHost(host: string): string[] {
    return [...new Set(this.ctx.inventory.hosts.find(h => h.name === host)?.nics.map(n => n.leaf) ?? [])]
  }

  /**
   * Per VNI, the VTEPs of the other leaves whose desired state carries it (what verify expects as remote VTEPs).
   * `vtepOf` gives a leaf's VTEP as read from its devices (default: the inventory's `vtep:`); a leaf whose VTEP
   * is unknown (null) is left out.
   */
  remoteVteps(
    leaf: string,
    vtepOf: (leaf: string) => string | null = l => this.ctx.inventory.leaves.find(x => x.name === l)?.vtep ?? null,
  ): Map<number, string[]> {
    const out = new Map<number, string[]>()
    const mine = this.desired(leaf)
    for (const other of this.ctx.inventory.leaves) {
      const vtep = other.name === leaf ? null : vtepOf(other.name)
      if (!vtep) continue
      const theirs = this.desired(other.name)
      for (const v of Object.keys(mine.vnis))
        if (theirs.vnis[v]) out.set(Number(v), [...(out.get(Number(v)) ?? []), vtep])
    }
    return out
  }

  /** Per VNI, the MACs of the Neutron ports bound to hosts cabled to this leaf. */
  macsBehind(leaf: string): Map<number, string[]> {
    const hosts = new Set(this.ctx.inventory.hosts.filter(h => h.nics.some(n => n.leaf === leaf)).map(h => h.name))
    const byNetId = new Map([...this.networks.values()].map(n => [n.id, n]))
    const out = new Map<number, string[]>()
    for (const p of this.ports) {
      const net = byNetId.get(p.network_id)
      if (!net || net.l2Vni === null || !p.mac_address || !hosts.has(p['binding:host_id'] ?? '')) continue
      out.set(net.l2Vni, [...(out.get(net.l2Vni) ?? []), p.mac_address.toLowerCase()])
    }
    return out
  }

  /**
   * The leaf's desired state. Gateway MACs are `gatewayMac` (default: the declared overlay.anycastMac); with
   * none (the fabric's MAC is unknown) they are '' — the caller keeps the MACs of the gateways the leaf carries.
   */
  desired(leaf: string, gatewayMac: string | null = this.ctx.overlay.anycastMac ?? null): LeafConfig {
    const attachments = this.ctx.inventory.hosts.flatMap(h =>
      h.nics
        .filter(n => n.leaf === leaf)
        .map(n => ({interface: n.interface, networks: [...(this.portsByHost.get(h.name) ?? [])]})),
    )
    const cfg = desiredLeafConfig(attachments, this.networks, this.tenants)
    for (const v of Object.values(cfg.vnis)) {
      v.routeTarget = `${this.ctx.overlay.routeTargetAsn}:${v.vni}`
      v.gateway = {
        address: `${this.networks.get(v.network)!.gateway}/${parseCidr(this.networks.get(v.network)!.cidr).prefix}`,
        mac: (gatewayMac ?? '').toLowerCase(),
      }
    }
    return canonicalLeafConfig(cfg)
  }
}

/**
 * Snapshots of live leaves on the client side, one JSON file per leaf and kind under
 * `<data dir>/leaf/<context>/<leaf>/`, written atomically (temp file + rename), readable by the user only.
 */
export class FileSnapshotStore implements SnapshotStore {
  constructor(
    private readonly contextName: string,
    private readonly root = path.join(dataDir(), 'leaf'),
  ) {}

  dir(leaf: string): string {
    const safe = (s: string) => s.replaceAll(/[^A-Za-z0-9_.-]/g, '_')
    return path.join(this.root, safe(this.contextName), safe(leaf))
  }

  get(leaf: string, which: SnapshotKind): LeafSnapshot | undefined {
    const f = path.join(this.dir(leaf), `${which}.json`)
    if (!fs.existsSync(f)) return undefined
    return JSON.parse(fs.readFileSync(f, 'utf8')) as LeafSnapshot
  }

  record(leaf: string, snaps: {lastKnownGood: LeafSnapshot; previous?: LeafSnapshot}): void {
    const dir = this.dir(leaf)
    fs.mkdirSync(dir, {recursive: true, mode: 0o700})
    const write = (name: SnapshotKind, s: LeafSnapshot) => {
      const f = path.join(dir, `${name}.json`)
      const tmp = `${f}.${process.pid}.tmp`
      fs.writeFileSync(tmp, `${JSON.stringify(s, null, 2)}\n`, {mode: 0o600})
      fs.renameSync(tmp, f)
    }
    if (snaps.previous) write('previous', snaps.previous)
    write('last-known-good', snaps.lastKnownGood)
  }
}
