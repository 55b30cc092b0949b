import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {openDb} from '../src/lib/store/db.js'
import {FabricStore} from '../src/lib/store/fabric-store.js'
import {generateFabric} from '../src/lib/sim/generator.js'
import {PROFILES} from '../src/lib/sim/profiles.js'
import {clearFaults, injectFault} from '../src/lib/sim/faults.js'
import {computeTrace} from '../src/lib/trace/compute.js'
import {flowSpec} from '../src/lib/trace/index.js'
import {simEvidence} from '../src/lib/trace/sim.js'
import type {FlowSpec, Trace, TraceEvidence} from '../src/lib/trace/types.js'
import {traceSchemas} from '../src/lib/schemas/trace.js'

async function fabric(topology: 'spine-leaf' | 'hierarchical' = 'spine-leaf', seed = 1) {
  const store = new FabricStore(await openDb(':memory:'))
  store.tx(() => generateFabric(store, {profile: PROFILES.small, seed, topology}))
  return store
}

const TCP: FlowSpec = {proto: 'tcp', sport: 49_152, dport: 80}

function trace(store: FabricStore, a: string, b: string, spec: FlowSpec = TCP): Trace {
  const t = computeTrace(simEvidence(store, 'sim', a, b), spec)
  // Every trace the lib produces matches the published schema.
  traceSchemas.Trace.parse(t)
  return t
}

interface PortInfo {
  id: string
  name: string
  host: string
  network: string
  tenant: string
  plugging: string
  role: string
  pair: string
  ip: string
}

function ports(store: FabricStore): PortInfo[] {
  return store
    .sql(
      `SELECT p.id, p.name, p.host, p.network, n.tenant, h.plugging, h.role, p.ip,
      (SELECT s.pair FROM cabling c JOIN switches s ON s.name = c.switch WHERE c.host = h.name LIMIT 1) AS pair
    FROM ports p JOIN hosts h ON h.name = p.host JOIN networks n ON n.name = p.network ORDER BY p.name`,
    )
    .all() as PortInfo[]
}

/** The first pair of ports (a, b) satisfying `pred`; fails the test when the fabric has none. */
function pairWhere(store: FabricStore, pred: (a: PortInfo, b: PortInfo) => boolean): [PortInfo, PortInfo] {
  const all = ports(store)
  for (const a of all) for (const b of all) if (a.id !== b.id && pred(a, b)) return [a, b]
  throw new Error('no pair of ports matches')
}

const ovsHost = (p: PortInfo) => p.role !== 'baremetal'
const hop = (t: Trace, node: string, device: string) => {
  const h = t.hops.find(x => x.node === node && x.device === device)
  if (!h) throw new Error(`no hop ${node}/${device} in ${t.hops.map(x => `${x.node}/${x.device}`).join(' ')}`)
  return h
}
/** The n-th hop with this device name on this node (br-int appears once per end; on one host twice only when hairpinning). */
const hopOf = (t: Trace, segment: 'src-end' | 'dst-end' | 'fabric', device: string) => {
  const h = t.hops.find(x => x.segment === segment && x.device === device)
  if (!h) throw new Error(`no ${segment} hop ${device}`)
  return h
}

function expectDrop(t: Trace, cause: string, at: {segment: 'src-end' | 'dst-end' | 'fabric'; device: string}) {
  const h = hopOf(t, at.segment, at.device)
  expect(t.disposition, JSON.stringify(t.disposition)).toMatchObject({
    result: 'dropped',
    cause,
    hop: h.n,
    device: at.device,
  })
  expect(h.status).toBe('drop')
  expect(t.hops.filter(x => x.status === 'drop')).toHaveLength(1)
  expect(t.hops.slice(0, h.n - 1).every(x => x.status === 'ok')).toBe(true)
  expect(t.hops.slice(h.n).every(x => x.status === 'not-reached')).toBe(true)
}

let store: FabricStore
beforeEach(async () => {
  store = await fabric()
})
afterEach(() => store.close())

describe('paths on a healthy spine-leaf fabric', () => {
  it('same host, same network: br-int only, no switch', () => {
    const [a, b] = pairWhere(
      store,
      (x, y) => x.host === y.host && x.network === y.network && ovsHost(x) && x.plugging === 'direct',
    )
    const t = trace(store, a.name, b.name)
    expect(t.route).toBe('local')
    expect(t.disposition.result).toBe('delivered')
    expect(t.hops.map(h => h.kind)).toEqual(
      ['vnic', 'veth', 'ovs-bridge', 'veth', 'vnic'].map(k => (k === 'veth' && a.role === 'hypervisor' ? 'tap' : k)),
    )
    expect(t.summary).toEqual({hostHops: 5, switchHops: 0, totalHops: 5, complete: true})
    expect(t.hops.every(h => h.node === a.host)).toBe(true)
  })

  it('same host, different networks of a tenant: up to the leaf gateway and back (hairpin)', () => {
    const [a, b] = pairWhere(
      store,
      (x, y) =>
        x.host === y.host && x.network !== y.network && x.tenant === y.tenant && ovsHost(x) && x.plugging === 'direct',
    )
    const t = trace(store, a.name, b.name)
    expect(t.route).toBe('routed')
    expect(t.disposition.result).toBe('delivered')
    expect(t.summary).toMatchObject({hostHops: 18, switchHops: 1})
    const leaf = t.hops.find(h => h.kind === 'leaf')!
    expect(leaf.action).toMatch(/route in vrf-corp at the anycast gateway/)
  })

  it('same leaf: no spine (1 switch hop)', () => {
    const [a, b] = pairWhere(
      store,
      (x, y) =>
        x.host !== y.host &&
        x.pair === y.pair &&
        x.network === y.network &&
        ovsHost(x) &&
        ovsHost(y) &&
        x.plugging === 'direct' &&
        y.plugging === 'direct',
    )
    const t = trace(store, a.name, b.name)
    expect(t.disposition.result).toBe('delivered')
    expect(t.summary).toEqual({hostHops: 18, switchHops: 1, totalHops: 19, complete: true})
    expect(t.hops.some(h => h.kind === 'spine')).toBe(false)
    expect(t.ecmp).toBeNull()
  })

  it('across spines: 18 host-path hops + leaf → spine → leaf, VLAN → L2 VNI with the VTEPs', () => {
    const [a, b] = pairWhere(
      store,
      (x, y) =>
        x.pair !== y.pair &&
        x.network === y.network &&
        ovsHost(x) &&
        ovsHost(y) &&
        x.plugging === 'direct' &&
        y.plugging === 'direct',
    )
    const t = trace(store, a.name, b.name)
    expect(t.disposition.result).toBe('delivered')
    expect(t.route).toBe('bridged')
    expect(t.summary).toEqual({hostHops: 18, switchHops: 3, totalHops: 21, complete: true})
    const fabricHops = t.hops.filter(h => h.segment === 'fabric')
    expect(fabricHops.map(h => h.kind)).toEqual(['leaf', 'spine', 'leaf'])
    const net = store.network(a.network)!
    const [ingress, spine, egress] = fabricHops
    expect(ingress!.encap.vni).toBe(net.l2Vni)
    expect(ingress!.plane).toBe('overlay')
    expect(ingress!.encap.outer).toMatchObject({
      srcVtep: store.switch(ingress!.node)!.vtep,
      dstVtep: store.switch(egress!.node)!.vtep,
      udpDstPort: 4789,
    })
    expect(t.ecmp!.chosen).toBe(spine!.node)
    expect(t.ecmp!.candidates).toEqual(['az1-spine1', 'az1-spine2'])
    // Per-end device order (DESIGN.md §1) and the local VLAN from the OVS agent's wiring.
    const srcEnd = t.hops.filter(h => h.segment === 'src-end')
    expect(srcEnd.map(h => h.kind)).toEqual([
      'vnic',
      a.role === 'hypervisor' ? 'tap' : 'veth',
      'ovs-bridge',
      'ovs-patch',
      'ovs-patch',
      'ovs-bridge',
      'bond',
      'nic',
      'switch-port',
    ])
    expect(srcEnd.map(h => h.device).slice(2, 7)).toEqual(['br-int', 'int-br-bond', 'phy-br-bond', 'br-bond', 'bond0'])
    expect(hop(t, a.host, 'br-int').encap.vlan).toBe(store.ovsPortOf(a.id)!.localVlan)
    expect(hop(t, a.host, 'phy-br-bond').encap.vlan).toBe(net.vlan)
    expect(srcEnd.every(h => h.plane === 'underlay')).toBe(true)
    const dstEnd = t.hops.filter(h => h.segment === 'dst-end')
    expect(dstEnd.at(-3)!.device).toBe('br-int')
    expect(dstEnd.at(-3)!.encap.vlan).toBe(store.ovsPortOf(b.id)!.localVlan)
  })

  it('across networks: routed at the anycast gateway in the tenant VRF, L3 VNI between leaves', () => {
    const [a, b] = pairWhere(
      store,
      (x, y) => x.pair !== y.pair && x.network !== y.network && x.tenant === y.tenant && ovsHost(x) && ovsHost(y),
    )
    const t = trace(store, a.name, b.name)
    expect(t.route).toBe('routed')
    expect(t.disposition.result).toBe('delivered')
    const tenant = store.tenants().find(x => x.name === a.tenant)!
    const [ingress, , egress] = t.hops.filter(h => h.segment === 'fabric')
    expect(ingress!.encap).toMatchObject({vni: tenant.l3Vni, vrf: tenant.vrf})
    expect(ingress!.action).toContain(`anycast gateway ${store.network(a.network)!.gateway}`)
    expect(egress!.action).toContain(`VLAN ${store.network(b.network)!.vlan}`)
    expect(t.summary.switchHops).toBe(3)
  })

  it('across tenants: dropped at the ingress leaf, no route between VRFs', () => {
    const [a, b] = pairWhere(store, (x, y) => x.tenant !== y.tenant && x.pair !== y.pair && ovsHost(x) && ovsHost(y))
    const t = trace(store, a.name, b.name)
    expect(t.route).toBe('none')
    expectDrop(t, 'NO_ROUTE_BETWEEN_TENANTS', {segment: 'fabric', device: t.hops.find(h => h.kind === 'leaf')!.device})
    expect(t.summary.complete).toBe(false)
    expect(t.hops.at(-1)!.kind).toBe('leaf')
  })

  it('legacy qbr plugging: 24 host-path hops with qbr on both ends, 21 when mixed, either way round', () => {
    const qq = pairWhere(
      store,
      (x, y) => x.pair !== y.pair && x.plugging === 'qbr' && y.plugging === 'qbr' && x.network === y.network,
    )
    const t = trace(store, qq[0].name, qq[1].name)
    expect(t.summary).toMatchObject({hostHops: 24, switchHops: 3, totalHops: 27})
    const srcEnd = t.hops.filter(h => h.segment === 'src-end').map(h => h.device)
    const id11 = qq[0].id.slice(0, 11)
    expect(srcEnd.slice(1, 5)).toEqual([`tap${id11}`, `qbr${id11}`, `qvb${id11}`, `qvo${id11}`])
    const mixed = pairWhere(
      store,
      (x, y) =>
        x.pair !== y.pair && x.plugging === 'qbr' && y.plugging === 'direct' && ovsHost(y) && x.network === y.network,
    )
    for (const [a, b] of [mixed, [mixed[1], mixed[0]]] as const) {
      const m = trace(store, a.name, b.name)
      expect(m.disposition.result).toBe('delivered')
      expect(m.summary).toMatchObject({hostHops: 21, switchHops: 3, totalHops: 24})
    }
  })

  it('bare metal: the instance owns the bond, no OVS (bond0, NIC, switch port)', () => {
    const [a, b] = pairWhere(
      store,
      (x, y) =>
        x.role === 'baremetal' && x.pair !== y.pair && y.plugging === 'direct' && ovsHost(y) && x.network === y.network,
    )
    const t = trace(store, a.name, b.name)
    expect(t.disposition.result).toBe('delivered')
    expect(t.src.plugging).toBe('baremetal')
    expect(t.hops.filter(h => h.segment === 'src-end').map(h => h.kind)).toEqual(['bond', 'nic', 'switch-port'])
    expect(t.summary).toMatchObject({hostHops: 12, switchHops: 3})
    const back = trace(store, b.name, a.name)
    expect(back.hops.filter(h => h.segment === 'dst-end').map(h => h.kind)).toEqual(['switch-port', 'nic', 'bond'])
  })

  it('resolves endpoints by port name, id, IP and instance name, and refuses unknown or ambiguous ones', () => {
    const [a, b] = pairWhere(store, (x, y) => x.pair !== y.pair && x.network === y.network && ovsHost(x) && ovsHost(y))
    const byName = trace(store, a.name, b.name)
    expect(trace(store, a.id, b.ip).hops).toEqual(byName.hops)
    expect(() => trace(store, 'nope', b.name)).toThrow(/No port or instance named "nope"/)
  })
})

describe('faults show up as the cause of a drop at the right hop', () => {
  let a: PortInfo
  let b: PortInfo
  beforeEach(() => {
    ;[a, b] = pairWhere(
      store,
      (x, y) =>
        x.pair !== y.pair && x.network === y.network && x.plugging === 'direct' && y.plugging === 'qbr' && ovsHost(x),
    )
    expect(trace(store, a.name, b.name).disposition.result).toBe('delivered')
  })

  it('ovs-down: at br-int leaving the source, at br-bond entering the destination', () => {
    injectFault(store, 'ovs-down', a.host)
    expectDrop(trace(store, a.name, b.name), 'OVS_DOWN', {segment: 'src-end', device: 'br-int'})
    clearFaults(store, 'all')
    injectFault(store, 'ovs-down', b.host)
    expectDrop(trace(store, a.name, b.name), 'OVS_DOWN', {segment: 'dst-end', device: 'br-bond'})
  })

  it('agent-down: at br-int of the host whose agent is dead', () => {
    injectFault(store, 'agent-down', a.host)
    const t = trace(store, a.name, b.name)
    expectDrop(t, 'AGENT_DOWN', {segment: 'src-end', device: 'br-int'})
    expect(t.disposition.reason).toMatch(/last heartbeat/)
    clearFaults(store, 'all')
    injectFault(store, 'agent-down', b.host)
    expectDrop(trace(store, a.name, b.name), 'AGENT_DOWN', {segment: 'dst-end', device: 'br-int'})
  })

  it('device-missing: at br-int, naming the device (tap for direct, qvo for qbr)', () => {
    injectFault(store, 'device-missing', a.name)
    const t = trace(store, a.name, b.name)
    expectDrop(t, 'DEVICE_NOT_ON_BR_INT', {segment: 'src-end', device: 'br-int'})
    expect(t.disposition.reason).toContain(`tap${a.id.slice(0, 11)}`)
    clearFaults(store, 'all')
    injectFault(store, 'device-missing', b.name)
    const u = trace(store, a.name, b.name)
    expectDrop(u, 'DEVICE_NOT_ON_BR_INT', {segment: 'dst-end', device: 'br-int'})
    expect(u.disposition.reason).toContain(`qvo${b.id.slice(0, 11)}`)
  })

  it('leaf-unreachable: at the source switch port of the ingress leaf, at the egress leaf', () => {
    const base = trace(store, a.name, b.name)
    const [ingress, , egress] = base.hops.filter(h => h.segment === 'fabric')
    injectFault(store, 'leaf-unreachable', ingress!.node)
    const srcPort = base.hops.find(h => h.segment === 'src-end' && h.kind === 'switch-port')!
    expectDrop(trace(store, a.name, b.name), 'LEAF_UNREACHABLE', {segment: 'src-end', device: srcPort.device})
    clearFaults(store, 'all')
    injectFault(store, 'leaf-unreachable', egress!.node)
    expectDrop(trace(store, a.name, b.name), 'LEAF_UNREACHABLE', {segment: 'fabric', device: egress!.device})
  })

  it('config-drift (a VLAN removed from a host interface in the running config): at that switch port', () => {
    const base = trace(store, a.name, b.name)
    const srcPort = base.hops.find(h => h.segment === 'src-end' && h.kind === 'switch-port')!
    const dstPort = base.hops.find(h => h.segment === 'dst-end' && h.kind === 'switch-port')!
    const vlan = store.network(a.network)!.vlan
    injectFault(store, 'config-drift', srcPort.node, {interface: srcPort.device, vlan})
    const t = trace(store, a.name, b.name)
    expectDrop(t, 'LEAF_VLAN_MISSING', {segment: 'src-end', device: srcPort.device})
    expect(t.disposition.reason).toContain(`VLAN ${vlan}`)
    clearFaults(store, 'all')
    injectFault(store, 'config-drift', dstPort.node, {interface: dstPort.device, vlan})
    expectDrop(trace(store, a.name, b.name), 'LEAF_VLAN_MISSING', {segment: 'dst-end', device: dstPort.device})
    clearFaults(store, 'all')
    expect(trace(store, a.name, b.name).disposition.result).toBe('delivered')
  })

  it('nic-down: the bond skips the NIC without link, for every flow', () => {
    injectFault(store, 'nic-down', a.host)
    for (let sport = 1000; sport < 1040; sport++) {
      const t = trace(store, a.name, b.name, {proto: 'tcp', sport, dport: 80})
      expect(t.disposition.result).toBe('delivered')
      expect(t.hops.find(h => h.segment === 'src-end' && h.kind === 'nic')!.device).toBe('eth0')
      expect(t.hops.find(h => h.kind === 'bond' && h.segment === 'src-end')!.action).toMatch(
        /1 of 2 members up, eth1 down/,
      )
    }
  })

  it('a port whose recorded state is not ACTIVE_ACTIVE: at br-int (underlay) or at the switch port (overlay)', () => {
    store.setPortState(a.id, 'BUILD', null)
    const t = trace(store, a.name, b.name)
    expectDrop(t, 'PORT_NOT_ACTIVE_ACTIVE', {segment: 'src-end', device: 'br-int'})
    expect(t.disposition.reason).toMatch(/BUILD_ACTIVE/)
    store.setPortState(a.id, 'ACTIVE', 'ERROR')
    const srcPort = t.hops.find(h => h.segment === 'src-end' && h.kind === 'switch-port')!
    expectDrop(trace(store, a.name, b.name), 'PORT_NOT_ACTIVE_ACTIVE', {segment: 'src-end', device: srcPort.device})
  })

  it('control-plane faults that do not break forwarding now are warnings, not drops', () => {
    const base = trace(store, a.name, b.name)
    const ingress = base.hops.find(h => h.kind === 'leaf')!.node
    injectFault(store, 'push-fail', ingress)
    injectFault(store, 'stale-host-map', a.host)
    injectFault(store, 'controller-missing-port', b.name)
    injectFault(store, 'network-exhausted', a.network)
    const t = trace(store, a.name, b.name)
    expect(t.disposition.result).toBe('delivered')
    expect(t.warnings.join('\n')).toMatch(new RegExp(`pushes to leaf ${ingress} fail`))
    expect(t.warnings.join('\n')).toMatch(new RegExp(`controller maps ${a.host} to leaf interfaces`))
    expect(t.warnings.join('\n')).toMatch(new RegExp(`controller has no record of ${b.name}`))
    expect(t.warnings).toHaveLength(3)
  })
})

describe('ECMP and bond hashing', () => {
  it('is stable for a flow and spreads across flows (spines, bond members, VXLAN source ports)', () => {
    const [a, b] = pairWhere(store, (x, y) => x.pair !== y.pair && x.network === y.network && ovsHost(x) && ovsHost(y))
    const spines = new Map<string, number>()
    const nics = new Set<string>()
    const outer = new Set<number>()
    for (let sport = 20_000; sport < 20_200; sport++) {
      const spec: FlowSpec = {proto: 'tcp', sport, dport: 443}
      const t1 = trace(store, a.name, b.name, spec)
      const t2 = trace(store, a.name, b.name, spec)
      expect(t2.ecmp).toEqual(t1.ecmp)
      expect(t2.hops).toEqual(t1.hops)
      spines.set(t1.ecmp!.chosen!, (spines.get(t1.ecmp!.chosen!) ?? 0) + 1)
      nics.add(t1.hops.find(h => h.kind === 'nic')!.device)
      outer.add(t1.ecmp!.outerUdpSrcPort)
    }
    expect([...spines.keys()].sort()).toEqual(['az1-spine1', 'az1-spine2'])
    for (const n of spines.values()) expect(n).toBeGreaterThan(60) // 200 flows over 2 spines: neither starved
    expect([...nics].sort()).toEqual(['eth0', 'eth1'])
    expect(outer.size).toBeGreaterThan(190)
    for (const p of outer) expect(p >= 49_152 && p <= 65_535).toBe(true)
  })

  it('icmp has no ports; flags are validated', () => {
    expect(flowSpec({proto: 'icmp'})).toEqual({proto: 'icmp', sport: 0, dport: 0})
    expect(flowSpec({})).toEqual({proto: 'tcp', sport: 49_152, dport: 80})
    expect(() => flowSpec({proto: 'icmp', sport: 5})).toThrow(/ICMP has no ports/)
    expect(() => flowSpec({proto: 'udp', dport: 70_000})).toThrow(/not a port number/)
  })
})

describe('hierarchical AZ: access, aggregation, core gateway and back', () => {
  beforeEach(async () => {
    store.close()
    store = await fabric('hierarchical')
  })

  it('bridged on one access pair, across the aggregation, routed at the core; other tenants dropped at the core', () => {
    const local = pairWhere(
      store,
      (x, y) => x.host !== y.host && x.pair === y.pair && x.network === y.network && ovsHost(x) && ovsHost(y),
    )
    const t1 = trace(store, local[0].name, local[1].name)
    expect(t1.topology).toBe('hierarchical')
    expect(t1.hops.filter(h => h.segment === 'fabric').map(h => h.kind)).toEqual(['access'])
    expect(t1.disposition.result).toBe('delivered')

    const across = pairWhere(store, (x, y) => x.pair !== y.pair && x.network === y.network && ovsHost(x) && ovsHost(y))
    const t2 = trace(store, across[0].name, across[1].name)
    expect(t2.hops.filter(h => h.segment === 'fabric').map(h => h.kind)).toEqual(['access', 'aggregation', 'access'])
    expect(t2.hops.every(h => h.plane === 'underlay' && h.encap.vni === null)).toBe(true)

    const routed = pairWhere(
      store,
      (x, y) => x.pair !== y.pair && x.network !== y.network && x.tenant === y.tenant && ovsHost(x) && ovsHost(y),
    )
    const t3 = trace(store, routed[0].name, routed[1].name)
    const fab = t3.hops.filter(h => h.segment === 'fabric')
    expect(fab.map(h => h.kind)).toEqual(['access', 'aggregation', 'core', 'aggregation', 'access'])
    expect(fab[2]!.node).toBe('az1-core1')
    expect(fab[2]!.action).toContain(`gateway ${store.network(routed[0].network)!.gateway}`)
    expect(fab[2]!.encap.vlan).toBe(store.network(routed[1].network)!.vlan)
    expect(t3.disposition.result).toBe('delivered')
    expect(t3.summary.switchHops).toBe(5)

    const tenants = pairWhere(store, (x, y) => x.tenant !== y.tenant && ovsHost(x) && ovsHost(y))
    const t4 = trace(store, tenants[0].name, tenants[1].name)
    expectDrop(t4, 'NO_ROUTE_BETWEEN_TENANTS', {segment: 'fabric', device: 'az1-core1'})
  })
})

describe('evidence the simulated faults cannot produce (pure computation)', () => {
  let a: PortInfo
  let b: PortInfo
  let ev: TraceEvidence
  beforeEach(() => {
    ;[a, b] = pairWhere(
      store,
      (x, y) =>
        x.pair !== y.pair &&
        x.network === y.network &&
        x.plugging === 'direct' &&
        y.plugging === 'direct' &&
        ovsHost(x) &&
        ovsHost(y),
    )
    ev = simEvidence(store, 'sim', a.name, b.name)
  })

  it('no healthy spine', () => {
    for (const s of ev.switches) if (s.role === 'spine') s.healthy = false
    const t = computeTrace(ev, TCP)
    expect(t.disposition).toMatchObject({result: 'dropped', cause: 'NO_HEALTHY_SPINE'})
    expect(t.hops.at(-1)!.kind).toBe('spine')
    expect(t.summary.complete).toBe(false)
  })

  it('one unhealthy spine: ECMP only over the healthy one', () => {
    ev.switches.find(s => s.name === 'az1-spine1')!.healthy = false
    for (let sport = 1; sport <= 20; sport++)
      expect(computeTrace(ev, {proto: 'udp', sport, dport: 53}).ecmp!.chosen).toBe('az1-spine2')
  })

  it('leaf lacks the VNI', () => {
    const base = computeTrace(ev, TCP)
    const egress = base.hops.filter(h => h.kind === 'leaf')[1]!
    const sw = ev.switches.find(s => s.name === egress.node)!
    sw.running = structuredClone(sw.running!)
    delete sw.running.vnis[String(ev.dst.network.l2Vni)]
    const t = computeTrace(ev, TCP)
    expect(t.disposition).toMatchObject({result: 'dropped', cause: 'LEAF_VNI_MISSING', hop: egress.n})
  })

  it('every bond member down', () => {
    for (const n of ev.src.host!.nics) n.up = false
    const t = computeTrace(ev, TCP)
    expect(t.disposition).toMatchObject({result: 'dropped', cause: 'BOND_NO_LINK', device: 'bond0'})
    for (const n of ev.src.host!.nics) n.up = true
    for (const n of ev.dst.host!.nics) n.up = false
    expect(computeTrace(ev, TCP).disposition).toMatchObject({result: 'dropped', cause: 'HOST_NO_LINK'})
  })

  it('destination NIC towards the ingress leaf down: the ingress leaf goes across the fabric to the other leaf of the pair', () => {
    const [c, d] = pairWhere(
      store,
      (x, y) => x.host !== y.host && x.pair === y.pair && x.network === y.network && ovsHost(x) && ovsHost(y),
    )
    const e = simEvidence(store, 'sim', c.name, d.name)
    const ingress = computeTrace(e, TCP).hops.find(h => h.kind === 'leaf')!.node
    e.dst.host!.nics.find(n => n.switch === ingress)!.up = false
    const t = computeTrace(e, TCP)
    expect(t.hops.filter(h => h.segment === 'fabric').map(h => h.kind)).toEqual(['leaf', 'spine', 'leaf'])
    expect(t.hops.filter(h => h.kind === 'leaf')[1]!.node).not.toBe(ingress)
  })

  it('a live in-host verdict (ofproto/trace) that drops is the cause at br-int', () => {
    ev.src.attachment!.verdictOut = {
      ok: false,
      detail: 'Datapath actions: drop',
      source: 'ovs-appctl ofproto/trace br-int in_port=5',
    }
    const t = computeTrace(ev, TCP)
    expect(t.disposition).toMatchObject({result: 'dropped', cause: 'OVS_FLOW_DROP', device: 'br-int'})
  })
})

describe('live evidence parsers (on output recorded from the lab hosts and leaves)', () => {
  it('ofproto/trace datapath actions, dpif/show and bond/show', async () => {
    const {
      parseBondShow,
      parseDatapathActions,
      parseDpifShow: parseDpif,
    } = await import('../src/lib/backends/live/parse/index.js')
    const acts = parseDatapathActions(
      'Final flow: unchanged\nMegaflow: recirc_id=0,eth,ip,in_port=2\nDatapath actions: 2,1,push_vlan(vid=1,pcp=0),4,pop_vlan,6\n',
    )
    expect(acts).toEqual({
      line: '2,1,push_vlan(vid=1,pcp=0),4,pop_vlan,6',
      drop: false,
      outputs: [
        {dp: 2, vlan: null},
        {dp: 1, vlan: null},
        {dp: 4, vlan: 1},
        {dp: 6, vlan: null},
      ],
    })
    expect(parseDatapathActions('Datapath actions: drop')!.drop).toBe(true)
    expect(parseDatapathActions('no such bridge')).toBeNull()
    const dpif = parseDpif(
      'netdev@ovs-netdev: hit:81 missed:100\n  br-bond:\n    br-bond 65534/1: (tap)\n    eth0 2/2: (system)\n    eth1 3/3: (system)\n    phy-br-bond 1/none: (patch: peer=int-br-bond)\n  br-int:\n    br-int 65534/4: (tap)\n    int-br-bond 1/none: (patch: peer=phy-br-bond)\n    tap157f39d9-94 2/5: (system)\n',
    )
    expect(dpif.find(p => p.name === 'tap157f39d9-94')).toEqual({
      bridge: 'br-int',
      name: 'tap157f39d9-94',
      ofport: 2,
      dp: 5,
    })
    expect(dpif.find(p => p.name === 'phy-br-bond')).toEqual({
      bridge: 'br-bond',
      name: 'phy-br-bond',
      ofport: 1,
      dp: null,
    })
    const bonds = parseBondShow(
      '---- bond0 ----\nbond_mode: active-backup\nactive-backup primary: eth1\n\nmember eth0: enabled\n  may_enable: true\n\nmember eth1: enabled\n  active member\n  may_enable: true\n',
    )
    expect(bonds).toEqual([
      {
        name: 'bond0',
        mode: 'active-backup',
        lacpStatus: null,
        lacpFallbackAb: null,
        activeMember: 'eth1',
        members: [
          {name: 'eth0', enabled: true, active: false, mayEnable: true},
          {name: 'eth1', enabled: true, active: true, mayEnable: true},
        ],
      },
    ])
  })
})
