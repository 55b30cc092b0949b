// Issue 13 on the FRR driver's native model, from device readings shaped like `ip -j -d addr show`:
// layout from the devices (never names), ownership (what fabricctl manages, what it leaves alone),
// attribute-complete restore plans, verify that verifies, and the engine's gates.
import fs from 'node:fs'
import path from 'node:path'

import {describe, expect, it, onTestFinished} from 'vitest'

import {ROOT} from './helpers/cli.js'

import {LeafDriverError, type LeafDriver, type RunningState} from '../src/lib/leaf/driver.js'
import {pushSteps, runAsync} from '../src/lib/leaf/engine.js'
import {evpnSessions, nativeChecks, remoteVtepsOf} from '../src/lib/leaf/frr/driver.js'
import {
  type IpLink,
  UnmanagedConflict,
  desiredKernel,
  nativeConfigOf,
  ownershipOf,
  parseAcceptDad,
  parseKernel,
  planKernel,
  spliceFrr,
} from '../src/lib/leaf/frr/native.js'
import {type LeafConfig, emptyLeafConfig} from '../src/lib/model/types.js'

const br = (ifname: string, o: Partial<IpLink> & {snoop?: number} = {}): IpLink => ({
  ifname,
  address: o.address ?? '00:00:5e:00:01:01',
  flags: ['UP'],
  mtu: 1500,
  ...(o.ifalias ? {ifalias: o.ifalias} : {}),
  inet6_addr_gen_mode: o.inet6_addr_gen_mode ?? 'eui64',
  linkinfo: {info_kind: 'bridge', info_data: {mcast_snooping: o.snoop ?? 1, stp_state: 0}},
  addr_info: o.addr_info ?? [],
})
const vx = (ifname: string, id: number, master: string, o: Partial<IpLink> & {ns?: boolean} = {}): IpLink => ({
  ifname,
  address: o.address ?? '6a:00:00:00:00:01',
  flags: ['UP'],
  mtu: 1450,
  master,
  ...(o.ifalias ? {ifalias: o.ifalias} : {}),
  inet6_addr_gen_mode: o.inet6_addr_gen_mode ?? 'none',
  linkinfo: {
    info_kind: 'vxlan',
    info_data: {id, local: '10.0.0.11', port: 4789, learning: false},
    info_slave_kind: 'bridge',
    info_slave_data: {learning: false, neigh_suppress: o.ns ?? true},
  },
})
const port = (ifname: string, master?: string): IpLink => ({ifname, flags: ['UP'], ...(master ? {master} : {})})

// A leaf someone laid out by hand (br100 = VLAN 100, holding VNI 20500 no Neutron network backs, and
// another server's port swp5), plus what fabricctl made earlier (marked) for VNI 10101 on swp1.
const LINKS: IpLink[] = [
  br('br100', {
    snoop: 0,
    address: '02:aa:00:00:01:00',
    addr_info: [{family: 'inet', local: '192.0.2.1', prefixlen: 24}],
  }),
  vx('vxlan100', 20500, 'br100', {address: '6a:11:22:33:44:55'}),
  port('swp5', 'br100'),
  br('br10101', {ifalias: 'fabricctl: vni 10101', addr_info: [{family: 'inet', local: '10.1.1.1', prefixlen: 24}]}),
  vx('vxlan10101', 10101, 'br10101', {ifalias: 'fabricctl: vni 10101'}),
  port('swp1', 'br10101'),
  port('swp2'),
]
const HOST_PORTS = ['swp1', 'swp2']
const CATALOG = new Map([
  [10101, {vlan: 101, network: 'net101'}],
  [10102, {vlan: 102, network: 'net102'}],
  [20500, {vlan: 500, network: 'net500'}],
])
const FRR = `router bgp 65011
 neighbor 10.0.0.1 remote-as 65000
 !
 address-family l2vpn evpn
  neighbor 10.0.0.1 activate
  advertise-all-vni
  vni 20500
   route-target import 65000:20500
   route-target export 65000:20500
  exit-vni
  vni 10101
   route-target import 65000:10101
   route-target export 65000:10101
  exit-vni
 exit-address-family
exit
`
const vlanOf = (v: number) => CATALOG.get(v)?.vlan ?? v - 10000
const kernel = () => parseKernel(LINKS, HOST_PORTS, new Map([['br100', '0']]))

function want(vnis: {vni: number; vlan: number; gw: string}[], ifaces: Record<string, number>): LeafConfig {
  const c = emptyLeafConfig()
  for (const v of vnis)
    c.vnis[String(v.vni)] = {
      vni: v.vni,
      vlan: v.vlan,
      network: `net${v.vlan}`,
      vrf: 'default',
      routeTarget: `65000:${v.vni}`,
      gateway: {address: v.gw, mac: '00:00:5e:00:01:01'},
    }
  for (const [i, vlan] of Object.entries(ifaces)) c.interfaces[i] = {vlans: [vlan]}
  return c
}

describe('layout discovery: from the devices, never from names', () => {
  it('a bridge named by VLAN (br100) is read as the VNI of the vxlan device in it, with its ports', () => {
    const k = kernel()
    expect(Object.keys(k.bridges).sort()).toEqual(['br100', 'br10101'])
    const all = nativeConfigOf(k, FRR, CATALOG, 10_000)
    // the old reading took VNI 100 from the name "br100" (VLAN 100 - 10000 = -9900)
    expect(all.vnis['100']).toBeUndefined()
    expect(all.vnis['20500']?.vlan).toBe(500)
    expect(all.vnis['20500']?.gateway.address).toBe('192.0.2.1/24')
    expect(all.interfaces.swp5).toEqual({vlans: [500]})
    expect(all.interfaces.swp1).toEqual({vlans: [101]})
  })

  it('reads every attribute a restore needs: MAC, learning, neigh_suppress, addrgenmode, mcast_snooping, accept_dad, alias', () => {
    const k = kernel()
    expect(k.vxlans.vxlan100).toMatchObject({
      id: 20500,
      mac: '6a:11:22:33:44:55',
      learning: false,
      portLearning: false,
      neighSuppress: true,
      addrgenmode: 'none',
      master: 'br100',
    })
    expect(k.bridges.br100).toMatchObject({mcastSnooping: 0, acceptDad: '0', mac: '02:aa:00:00:01:00', alias: null})
    expect(
      parseAcceptDad('/proc/sys/net/ipv6/conf/br100/accept_dad:0\n/proc/sys/net/ipv6/conf/all/accept_dad:1\n'),
    ).toEqual(
      new Map([
        ['br100', '0'],
        ['all', '1'],
      ]),
    )
  })
})

describe('ownership', () => {
  it('default (nothing declared): only what fabricctl created is managed; the rest is listed as unmanaged', () => {
    const k = kernel()
    const own = ownershipOf(k, undefined, HOST_PORTS, vlanOf, [20500, 10101])
    expect([...own.vnis]).toEqual([10101])
    expect([...own.ports].sort()).toEqual(['swp1', 'swp2'])
    expect(own.unmanaged.join('\n')).toMatch(/VNI 20500: vxlan100 in bridge br100/)
    expect(own.unmanaged.join('\n')).toMatch(/port swp5 in br100/)
    const cfg = nativeConfigOf(k, FRR, CATALOG, 10_000, own)
    expect(Object.keys(cfg.vnis)).toEqual(['10101'])
    expect(Object.keys(cfg.interfaces)).toEqual(['swp1'])
  })

  it('a push that moves fabricctl VNIs changes nothing it does not manage (br100, vxlan100, swp5, VNI 20500 in FRR)', () => {
    const k = kernel()
    const own = ownershipOf(k, undefined, HOST_PORTS, vlanOf, [20500, 10101])
    const d = want([{vni: 10102, vlan: 102, gw: '10.1.2.1/24'}], {swp2: 102})
    const w = desiredKernel(d, '10.0.0.11', HOST_PORTS, k, own)
    const plan = planKernel(k, w, dev => dev === 'vxlan10101' || dev === 'br10101')
    expect(plan.join('\n')).not.toMatch(/br100\b|vxlan100\b|swp5/)
    expect(plan).toContain('ip link del vxlan10101')
    expect(plan).toContain('ip link del br10101')
    expect(plan).toContain("ip link set dev br10102 alias 'fabricctl: vni 10102'")
    expect(plan).toContain('ip link set swp2 master br10102')
    expect(plan).toContain('ip link set swp1 nomaster')
    const frr = spliceFrr(FRR, d, v => own.vnis.has(v))
    expect(frr).toContain('  vni 20500\n   route-target import 65000:20500')
    expect(frr).toContain('  vni 10102\n')
    expect(frr).not.toContain('vni 10101')
  })

  it('a desired state that needs an unmanaged VNI or a port in an unmanaged bridge is refused, naming it', () => {
    const k = kernel()
    const ports = [...HOST_PORTS, 'swp5']
    const own = ownershipOf(k, undefined, ports, vlanOf, [20500, 10101])
    const needVni = () =>
      desiredKernel(want([{vni: 20500, vlan: 500, gw: '192.0.2.1/24'}], {}), '10.0.0.11', ports, k, own)
    expect(needVni).toThrow(UnmanagedConflict)
    expect(needVni).toThrow(/VNI 20500 exists on the leaf as vxlan100 in bridge br100/)
    const needPort = () =>
      desiredKernel(want([{vni: 10101, vlan: 101, gw: '10.1.1.1/24'}], {swp5: 101}), '10.0.0.11', ports, k, own)
    expect(needPort).toThrow(/interface swp5 is in br100, which fabricctl does not manage/)
    // a hand-made port that would need two VLANs is refused as unmanaged, not by the one-VLAN-per-port limit
    const twoVlans = want(
      [
        {vni: 10101, vlan: 101, gw: '10.1.1.1/24'},
        {vni: 10102, vlan: 102, gw: '10.1.2.1/24'},
      ],
      {},
    )
    twoVlans.interfaces.swp5 = {vlans: [101, 102]}
    const needTwo = () => desiredKernel(twoVlans, '10.0.0.11', ports, k, own)
    expect(needTwo).toThrow(UnmanagedConflict)
    expect(needTwo).toThrow(/interface swp5 is in br100/)
    // a new device whose template name is taken by a device fabricctl does not own
    const taken = () =>
      desiredKernel(want([{vni: 30100, vlan: 100, gw: '10.3.1.1/24'}], {}), '10.0.0.11', ports, k, own, {
        naming: {bridge: 'br{vlan}', vxlan: 'vx{vni}'},
      })
    expect(taken).toThrow(/needs device br100/)
  })

  it("a host port in a hand-made bridge without a VNI (a server's br20, found on the prod lab) is not free: never moved, needing it is refused", () => {
    // prod lab: swp20 in br100, a plain VLAN bridge of another server (no vxlan device), cabled in the inventory
    const links = [...LINKS, br('br20', {address: '02:aa:00:00:02:00'}), port('swp20', 'br20')]
    const ports = [...HOST_PORTS, 'swp20']
    const k = parseKernel(links, ports, new Map([['br100', '0']]))
    expect(k.ports.swp20).toEqual({master: 'br20'})
    const own = ownershipOf(k, undefined, ports, vlanOf, [20500, 10101])
    expect(own.ports.has('swp20')).toBe(false)
    expect(own.unmanaged).toContain('port swp20 in br20 (a master device fabricctl does not manage)')
    // a push that does not need it leaves it where it is
    const d = want([{vni: 10102, vlan: 102, gw: '10.1.2.1/24'}], {swp2: 102})
    const plan = planKernel(k, desiredKernel(d, '10.0.0.11', ports, k, own), dev => dev.endsWith('10101'))
    expect(plan.join('\n')).not.toMatch(/swp20|br20\b/)
    // one that needs it is refused, naming it (before: `ip link set swp20 master br10102` took it from br20)
    const need = () =>
      desiredKernel(want([{vni: 10102, vlan: 102, gw: '10.1.2.1/24'}], {swp20: 102}), '10.0.0.11', ports, k, own)
    expect(need).toThrow(UnmanagedConflict)
    expect(need).toThrow(/interface swp20 is in br20, which fabricctl does not manage/)
  })

  it('a declared scope widens it: VNI 20500 in range is managed and keeps its devices (no rename); outside the range is refused', () => {
    const k = kernel()
    const scope = {vnis: [[20500, 20599]] as [number, number][], interfaces: ['swp5']}
    const own = ownershipOf(k, scope, HOST_PORTS, vlanOf, [20500, 10101])
    expect([...own.vnis]).toEqual([20500])
    const w = desiredKernel(
      want([{vni: 20500, vlan: 500, gw: '192.0.2.1/24'}], {swp5: 500}),
      '10.0.0.11',
      HOST_PORTS,
      k,
      own,
      {scope},
    )
    expect(Object.keys(w.bridges)).toEqual(['br100'])
    expect(Object.keys(w.vxlans)).toEqual(['vxlan100'])
    expect(w.ports.swp5).toEqual({master: 'br100'})
    expect(() =>
      desiredKernel(want([{vni: 10102, vlan: 102, gw: '10.1.2.1/24'}], {}), '10.0.0.11', HOST_PORTS, k, own, {scope}),
    ).toThrow(/VNI 10102 .* outside the scope/)
  })
})

describe('restore plans carry every attribute', () => {
  it('from a leaf where the vxlan device was re-created with defaults, the plan puts MAC, learning, neigh_suppress, addrgenmode, mcast_snooping and accept_dad back', () => {
    const before = kernel()
    const afterLinks = LINKS.map(l =>
      l.ifname === 'vxlan100'
        ? vx('vxlan100', 20500, 'br100', {address: '6a:99:99:99:99:99', inet6_addr_gen_mode: 'eui64', ns: false})
        : l.ifname === 'br100'
          ? br('br100', {
              snoop: 1,
              address: '02:aa:00:00:01:00',
              addr_info: [{family: 'inet', local: '192.0.2.1', prefixlen: 24}],
            })
          : l,
    )
    const after = parseKernel(afterLinks, HOST_PORTS, new Map([['br100', '1']]))
    after.vxlans.vxlan100!.portLearning = true
    const plan = planKernel(after, before, () => false)
    expect(plan).toEqual(
      expect.arrayContaining([
        'sysctl -qw net.ipv6.conf.br100.accept_dad=0',
        'ip link set dev br100 type bridge mcast_snooping 0',
        'ip link set dev vxlan100 address 6a:11:22:33:44:55',
        'ip link set dev vxlan100 addrgenmode none',
        'bridge link set dev vxlan100 learning off neigh_suppress on',
      ]),
    )
    // and nothing when the states are equal
    expect(planKernel(before, kernel(), () => true)).toEqual([])
  })

  it('a deleted device comes back with its MAC and attributes in the create command', () => {
    const before = kernel()
    const gone = parseKernel(
      LINKS.filter(l => l.ifname !== 'vxlan100'),
      HOST_PORTS,
    )
    const plan = planKernel(gone, before, () => false)
    expect(plan).toContain(
      'ip link add vxlan100 address 6a:11:22:33:44:55 type vxlan id 20500 local 10.0.0.11 dstport 4789 nolearning',
    )
    expect(plan).toContain('bridge link set dev vxlan100 learning off neigh_suppress on')
  })
})

describe('verify means verified', () => {
  it('an EVPN session that is not Established fails verify (error), naming the peer', () => {
    const c = evpnSessions({l2VpnEvpn: {peers: {'10.0.0.1': {state: 'Established'}, '10.0.0.2': {state: 'Idle'}}}})
    expect(c).toMatchObject({ok: false, severity: 'error'})
    expect(c.detail).toMatch(/10\.0\.0\.2 \(Idle\)/)
    expect(evpnSessions({l2VpnEvpn: {peers: {}}}).ok).toBe(false)
    expect(evpnSessions({l2VpnEvpn: {peers: {'10.0.0.1': {state: 'Established'}}}}).ok).toBe(true)
  })

  it('a VNI without the remote VTEP of another leaf carrying it fails; the VNI device is found by its id', () => {
    const k = kernel()
    const own = ownershipOf(k, undefined, HOST_PORTS, vlanOf, [10101])
    const d = want([{vni: 10101, vlan: 101, gw: '10.1.1.1/24'}], {swp1: 101})
    const base = {
      desired: d,
      kernel: k,
      owned: own,
      evpn: {
        '10101': {vni: 10101, type: 'L2', vxlanIf: 'vxlan10101'},
        '20500': {vni: 20500, type: 'L2', vxlanIf: 'vxlan100'},
      },
      mac: () => ({numMacs: 1, macs: {'fa:16:3e:00:00:01': {type: 'local'}}}),
      bgp: {l2VpnEvpn: {peers: {'10.0.0.1': {state: 'Established'}}}},
      blink: [{ifname: 'swp1', master: 'br10101'}],
      bvlan: [],
      remoteVteps: new Map([[10101, ['10.0.0.12']]]),
      expectedMacs: new Map([[10101, ['fa:16:3e:00:00:01']]]),
    }
    // FRR 8.4's own detail form (recorded): the list sits under numRemoteVteps
    const ok = nativeChecks({...base, vni: () => ({vni: 10101, numRemoteVteps: ['10.0.0.12']})})
    expect(ok.filter(c => !c.ok)).toEqual([])
    const bad = nativeChecks({...base, vni: () => ({vni: 10101, numRemoteVteps: []})})
    expect(bad.find(c => c.name === 'remote VTEPs of VNI 10101')).toMatchObject({ok: false, severity: 'error'})
    // the hand-made VNI 20500 in zebra is not "unexpected": fabricctl does not manage it
    expect(ok.find(c => c.name === 'show evpn vni')?.ok).toBe(true)
  })
})

describe('engine gates', () => {
  const running: RunningState = {
    config: emptyLeafConfig(),
    snapshot: {driver: 'fake', leaf: 'l1', takenAt: '', config: emptyLeafConfig()},
  }
  const d = want([{vni: 10101, vlan: 101, gw: '10.1.1.1/24'}], {})
  const snaps = () => {
    const m = new Map<string, unknown>()
    return {get: () => undefined, record: (_l: string, s: unknown) => void m.set('r', s), m}
  }
  const fake = (o: {prepare?: () => never; verifyOk?: boolean; restored?: string[]}): LeafDriver => ({
    driver: 'fake',
    leaf: 'l1',
    read: async () => running,
    prepare: async () => (o.prepare ? o.prepare() : {plan: ['x'], inverse: []}),
    apply: async () => {},
    verify: async () => ({running, checks: [{name: 'evpn', ok: o.verifyOk ?? true, severity: 'error', detail: ''}]}),
    restore: async () => void o.restored?.push('restored'),
    close() {},
  })
  it('a conflict with unmanaged configuration is "refused" (exit 4), nothing applied', async () => {
    const r = await runAsync(
      pushSteps(
        fake({
          prepare: () => {
            throw new LeafDriverError('LEAF_UNMANAGED', 'needs vxlan100', 'ownership')
          },
        }),
        d,
        snaps(),
      ),
    )
    expect(r.status).toBe('refused')
    expect(r.error?.code).toBe('LEAF_UNMANAGED')
  })
  it('a failed verify rolls back, unless noVerify', async () => {
    const restored: string[] = []
    const r = await runAsync(pushSteps(fake({verifyOk: false, restored}), d, snaps()))
    expect(r.status).toBe('failed')
    expect(r.rolledBackTo).toBe('pre-push')
    expect(restored).toEqual(['restored'])
    const restored2: string[] = []
    const r2 = await runAsync(pushSteps(fake({verifyOk: false, restored: restored2}), d, snaps(), {noVerify: true}))
    expect(r2.status).toBe('applied')
    expect(restored2).toEqual([])
    expect(r2.checks[0]?.ok).toBe(false)
  })
  it('a failed push of a driver whose snapshots hold the whole leaf goes back to the pre-push state, not to an older last-known-good', async () => {
    // the operator shut a BGP neighbor since the last push: restoring last-known-good would undo that
    const lkg = {driver: 'fake', leaf: 'l1', takenAt: 'earlier', config: emptyLeafConfig(), raw: 'lkg'}
    const restoredTo: unknown[] = []
    const withLkg = {get: (_l: string, k: string) => (k === 'last-known-good' ? lkg : undefined), record: () => {}}
    const mk = (failedPushRestores?: 'pre-push') => ({
      ...fake({verifyOk: false}),
      restore: async (s: unknown) => void restoredTo.push(s),
      ...(failedPushRestores ? {failedPushRestores} : {}),
    })
    const r = await runAsync(pushSteps(mk('pre-push'), d, withLkg))
    expect([r.status, r.rolledBackTo]).toEqual(['failed', 'pre-push'])
    expect(restoredTo).toEqual([running.snapshot])
    // a driver without it (the sim: its snapshots hold only what fabricctl manages) keeps last-known-good
    const r2 = await runAsync(pushSteps(mk(), d, withLkg))
    expect([r2.status, r2.rolledBackTo]).toEqual(['failed', 'last-known-good'])
    expect(restoredTo[1]).toBe(lkg)
  })
})

describe('commit-confirm and the new push flags on the simulated fabric', () => {
  it('sim: push --confirm-within is refused (exit 4, nothing changed); leaf pending / confirm say nothing is armed', async () => {
    const {buildFabric} = await import('./helpers/fabric-builder.js')
    const {assertMatchesSchema} = await import('./helpers/schema.js')
    const fx = await buildFabric()
    onTestFinished(() => fx.cleanup())
    const leaf = 'az1-leaf01a'
    fx.emptyLeaf(leaf)
    const before = (await fx.cli('leaf', 'diff', leaf, '--json')).json
    expect(before.leaves[0].changes.length).toBeGreaterThan(0)
    const r = await fx.cli('leaf', 'push', leaf, '--confirm-within', '1m', '--json')
    assertMatchesSchema(r.json)
    expect(r.exitCode).toBe(4)
    expect(r.json.leaves[0]).toMatchObject({status: 'refused', error: {code: 'LEAF_CONFIRM_UNSUPPORTED'}})
    const after = (await fx.cli('leaf', 'diff', leaf, '--json')).json
    expect(after.leaves[0].changes.length).toBe(before.leaves[0].changes.length)
    const p = await fx.cli('leaf', 'pending', '--all', '--json')
    assertMatchesSchema(p.json)
    expect(p.exitCode).toBe(0)
    expect(p.json.totals.pending).toBe(0)
    const c = await fx.cli('leaf', 'confirm', leaf, '--json')
    assertMatchesSchema(c.json)
    expect(c.json.leaves[0].status).toBe('unsupported')
    const bad = await fx.cli('leaf', 'push', leaf, '--confirm-within', 'soon', '--json')
    expect(bad.exitCode).toBe(2)
    // --no-verify and --lock-wait are accepted; the sim push applies
    const ok = await fx.cli('leaf', 'push', leaf, '--no-verify', '--lock-wait', '5s', '--json')
    expect(ok.exitCode).toBe(0)
    expect(ok.json.leaves[0].status).toBe('applied')
  }, 180_000)
})

describe('context: manage scope and naming', () => {
  it('ranges parse from "a-b", a number or [a, b]; naming defaults to br{vni}/vxlan{vni}; bad values are refused', async () => {
    const {manageSchema, namingSchema} = await import('../src/lib/context/schema.js')
    expect(manageSchema.parse({vnis: ['10000-19999', 20500, [30010, 30001]], interfaces: ['swp1']})).toEqual({
      vnis: [
        [10000, 19999],
        [20500, 20500],
        [30001, 30010],
      ],
      interfaces: ['swp1'],
    })
    expect(namingSchema.parse({})).toEqual({bridge: 'br{vni}', vxlan: 'vxlan{vni}'})
    expect(manageSchema.safeParse({vnis: ['ten']}).success).toBe(false)
    expect(manageSchema.safeParse({vrfs: ['x']}).success).toBe(false)
    expect(namingSchema.safeParse({bridge: 'br {vni}'}).success).toBe(false)
  })
})

describe('remote VTEPs as FRR 8.4 prints them (test/fixtures/frr, recorded on a lab leaf)', () => {
  const fixture = (f: string) => JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'frr', f), 'utf8'))
  it('`show evpn vni json` lists them in remoteVteps; `show evpn vni N json` in numRemoteVteps', () => {
    const summary = fixture('show-evpn-vni.json')
    const detail = fixture('show-evpn-vni-10101.json')
    expect(Array.isArray(detail.numRemoteVteps)).toBe(true)
    expect(detail.remoteVteps).toBeUndefined()
    expect(remoteVtepsOf(undefined, detail)).toEqual(['198.19.255.12'])
    expect(remoteVtepsOf(summary['10101'], undefined)).toEqual(['198.19.255.12'])
    expect(remoteVtepsOf(summary['10101'], detail)).toEqual(['198.19.255.12'])
    expect(remoteVtepsOf({numRemoteVteps: 0}, null)).toEqual([])
  })
})
