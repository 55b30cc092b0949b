import type {HostRole, Network, Tenant, Topology} from '../model/types.js'
import {ipToNum, numToIp, parseCidr, usableCount} from '../model/addressing.js'
import {desiredLeafConfig} from '../leaf/desired.js'
import type {FabricStore} from '../store/fabric-store.js'
import {KERNEL_VERSIONS, NIC_SPEEDS, OVS_VERSIONS, kernelConfigFor} from './catalog.js'
import type {AzPlan, Profile} from './profiles.js'
import {Rng} from './rng.js'

export const GENERATOR_VERSION = 1
/** Generated objects carry this time, not the wall clock, so the same seed gives the same bytes. */
export const GENERATED_AT = '2026-01-01T00:00:00.000Z'
export const TAP_PREFIX_LEN = 11

export interface GenerateOptions {
  profile: Profile
  seed: number
  topology: Topology
}

export interface GenerateSummary {
  azs: number
  switches: number
  hosts: number
  networks: number
  instances: number
  ports: number
}

/** Neutron's device naming: prefix + the first 11 characters of the port id. */
export function deviceName(prefix: 'tap' | 'qbr' | 'qvb' | 'qvo', portId: string): string {
  return `${prefix}${portId.slice(0, TAP_PREFIX_LEN)}`
}

/** Split `total` across weights: integer shares that add up exactly (largest remainder). */
function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0)
  const exact = weights.map(w => (total * w) / sum)
  const shares = exact.map(Math.floor)
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1])
  const deficit = total - shares.reduce((a, b) => a + b, 0)
  for (let k = 0; k < deficit; k++) shares[order[k % order.length]![1]]! += 1
  return shares
}

const APPS = [
  'checkout',
  'search',
  'booking',
  'pricing',
  'gateway',
  'profile',
  'inventory',
  'payment',
  'review',
  'notify',
]

/**
 * Writes a whole fabric into an empty store, deterministically from the seed: AZs, switches,
 * cabling, hosts, tenants, networks, instances, ports (ACTIVE_ACTIVE), the OVS agents' wiring,
 * the controller's tables and every leaf's running configuration (equal to its desired state).
 */
export function generateFabric(store: FabricStore, opts: GenerateOptions): GenerateSummary {
  const rng = new Rng(opts.seed)
  const {db} = store
  const ins = {
    az: db.prepare('INSERT INTO azs(name, topology) VALUES (?, ?)'),
    sw: db.prepare(
      'INSERT INTO switches(name, az, role, pair, asn, vtep, address, driver) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    host: db.prepare(`INSERT INTO hosts(name, az, role, address, ovs_version, ovs_running, plugging, bond, kernel_version, kernel_config, bpffs_mounted, jit_enabled, agent_alive, agent_heartbeat_at)
      VALUES (?, ?, ?, ?, ?, 1, ?, 'bond0', ?, ?, ?, ?, 1, ?)`),
    cable: db.prepare('INSERT INTO cabling(host, nic, switch, interface, speed_mbps, up) VALUES (?, ?, ?, ?, ?, 1)'),
    tenant: db.prepare('INSERT INTO tenants(name, vrf, l3_vni) VALUES (?, ?, ?)'),
    net: db.prepare(
      'INSERT INTO networks(id, name, az, tenant, cidr, gateway, vlan, l2_vni) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    label: db.prepare('INSERT INTO network_labels(network, label) VALUES (?, ?)'),
    inst: db.prepare('INSERT INTO instances(name, kind, host) VALUES (?, ?, ?)'),
    port: db.prepare(`INSERT INTO ports(id, name, network, ip, ip_num, mac, host, instance, underlay, overlay, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'ACTIVE', 'ACTIVE', ?, ?)`),
    ovs: db.prepare('INSERT INTO ovs_ports(host, device, port_id, local_vlan, ofport) VALUES (?, ?, ?, ?, ?)'),
    ctlPort: db.prepare('INSERT INTO controller_ports(port_id, network, host, ip, mac) VALUES (?, ?, ?, ?, ?)'),
    ctlMap: db.prepare('INSERT INTO controller_host_map(host, leaf, interface) VALUES (?, ?, ?)'),
    leafCfg: db.prepare('INSERT INTO leaf_configs(leaf, running, last_known_good, updated_at) VALUES (?, ?, ?, ?)'),
  }
  const summary: GenerateSummary = {azs: 0, switches: 0, hosts: 0, networks: 0, instances: 0, ports: 0}
  const tenants = new Map<string, Tenant>()
  for (const t of opts.profile.tenants) {
    ins.tenant.run(t.name, t.vrf, t.l3Vni)
    tenants.set(t.name, t)
  }
  const networks = new Map<string, Network>()
  const leaves: string[] = []
  let macCounter = 0
  let vniCounter = 10_000

  opts.profile.azs.forEach((plan, azIndex) => {
    const azNo = azIndex + 1
    ins.az.run(plan.name, opts.topology)
    summary.azs++

    // --- switches and cabling targets -----------------------------------------------------
    const pairs = Math.ceil(plan.hosts / plan.hostsPerLeafPair)
    const edgeRole = opts.topology === 'spine-leaf' ? 'leaf' : 'access'
    const edgeName = opts.topology === 'spine-leaf' ? 'leaf' : 'acc'
    if (opts.topology === 'spine-leaf') {
      for (let s = 1; s <= plan.spines; s++) {
        ins.sw.run(
          `${plan.name}-spine${s}`,
          plan.name,
          'spine',
          null,
          65_000 + azNo * 100,
          `10.255.${azNo}.${s}`,
          `192.0.2.${azNo * 50 + s}`,
          'sim',
        )
        summary.switches++
      }
    } else {
      for (const [role, short] of [
        ['core', 'core'],
        ['aggregation', 'agg'],
      ] as const) {
        for (let s = 1; s <= 2; s++) {
          ins.sw.run(
            `${plan.name}-${short}${s}`,
            plan.name,
            role,
            `${plan.name}-${short}`,
            null,
            null,
            `192.0.2.${azNo * 50 + (role === 'core' ? 0 : 2) + s}`,
            'sim',
          )
          summary.switches++
        }
      }
    }
    const pairNames: [string, string][] = []
    for (let p = 1; p <= pairs; p++) {
      const pp = String(p).padStart(2, '0')
      const pair = `${plan.name}-pair${pp}`
      const names: [string, string] = [`${plan.name}-${edgeName}${pp}a`, `${plan.name}-${edgeName}${pp}b`]
      names.forEach((name, side) => {
        const isLeaf = edgeRole === 'leaf'
        ins.sw.run(
          name,
          plan.name,
          edgeRole,
          pair,
          isLeaf ? 65_000 + azNo * 100 + p : null,
          isLeaf ? `10.254.${azNo}.${p * 2 + side}` : null,
          `192.0.2.${(azNo * 50 + 10 + p * 2 + side) % 250}`,
          'sim',
        )
        summary.switches++
        if (isLeaf) leaves.push(name)
      })
      pairNames.push(names)
    }

    // --- networks ---------------------------------------------------------------------------
    const azNets = planNetworks(plan, azNo, opts.topology, () => ++vniCounter, rng)
    for (const net of azNets) {
      ins.net.run(net.id, net.name, net.az, net.tenant, net.cidr, net.gateway, net.vlan, net.l2Vni)
      for (const l of net.labels) ins.label.run(net.name, l)
      networks.set(net.name, net)
      summary.networks++
    }
    const netWeights = plan.networks.map(n => n.weight)
    const nextIp = azNets.map(n => ipToNum(n.gateway) + 1)
    const capacity = azNets.map(n => Math.floor(usableCount(n.cidr) * 0.9))
    const used = azNets.map(() => 0)

    // --- hosts ------------------------------------------------------------------------------
    const roles = shuffle(
      rng,
      expandCounts(
        plan.roles.map(r => r[0]),
        apportion(
          plan.hosts,
          plan.roles.map(r => r[1]),
        ),
      ),
    )
    const hostNames: string[] = []
    const hostRoles: HostRole[] = []
    const width = String(plan.hosts).length < 3 ? 2 : 4
    for (let h = 0; h < plan.hosts; h++) {
      const name = `${plan.name}-h${String(h + 1).padStart(width, '0')}`
      const role = roles[h]!
      const kernel = rng.weighted(KERNEL_VERSIONS)
      const configReadable = rng.float() > 0.03
      const ovs = role === 'baremetal' ? null : rng.weighted(OVS_VERSIONS)
      const plugging = role === 'hypervisor' && rng.float() < plan.legacyPlugging ? 'qbr' : 'direct'
      ins.host.run(
        name,
        plan.name,
        role,
        `10.${100 + azNo}.${Math.floor(h / 250)}.${(h % 250) + 2}`,
        ovs,
        plugging,
        kernel,
        configReadable ? JSON.stringify(kernelConfigFor(kernel)) : null,
        rng.float() < 0.3 ? 1 : 0,
        rng.float() < 0.85 ? 1 : 0,
        GENERATED_AT,
      )
      const speed = rng.weighted(NIC_SPEEDS)
      const pairIdx = Math.floor(h / plan.hostsPerLeafPair)
      const iface = `Ethernet${(h % plan.hostsPerLeafPair) + 1}`
      pairNames[pairIdx]!.forEach((sw, side) => {
        ins.cable.run(name, `eth${side}`, sw, iface, speed)
        if (edgeRole === 'leaf') ins.ctlMap.run(name, sw, iface)
      })
      hostNames.push(name)
      hostRoles.push(role)
      summary.hosts++
    }
    guaranteeVariety(store, plan, hostNames, hostRoles)

    // --- instances and ports ----------------------------------------------------------------
    const perHost = instancesPerHost(plan, hostRoles, rng)
    let seq = 0
    hostNames.forEach((host, h) => {
      const role = hostRoles[h]!
      const plugging = (db.prepare('SELECT plugging FROM hosts WHERE name = ?').get(host) as {plugging: string})
        .plugging
      const localVlans = new Map<string, number>()
      let ofport = 2 // 1 is int-br-bond on br-int
      for (let k = 0; k < perHost[h]!; k++) {
        seq++
        const ni = pickNetwork(rng, netWeights, used, capacity)
        const net = azNets[ni]!
        const ip = numToIp(nextIp[ni]!)
        const ipNum = nextIp[ni]!
        nextIp[ni]! += 1
        used[ni]! += 1
        const kind = role === 'baremetal' ? 'baremetal' : role === 'container' ? 'container' : 'vm'
        const instance =
          kind === 'container'
            ? `${APPS[seq % APPS.length]}-${plan.name}-${String(seq).padStart(6, '0')}`
            : kind === 'vm'
              ? `vm-${plan.name}-${String(seq).padStart(6, '0')}`
              : `bm-${plan.name}-${String(seq).padStart(6, '0')}`
        const id = rng.uuid()
        const mac = macFor(++macCounter)
        ins.inst.run(instance, kind, host)
        ins.port.run(id, instance, net.name, ip, ipNum, mac, host, instance, GENERATED_AT, GENERATED_AT)
        ins.ctlPort.run(id, net.name, host, ip, mac)
        if (role !== 'baremetal') {
          let lv = localVlans.get(net.name)
          if (lv === undefined) localVlans.set(net.name, (lv = localVlans.size + 1))
          ins.ovs.run(host, deviceName(plugging === 'qbr' ? 'qvo' : 'tap', id), id, lv, ofport++)
        }
        summary.instances++
        summary.ports++
      }
    })
  })

  // --- every leaf's running config = its desired state ------------------------------------
  for (const leaf of leaves) {
    const cfg = JSON.stringify(desiredLeafConfig(leafAttachments(store, leaf), networks, tenants))
    ins.leafCfg.run(leaf, cfg, cfg, GENERATED_AT)
  }
  store.setMeta('generator', String(GENERATOR_VERSION))
  store.setMeta('profile', opts.profile.name)
  store.setMeta('seed', String(opts.seed))
  store.setMeta('topology', opts.topology)
  return summary
}

/**
 * For each host-facing interface of a leaf, the networks with ports on the host behind it: from
 * the physical cabling (the truth), or from the controller's host→leaf map (what it acts on).
 */
export function leafAttachments(
  store: FabricStore,
  leaf: string,
  source: 'cabling' | 'controller' = 'cabling',
): {interface: string; networks: string[]}[] {
  const rows = store
    .sql(
      source === 'cabling'
        ? `SELECT c.interface AS iface, p.network AS network FROM cabling c JOIN ports p ON p.host = c.host WHERE c.switch = ? GROUP BY c.interface, p.network`
        : `SELECT m.interface AS iface, p.network AS network FROM controller_host_map m JOIN ports p ON p.host = m.host WHERE m.leaf = ? GROUP BY m.interface, p.network`,
    )
    .all(leaf) as {iface: string; network: string}[]
  const byIface = new Map<string, string[]>()
  for (const r of rows) {
    let list = byIface.get(r.iface)
    if (!list) byIface.set(r.iface, (list = []))
    list.push(r.network)
  }
  return [...byIface].map(([iface, nets]) => ({interface: iface, networks: nets}))
}

function planNetworks(plan: AzPlan, azNo: number, topology: Topology, nextVni: () => number, rng: Rng): Network[] {
  let cursor = ipToNum(`10.${azNo * 16}.0.0`)
  return plan.networks.map((n, i) => {
    const size = 2 ** (32 - n.prefix)
    cursor = Math.ceil(cursor / size) * size
    const cidr = `${numToIp(cursor)}/${n.prefix}`
    cursor += size
    const range = parseCidr(cidr)
    return {
      id: rng.uuid(),
      name: n.name,
      az: plan.name,
      tenant: n.tenant,
      cidr,
      gateway: numToIp(range.network + 1),
      vlan: 100 + i,
      l2Vni: topology === 'spine-leaf' ? nextVni() : null,
      labels: [...n.labels],
    }
  })
}

function pickNetwork(rng: Rng, weights: number[], used: number[], capacity: number[]): number {
  for (let attempt = 0; attempt < 8; attempt++) {
    const i = rng.weighted(weights.map((w, k) => [k, w] as const))
    if (used[i]! < capacity[i]!) return i
  }
  const i = used.findIndex((u, k) => u < capacity[k]!)
  if (i < 0) throw new Error('generator: the profile has more instances than its networks can hold')
  return i
}

/** Bare metal hosts carry one instance; one host may be the dense one; the rest share the remainder by role. */
function instancesPerHost(plan: AzPlan, roles: HostRole[], rng: Rng): number[] {
  const counts: number[] = roles.map(r => (r === 'baremetal' ? 1 : 0))
  let remaining = plan.instances - counts.reduce((a, b) => a + b, 0)
  if (plan.denseHost) {
    const dense = roles.indexOf('container')
    counts[dense] = plan.denseHost
    remaining -= plan.denseHost
  }
  const idx = roles.map((r, i) => i).filter(i => roles[i] !== 'baremetal' && counts[i] === 0)
  const weights = idx.map(i => (roles[i] === 'container' ? 1.6 : 0.8) * (0.5 + rng.float()))
  const shares = apportion(Math.max(0, remaining), weights)
  idx.forEach((i, k) => (counts[i] = shares[k]!))
  return counts
}

/** Every fabric, however small, shows each case the audit and diagnosis must meet. */
function guaranteeVariety(store: FabricStore, plan: AzPlan, hosts: string[], roles: HostRole[]): void {
  const hv = hosts.filter((_, i) => roles[i] === 'hypervisor')
  const ct = hosts.filter((_, i) => roles[i] === 'container')
  const set = (host: string | undefined, sql: string, ...args: unknown[]) =>
    host && store.db.prepare(`UPDATE hosts SET ${sql} WHERE name = ?`).run(...args, host)
  set(
    hv[0],
    `ovs_version = '2.5.0', kernel_version = ?, kernel_config = ?, plugging = 'qbr'`,
    KERNEL_VERSIONS[0]![0],
    JSON.stringify(kernelConfigFor(KERNEL_VERSIONS[0]![0])),
  )
  set(hv[1], `ovs_version = '2.17.9', plugging = 'direct'`)
  set(
    ct[0],
    `ovs_version = '3.1.0-2+deb12u1', kernel_version = '5.15.0-105-generic', kernel_config = ?, bpffs_mounted = 1, jit_enabled = 1`,
    JSON.stringify(kernelConfigFor('5.15.0-105-generic')),
  )
  set(ct[1], 'kernel_config = NULL')
  if (ct[2]) store.db.prepare('UPDATE cabling SET speed_mbps = 1000 WHERE host = ?').run(ct[2])
  if (plan.legacyPlugging === 0) set(hv[0], `plugging = 'direct'`)
}

function expandCounts<T>(values: T[], counts: number[]): T[] {
  return values.flatMap((v, i) => Array.from({length: counts[i]!}, () => v))
}

function shuffle<T>(rng: Rng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(0, i)
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
  return items
}

/** OpenStack's MAC prefix fa:16:3e and a counter: unique for 16M ports. */
export function macFor(n: number): string {
  return `fa:16:3e:${[(n >> 16) & 255, (n >> 8) & 255, n & 255].map(b => b.toString(16).padStart(2, '0')).join(':')}`
}
