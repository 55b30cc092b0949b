// A live trace's fabric part read through the leaf drivers (issue 11): the leaves are the real FRR driver
// over recorded command output (test/helpers/frr-driver.ts), laid out as fabricctl did not lay them out
// (bridges not named br<VNI>, VXLAN devices not named vxlan<VNI>, made by hand), and as the full-profile
// lab leaf recorded (test/fixtures/leaf-full/lab-leaf1.json: one VLAN-aware br0, the VLAN from bridge
// membership). The VNI comes from the VXLAN device's id, the VLAN of a host port from the bridge it is in;
// a fact the readings do not tell is `unknown` with the reason in the hop, never a default MAC or VNI.
import fs from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import type {LiveContext} from '../src/lib/context/schema.js'
import type {LeafDriver} from '../src/lib/leaf/driver.js'
import type {IpLink} from '../src/lib/leaf/frr/native.js'
import {type LeafReading, readLeavesThrough} from '../src/lib/leaf/observe.js'
import {traceSchemas} from '../src/lib/schemas/trace.js'
import {DEFAULT_BRIDGES} from '../src/lib/trace/bridges.js'
import {makeStyle} from '../src/lib/output/style.js'
import {computeTrace} from '../src/lib/trace/compute.js'
import {renderTraceDiagram, renderTraceTable} from '../src/lib/trace/render.js'
import {gatewayMac, leafSwitches, networkVni, spineSwitches} from '../src/lib/trace/leaves.js'
import type {EndpointEvidence, FlowSpec, NetworkEvidence, Trace, TraceEvidence} from '../src/lib/trace/types.js'
import {type OfflineDriverOptions, type RecordedLeaf, recordedDriver} from './helpers/frr-driver.js'

const TCP: FlowSpec = {proto: 'tcp', sport: 49_152, dport: 80}
const GW_MAC = '02:00:5e:10:01:01'
const CATALOG = new Map([
  [10101, {vlan: 101, network: 'blue'}],
  [10102, {vlan: 102, network: 'red'}],
])

// A leaf someone built by hand: bridge "tenant-blue" holds VXLAN device "vx-blue" (id 10101) and swp1,
// bridge "red" holds "tun7" (id 10102) and swp2; no device carries fabricctl's mark.
const bridge = (ifname: string, gw: string | null, mac = GW_MAC): IpLink => ({
  ifname,
  address: mac,
  flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
  linkinfo: {info_kind: 'bridge', info_data: {mcast_snooping: 0, stp_state: 0}},
  addr_info: gw ? [{family: 'inet', local: gw, prefixlen: 24}] : [],
})
const vxlan = (ifname: string, id: number, master: string, local: string): IpLink => ({
  ifname,
  address: '6a:00:00:00:00:01',
  flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
  master,
  linkinfo: {
    info_kind: 'vxlan',
    info_data: {id, local, port: 4789, learning: false},
    info_slave_kind: 'bridge',
    info_slave_data: {learning: false, neigh_suppress: true},
  },
})
const port = (ifname: string, master?: string): IpLink => ({
  ifname,
  flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
  ...(master ? {master} : {}),
})
const frr = (asn: number) =>
  [
    'frr version 8.4.4',
    `router bgp ${asn}`,
    ' neighbor 10.255.0.1 remote-as 65000',
    ' address-family l2vpn evpn',
    '  neighbor 10.255.0.1 activate',
    '  advertise-all-vni',
    ' exit-address-family',
    'exit',
    'end',
    '',
  ].join('\n')
const bgp = (state: string) => ({
  ipv4Unicast: {peers: {'10.255.0.1': {hostname: 'spine-1', state: 'Established'}}},
  l2VpnEvpn: {peers: {'10.255.0.1': {hostname: 'spine-1', state}}},
})
/** A recording whose links are typed (`ip -j -d addr show` as the driver parses it). */
type HandMade = Omit<RecordedLeaf, 'links'> & {links: IpLink[]}
const handMade = (vtep: string, o: {swp1?: string | null; blueGw?: string | null} = {}): HandMade => ({
  links: [
    bridge('tenant-blue', o.blueGw === undefined ? '10.7.1.1' : o.blueGw),
    vxlan('vx-blue', 10_101, 'tenant-blue', vtep),
    bridge('red', '10.7.2.1'),
    vxlan('tun7', 10_102, 'red', vtep),
    port('swp1', o.swp1 === undefined ? 'tenant-blue' : (o.swp1 ?? undefined)),
    port('swp2', 'red'),
  ],
  running: frr(65_011),
  bgp: bgp('Established'),
})

const opts = (leaf: string): OfflineDriverOptions => ({
  leaf,
  hostPorts: ['swp1', 'swp2'],
  catalog: CATALOG,
  vniBase: 10_000,
})

/** A leaf-driver registry over recordings (the real FRR driver each time, as fabric.leafDrivers.open gives it). */
const registry = (recs: Record<string, RecordedLeaf>, wrap: (d: LeafDriver) => LeafDriver = d => d) => ({
  async open(leaf: string) {
    const rec = recs[leaf]
    if (!rec) throw new Error(`leaf ${leaf} does not answer`)
    return wrap(recordedDriver(rec, opts(leaf)))
  },
})

const LEAVES = [
  {name: 'leaf-a', az: 'az1'},
  {name: 'leaf-b', az: 'az1'},
] as unknown as LiveContext['inventory']['leaves']
const SPINES = [{name: 'spine-1', az: 'az1', address: '10.255.0.1'}] as unknown as LiveContext['inventory']['spines']

function endpoint(name: string, host: string, leaf: string, ip: string, net: NetworkEvidence): EndpointEvidence {
  const dev = `tap${name}`
  return {
    ref: name,
    port: {
      id: name,
      name,
      ip,
      mac: `fa:16:3e:00:00:0${name.length}`,
      network: net.name,
      host,
      instance: null,
      underlay: 'ACTIVE',
      overlay: 'ACTIVE',
    },
    instanceKind: 'vm',
    network: net,
    host: {
      name: host,
      az: 'az1',
      role: 'hypervisor',
      plugging: 'direct',
      ovsPresent: true,
      ovsRunning: true,
      agentAlive: null,
      agentHeartbeatAt: null,
      bond: 'bond0',
      nics: [{name: 'eth0', switch: leaf, interface: 'swp1', up: true}],
      activeMember: 'eth0',
      bridges: {...DEFAULT_BRIDGES},
    },
    attachment: {
      vnic: 'eth0',
      hostEnd: dev,
      hostEndKind: 'tap',
      hostEndPresent: true,
      qbr: null,
      brInt: {device: dev, localVlan: 1, ofport: 5},
    },
  }
}

/** The evidence a live trace assembles from the leaf readings (as backends/live/trace-evidence.ts does), for two hosts on leaf-a and leaf-b. */
function evidence(reads: Map<string, LeafReading>, net: {name: string; vlan: number; gateway: string}): TraceEvidence {
  const vni = networkVni(reads.values(), net.gateway, net.vlan)
  const network: NetworkEvidence = {
    name: net.name,
    az: 'az1',
    tenant: 't1',
    vrf: null,
    l3Vni: null,
    vlan: net.vlan,
    ...(vni.vni === null ? {l2Vni: null, l2VniUnknown: vni.reason} : {l2Vni: vni.vni}),
    cidr: `${net.gateway}/24`,
    gateway: net.gateway,
  }
  const leaves = leafSwitches(LEAVES, ['leaf-a', 'leaf-b'], reads)
  const spines = spineSwitches(SPINES, 'az1', reads.values())
  return {
    backend: 'live',
    context: 'recorded',
    az: {name: 'az1', topology: 'spine-leaf'},
    src: endpoint('a', 'h1', 'leaf-a', '10.7.1.10', network),
    dst: endpoint('bb', 'h2', 'leaf-b', '10.7.1.11', network),
    switches: [...leaves.switches, ...spines.switches],
    warnings: [...leaves.warnings, ...spines.warnings],
  }
}

function trace(ev: TraceEvidence): Trace {
  const t = computeTrace(ev, TCP)
  traceSchemas.Trace.parse(t)
  return t
}

const BLUE = {name: 'blue', vlan: 101, gateway: '10.7.1.1'}

describe('trace through the leaf drivers, on leaves laid out by hand', () => {
  it('bridged across two leaves: VNI from the VXLAN id, host port by bridge membership, VTEPs and spine from the leaves', async () => {
    const reads = await readLeavesThrough(
      registry({'leaf-a': handMade('10.0.0.11'), 'leaf-b': handMade('10.0.0.12')}),
      ['leaf-a', 'leaf-b'],
      {peers: true},
    )
    const a = reads.get('leaf-a')!
    expect(a.reachable).toBe(true)
    // The hand-made devices are not fabricctl's (not managed), but they are what the traffic meets.
    expect(a.reachable && Object.keys(a.running.config.vnis)).toEqual([])
    expect(a.reachable && a.observed.interfaces).toEqual({swp1: {vlans: [101]}, swp2: {vlans: [102]}})
    expect(networkVni(reads.values(), '10.7.1.1', 101)).toEqual({
      vni: 10_101,
      source: 'leaf-a: VNI 10101 holds gateway 10.7.1.1',
    })
    const t = trace(evidence(reads, BLUE))
    expect(t.disposition.result).toBe('delivered')
    expect(t.src.network.l2Vni).toBe(10_101)
    const fabric = t.hops.filter(h => h.segment === 'fabric')
    expect(fabric.map(h => [h.node, h.kind])).toEqual([
      ['leaf-a', 'leaf'],
      ['spine-1', 'spine'],
      ['leaf-b', 'leaf'],
    ])
    expect(fabric[0]!.encap.outer).toMatchObject({srcVtep: '10.0.0.11', dstVtep: '10.0.0.12'})
    expect(fabric[0]!.evidence).toMatch(/leaf-a: the frr driver's reading/)
    expect(t.hops.some(h => h.unknown)).toBe(false)
    expect(t.warnings).toEqual([])
  })

  it('the host port taken out of its bridge: LEAF_VLAN_MISSING at that switch port, read from the device', async () => {
    const reads = await readLeavesThrough(
      registry({'leaf-a': handMade('10.0.0.11'), 'leaf-b': handMade('10.0.0.12', {swp1: null})}),
      ['leaf-a', 'leaf-b'],
      {peers: true},
    )
    const t = trace(evidence(reads, BLUE))
    expect(t.disposition).toMatchObject({result: 'dropped', node: 'leaf-b', device: 'swp1', cause: 'LEAF_VLAN_MISSING'})
  })

  it('the full-profile lab leaf (br0, VLAN-aware): the VLAN from bridge membership, the gateway from the SVI', async () => {
    const FX = JSON.parse(
      fs.readFileSync(path.join(import.meta.dirname, 'fixtures', 'leaf-full', 'lab-leaf1.json'), 'utf8'),
    )
    const rec: RecordedLeaf = {
      links: FX.links,
      running: FX.running,
      bgp: bgp('Established'),
      full: {bvlan: FX.bvlan, fdb: FX.fdb, sysctl: FX.sysctl},
    }
    const tenants = [{tag: 'prod-env', vrf: 'vrf-prod', table: 1001, l3Vni: 19_001, l3Vlan: 4001}]
    const reads = await readLeavesThrough(
      {open: async leaf => recordedDriver(rec, {...opts(leaf), hostPorts: ['swp1', 'swp2', 'swp3'], tenants})},
      ['lab-leaf1'],
      {peers: true},
    )
    const r = reads.get('lab-leaf1')!
    // Nothing on it carries fabricctl's mark (nothing declared): none of it is managed, all of it is what the traffic meets.
    expect(r.reachable && r.running.config.interfaces).toEqual({})
    expect(r.reachable && r.observed.interfaces.swp1).toEqual({vlans: [101, 102]})
    expect(networkVni(reads.values(), '198.19.1.1', 101)).toEqual({
      vni: 10_101,
      source: 'lab-leaf1: VNI 10101 holds gateway 198.19.1.1',
    })
    expect(gatewayMac(reads.values(), '198.19.1.1', undefined)).toEqual({
      mac: '44:38:39:ff:00:01',
      source: 'lab-leaf1: gateway 198.19.1.1 of VNI 10101',
    })
    const sw = leafSwitches(
      [{name: 'lab-leaf1', az: 'az1'}] as unknown as LiveContext['inventory']['leaves'],
      ['lab-leaf1'],
      reads,
    )
    expect(sw.switches[0]).toMatchObject({vtep: '198.19.255.11', reachable: true})

    // The same leaf with its devices renamed (not vxlan<VNI>, not vlan<VLAN>): the same model, read from the devices.
    const renames: Record<string, string> = {vxlan10101: 'vx-a', vlan101: 'gw-blue', vxlan10102: 'tun-red'}
    const renamed = JSON.parse(JSON.stringify({links: FX.links, bvlan: FX.bvlan}), (k, v) =>
      (k === 'ifname' || k === 'master' || k === 'link') && typeof v === 'string' ? (renames[v] ?? v) : v,
    )
    const names = (renamed.links as {ifname: string}[]).map(l => l.ifname)
    expect(names).toEqual(expect.arrayContaining(['vx-a', 'gw-blue', 'tun-red']))
    expect(names).not.toContain('vxlan10101')
    const again = await readLeavesThrough(
      {
        open: async leaf =>
          recordedDriver(
            {...rec, links: renamed.links, full: {...rec.full!, bvlan: renamed.bvlan}},
            {...opts(leaf), hostPorts: ['swp1', 'swp2', 'swp3'], tenants},
          ),
      },
      ['lab-leaf1'],
    )
    const a = again.get('lab-leaf1')!
    expect(a.reachable && a.observed).toEqual(r.reachable && r.observed)
    expect(networkVni(again.values(), '198.19.1.1', 101)).toMatchObject({vni: 10_101})
  })

  it('no leaf carries the network: l2Vni unknown (null, the reason), the leaf hop says what its config lacks', async () => {
    const reads = await readLeavesThrough(
      registry({'leaf-a': handMade('10.0.0.11'), 'leaf-b': handMade('10.0.0.12')}),
      ['leaf-a', 'leaf-b'],
      {peers: true},
    )
    const ev = evidence(reads, {name: 'green', vlan: 303, gateway: '10.9.9.1'})
    const t = trace(ev)
    expect(t.src.network.l2Vni).toBeNull()
    expect(t.disposition).toMatchObject({result: 'dropped', node: 'leaf-a', device: 'swp1', cause: 'LEAF_VLAN_MISSING'})
    // A port tagged with the VLAN in a VLAN-aware bridge that maps it to no VNI: the leaf hop says what it lacks.
    for (const s of ev.switches) if (s.running) s.running.interfaces.swp1 = {vlans: [303]}
    const lacks = trace(ev)
    expect(lacks.disposition).toMatchObject({
      result: 'dropped',
      node: 'leaf-a',
      device: 'leaf-a',
      cause: 'LEAF_VNI_MISSING',
    })
    expect(lacks.disposition.reason).toBe(
      "leaf leaf-a's running config has no L2 VNI for network green (VLAN 303): no leaf read carries a VNI with gateway 10.9.9.1 or on VLAN 303 (read: leaf-a, leaf-b).",
    )
  })

  it('no leaf answers: the VNI is unknown (not vniBase + VLAN) and the first leaf is LEAF_UNREACHABLE', async () => {
    const reads = await readLeavesThrough(registry({}), ['leaf-a', 'leaf-b'], {peers: true})
    expect(networkVni(reads.values(), '10.7.1.1', 101)).toEqual({
      vni: null,
      reason: 'no leaf could be read: leaf-a (leaf leaf-a does not answer); leaf-b (leaf leaf-b does not answer)',
    })
    const t = trace(evidence(reads, BLUE))
    expect(t.disposition).toMatchObject({result: 'dropped', node: 'leaf-a', cause: 'LEAF_UNREACHABLE'})
    expect(t.warnings).toContain('leaf leaf-a could not be read: leaf leaf-a does not answer')
  })

  it('the gateway MAC: the leaf gateway holding the address; else the anycast MAC the leaves agree on; else unknown with the reason', async () => {
    const agree = await readLeavesThrough(registry({'leaf-a': handMade('10.0.0.11')}), ['leaf-a'])
    expect(gatewayMac(agree.values(), '10.7.2.1', undefined)).toEqual({
      mac: GW_MAC,
      source: 'leaf-a: gateway 10.7.2.1 of VNI 10102',
    })
    expect(gatewayMac(agree.values(), '10.8.0.1', undefined)).toEqual({mac: GW_MAC, source: 'the gateways on leaf-a'})
    expect(gatewayMac(agree.values(), '10.8.0.1', '02:AA:00:00:00:01')).toEqual({
      mac: '02:aa:00:00:00:01',
      source: 'overlay.anycastMac',
    })
    const none = await readLeavesThrough(
      registry({
        'leaf-a': {
          ...handMade('10.0.0.11', {blueGw: null}),
          links: handMade('10.0.0.11', {blueGw: null}).links.filter(l => l.ifname !== 'red' && l.ifname !== 'tun7'),
        },
      }),
      ['leaf-a', 'leaf-b'],
    )
    expect(gatewayMac(none.values(), '10.8.0.1', undefined)).toEqual({
      mac: null,
      reason:
        'the MAC of gateway 10.8.0.1 is unknown: no leaf read carries a gateway yet (read: leaf-a) (not read: leaf-b)',
    })
  })

  it('an in-host verdict that could not be traced (unknown gateway MAC) is unknown in its hop, not a drop and not a pass', async () => {
    const reads = await readLeavesThrough(
      registry({'leaf-a': handMade('10.0.0.11'), 'leaf-b': handMade('10.0.0.12')}),
      ['leaf-a', 'leaf-b'],
      {peers: true},
    )
    const ev = evidence(reads, BLUE)
    ev.src.attachment!.verdictOut = {
      ok: false,
      unknown: "br-int's verdict was not traced: the MAC of gateway 10.7.1.1 is unknown: …",
      detail: 'not traced',
      source: 'ovs-appctl ofproto/trace br-int (not run)',
    }
    const t = trace(ev)
    expect(t.disposition.result).toBe('delivered')
    const brInt = t.hops.find(h => h.segment === 'src-end' && h.device === 'br-int')!
    expect(brInt.status).toBe('ok')
    expect(brInt.unknown).toContain("br-int's verdict was not traced")
    // Human output says it: `unknown (why)` under the result, and in the hop's box.
    const plain = makeStyle({noColor: true})
    expect(renderTraceTable(t, plain)).toContain(
      `unknown: hop ${brInt.n} (h1 br-int): br-int's verdict was not traced: the MAC of gateway 10.7.1.1 is unknown`,
    )
    expect(renderTraceDiagram(t, plain, 200)).toContain("? unknown: br-int's verdict was not traced")
    // Without `unknown`, the same verdict is a drop.
    delete ev.src.attachment!.verdictOut!.unknown
    expect(trace(ev).disposition).toMatchObject({result: 'dropped', cause: 'OVS_FLOW_DROP'})
  })

  it('spine health from the leaves’ EVPN sessions; unknown (said in the spine hop) when no driver reads them', async () => {
    const down = await readLeavesThrough(
      registry({
        'leaf-a': {...handMade('10.0.0.11'), bgp: bgp('Active')},
        'leaf-b': {...handMade('10.0.0.12'), bgp: bgp('Active')},
      }),
      ['leaf-a', 'leaf-b'],
      {peers: true},
    )
    expect(trace(evidence(down, BLUE)).disposition).toMatchObject({result: 'dropped', cause: 'NO_HEALTHY_SPINE'})
    const noPeers = await readLeavesThrough(
      registry({'leaf-a': handMade('10.0.0.11'), 'leaf-b': handMade('10.0.0.12')}, d =>
        Object.assign(Object.create(d) as LeafDriver, {evpnPeers: undefined}),
      ),
      ['leaf-a', 'leaf-b'],
      {peers: true},
    )
    const t = trace(evidence(noPeers, BLUE))
    expect(t.disposition.result).toBe('delivered')
    expect(t.hops.find(h => h.kind === 'spine')!.unknown).toBe(
      "the health of spine-1: no leaf's EVPN sessions were read (leaf-a: the frr driver does not read EVPN sessions; leaf-b: the frr driver does not read EVPN sessions)",
    )
  })

  it('a VTEP the devices do not tell (VXLAN devices with two local addresses): unknown in the leaf hop, never the name or a default', async () => {
    const rec = handMade('10.0.0.11')
    rec.links = rec.links.map(l => (l.ifname === 'tun7' ? vxlan('tun7', 10_102, 'red', '10.0.0.99') : l))
    const reads = await readLeavesThrough(
      registry({'leaf-a': rec, 'leaf-b': handMade('10.0.0.12')}),
      ['leaf-a', 'leaf-b'],
      {peers: true},
    )
    const t = trace(evidence(reads, BLUE))
    const leaf = t.hops.find(h => h.node === 'leaf-a' && h.kind === 'leaf')!
    expect(leaf.unknown).toContain(
      'the VTEP of leaf-a: its VXLAN devices use different local addresses: 10.0.0.99 (tun7); 10.0.0.11 (vx-blue)',
    )
    expect(t.warnings.some(w => w.startsWith('leaf leaf-a: VTEP unknown:'))).toBe(true)
  })
})
