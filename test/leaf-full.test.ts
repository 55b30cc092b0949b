// The full-profile leaf renderer (src/lib/leaf/frr/full.ts) as pure functions: checked against the
// lab's own reference renderer (test/lab/full/render.mjs, proven with pings on UML leaves) and
// against the running state of a real full-profile lab leaf (test/fixtures/leaf-full/lab-leaf1.json:
// `ip -j -d addr show`, `bridge -j vlan show`, `bridge -j fdb show dev br0`, sysctls and
// `show running-config` of lab-leaf1 as `test/lab/up --profile full` brought it up).
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {diffLeafConfigs} from '../src/lib/leaf/diff.js'
import {
  type FullKernel,
  type FullTenant,
  desiredFullKernel,
  fullConfigOf,
  parseFrrTenants,
  parseFullKernel,
  planFull,
  routerMacFor,
  spliceFrrFull,
} from '../src/lib/leaf/frr/full.js'
import {UnmanagedConflict, runningToFile} from '../src/lib/leaf/frr/native.js'
import type {FrrRaw} from '../src/lib/leaf/frr/driver.js'
import type {LeafConfig} from '../src/lib/model/types.js'
import {recordedFullDriver} from './helpers/frr-driver.js'

const FX = JSON.parse(
  fs.readFileSync(path.join(import.meta.dirname, 'fixtures', 'leaf-full', 'lab-leaf1.json'), 'utf8'),
)
const TENANTS: FullTenant[] = [
  {tag: 'prod-env', vrf: 'vrf-prod', table: 1001, l3Vni: 19001, l3Vlan: 4001},
  {tag: 'test-env', vrf: 'vrf-test', table: 1002, l3Vni: 19002, l3Vlan: 4002},
]
const CATALOG = new Map([
  [10101, {vlan: 101, network: 'lab-net1'}],
  [10102, {vlan: 102, network: 'lab-net2'}],
  [10103, {vlan: 103, network: 'lab-net3'}],
])
const HOST_PORTS = ['swp1', 'swp2', 'swp3']
const VTEP = '198.19.255.11'
const ANYCAST = '44:38:39:ff:00:01'

const vni = (n: number, vlan: number, network: string, vrf: string, gw: string) => ({
  vni: n,
  vlan,
  network,
  vrf,
  routeTarget: `65000:${n}`,
  gateway: {address: gw, mac: ANYCAST},
})
/** What lab-leaf1 carries (the lab's Neutron seed: lab-net1/2 of prod-env on hosts h1..h3, tagged). */
const LEAF1: LeafConfig = {
  vnis: {
    10101: vni(10101, 101, 'lab-net1', 'vrf-prod', '198.19.1.1/24'),
    10102: vni(10102, 102, 'lab-net2', 'vrf-prod', '198.19.2.1/24'),
  },
  vrfs: {'vrf-prod': {l3Vni: 19001}},
  interfaces: {swp1: {vlans: [101, 102]}, swp2: {vlans: [101, 102]}, swp3: {vlans: [101, 102]}},
}
const running = (): FullKernel => parseFullKernel(FX.links, FX.bvlan, FX.fdb, FX.sysctl, HOST_PORTS)
const EMPTY: FullKernel = {
  bridge: {exists: false, mac: '', vlanFiltering: false, up: false, vlans: []},
  vrfs: {},
  vxlans: {},
  svis: {},
  ports: Object.fromEntries(HOST_PORTS.map(p => [p, {master: null, vlans: []}])),
  sysctls: {},
}

describe('full profile: reading a real full-profile leaf', () => {
  it('parses the kernel side: VRF, br0 with the router MAC, VXLAN PVIDs, SVIs with their local FDB entry, tagged host ports', () => {
    const k = running()
    expect(k.bridge).toEqual({
      exists: true,
      mac: '44:38:39:ff:01:11',
      vlanFiltering: true,
      up: true,
      vlans: [101, 102, 4001],
    })
    expect(k.vrfs).toEqual({'vrf-prod': {name: 'vrf-prod', table: 1001, up: true}})
    expect(
      Object.values(k.vxlans).map(v => [v.name, v.id, v.pvid, v.local, v.learning, v.bridgeLearning, v.master]),
    ).toEqual([
      ['vxlan10101', 10101, 101, VTEP, false, false, 'br0'],
      ['vxlan10102', 10102, 102, VTEP, false, false, 'br0'],
      ['vxlan19001', 19001, 4001, VTEP, false, false, 'br0'],
    ])
    expect(k.svis.vlan101).toEqual({
      name: 'vlan101',
      vlan: 101,
      mac: ANYCAST,
      master: 'vrf-prod',
      addresses: ['198.19.1.1/24'],
      up: true,
      fdbLocal: true,
    })
    expect(k.svis.vlan4001).toMatchObject({vlan: 4001, mac: '44:38:39:ff:01:11', master: 'vrf-prod', addresses: []})
    expect(k.ports).toEqual({
      swp1: {master: 'br0', vlans: [101, 102]},
      swp2: {master: 'br0', vlans: [101, 102]},
      swp3: {master: 'br0', vlans: [101, 102]},
    })
    expect(k.sysctls).toEqual({
      'net.ipv4.ip_forward': '1',
      'net.ipv4.conf.all.arp_accept': '1',
      'net.ipv4.conf.default.arp_accept': '1',
    })
  })

  it('parses FRR tenant VRFs and their BGP VRF instances', () => {
    const t = parseFrrTenants(FX.running)
    expect([...t.vrfVni]).toEqual([['vrf-prod', 19001]])
    expect(t.bgpVrf.get('vrf-prod')).toEqual({
      advertise: true,
      redistribute: true,
      rtImport: ['65000:19001'],
      rtExport: ['65000:19001'],
    })
  })

  it('the model view equals the desired state of the leaf, and the plan from it to itself is empty (in sync)', () => {
    const cfg = fullConfigOf(running(), FX.running, CATALOG, 10_000, TENANTS, 65_000)
    expect(cfg).toEqual(LEAF1)
    const want = desiredFullKernel(LEAF1, VTEP, HOST_PORTS, TENANTS, running())
    expect(
      planFull(
        running(),
        want,
        TENANTS.map(t => t.vrf),
      ),
    ).toEqual([])
    expect(spliceFrrFull(FX.running, LEAF1, TENANTS, 65_000, VTEP)).toBe(
      // same content as running; only the per-VNI blocks are re-emitted in VNI order
      runningToFile(FX.running).replace(
        / {2}vni 10102\n(.*\n){3}( {2}vni 10101\n(.*\n){3})/,
        '$2  vni 10102\n   route-target import 65000:10102\n   route-target export 65000:10102\n  exit-vni\n',
      ),
    )
  })

  it("a host port in a hand-made bridge is not br0's: never moved, and a desired state that needs it is refused (LEAF_UNMANAGED)", () => {
    const k = running()
    const cur: FullKernel = {...k, ports: {...k.ports, swp20: {master: 'br100', vlans: []}}}
    const ports = [...HOST_PORTS, 'swp20']
    const plan = planFull(cur, desiredFullKernel(LEAF1, VTEP, ports, TENANTS, cur), ['vrf-prod'])
    expect(plan.join('\n')).not.toContain('swp20')
    const need: LeafConfig = {...LEAF1, interfaces: {...LEAF1.interfaces, swp20: {vlans: [101]}}}
    expect(() => desiredFullKernel(need, VTEP, ports, TENANTS, cur)).toThrow(UnmanagedConflict)
    expect(() => desiredFullKernel(need, VTEP, ports, TENANTS, cur)).toThrow(/interface swp20 is in br100/)
  })

  it('a half-built VRF (no BGP VRF instance, or the L3 SVI outside the VRF) reads as L3 VNI 0; a missing anycast FDB entry as no gateway', () => {
    const noBgp = FX.running.replace(/router bgp 65011 vrf vrf-prod\n(.*\n)*?exit\n/, '')
    expect(fullConfigOf(running(), noBgp, CATALOG, 10_000, TENANTS, 65_000).vrfs).toEqual({'vrf-prod': {l3Vni: 0}})
    const k = running()
    k.svis.vlan4001!.master = null
    expect(fullConfigOf(k, FX.running, CATALOG, 10_000, TENANTS, 65_000).vrfs).toEqual({'vrf-prod': {l3Vni: 0}})
    const k2 = running()
    k2.svis.vlan102!.fdbLocal = false
    const c2 = fullConfigOf(k2, FX.running, CATALOG, 10_000, TENANTS, 65_000)
    expect(c2.vnis['10102']!.gateway.address).toBe('')
    expect(diffLeafConfigs(c2, LEAF1).map(c => c.op)).toEqual(['change-vni'])
    expect(planFull(k2, desiredFullKernel(LEAF1, VTEP, HOST_PORTS, TENANTS, k2), ['vrf-prod'])).toEqual([
      `bridge fdb add ${ANYCAST} dev br0 vlan 102 self local`,
    ])
  })
})

describe('full profile: rendering, against the lab reference (test/lab/full/render.mjs)', () => {
  const reference = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabricctl-leaf-full-'))
    try {
      const net = (name: string, vlan: number, n: number) => ({
        name,
        vlan,
        vni: 10_000 + vlan,
        cidr: `198.19.${n}.0/24`,
        gateway: `198.19.${n}.1`,
        vrf: 'vrf-prod',
        routeTarget: `65000:${10_000 + vlan}`,
      })
      const topo = {
        lab: {anycastMac: ANYCAST, mgmtPrefix: 24},
        spines: [{asn: 65_000}],
        networks: [net('lab-net1', 101, 1), net('lab-net2', 102, 2)],
        leaves: [
          {
            id: 'leaf1',
            name: 'lab-leaf1',
            uml: true,
            vtep: VTEP,
            asn: 65_011,
            mgmt: '198.18.1.11',
            routerMac: '44:38:39:ff:01:11',
            vnis: [10101, 10102],
            uplinks: [
              {
                iface: 'swp51',
                spine: 'lab-spine1',
                spineIface: 'swp1',
                ip: '198.19.254.1',
                peerIp: '198.19.254.0',
                prefix: 31,
              },
            ],
            vrfs: [{vrf: 'vrf-prod', table: 1001, l3vni: 19001, l3vlan: 4001, routeTarget: '65000:19001'}],
            ports: HOST_PORTS.map((p, i) => ({iface: p, host: `lab-h${i + 1}`, hostNic: 'eth0', vlans: [101, 102]})),
          },
        ],
      }
      fs.writeFileSync(path.join(dir, 'topo.json'), JSON.stringify(topo))
      execFileSync(process.execPath, [
        path.join(import.meta.dirname, 'lab', 'full', 'render.mjs'),
        path.join(dir, 'topo.json'),
        'leaf1',
        dir,
      ])
      return {
        sh: fs.readFileSync(path.join(dir, 'setup.sh'), 'utf8'),
        frr: fs.readFileSync(path.join(dir, 'frr', 'frr.conf'), 'utf8'),
      }
    } finally {
      fs.rmSync(dir, {recursive: true, force: true})
    }
  }

  it('from an empty kernel, the plan is exactly the reference setup.sh (as a set of commands; underlay lines are base configuration)', () => {
    const ref = reference()
      .sh.split('\n')
      .filter(l => l && !l.startsWith('#') && l !== 'set -e' && !/ dev (lo|swp51)$|^ip link set swp51 up$/.test(l))
    const cur = {...EMPTY, bridge: {...EMPTY.bridge}}
    const plan = planFull(cur, desiredFullKernel(LEAF1, VTEP, HOST_PORTS, TENANTS, cur), ['vrf-prod'])
    const refMac = ref.map(l => l.replace('44:38:39:ff:01:11', routerMacFor(VTEP)))
    expect([...plan].sort()).toEqual([...refMac].sort())
    expect(plan.length).toBe(new Set(plan).size)
    expect(plan.length).toBeGreaterThan(40)
    // order that the kernel needs: VRF, bridge, VXLAN+VLAN, SVIs (after their VLAN exists on br0), ports
    const at = (s: string) => plan.indexOf(s)
    expect(at('ip link add vrf-prod type vrf table 1001')).toBeLessThan(at('ip link set vlan101 master vrf-prod'))
    expect(at('bridge vlan add dev br0 vid 101 self')).toBeLessThan(
      at('ip link add link br0 name vlan101 type vlan id 101'),
    )
    expect(at('ip link add br0 type bridge vlan_filtering 1 vlan_default_pvid 0 mcast_snooping 0')).toBeLessThan(
      at('ip link set swp1 master br0'),
    )
  })

  it('the FRR candidate from a base configuration equals the reference frr.conf byte for byte', () => {
    const ref = reference().frr
    const base = ref
      .replace(/vrf vrf-prod\n vni 19001\nexit-vrf\n!\n/, '')
      .replace(/ {2}vni \d+\n(.*\n){3}/g, '')
      .replace(/router bgp 65011 vrf vrf-prod\n(.*\n)*?exit\n!\n/, '')
    expect(base).not.toContain('vrf')
    expect(spliceFrrFull(base, LEAF1, TENANTS, 65_000, VTEP)).toBe(ref)
    // and idempotent on its own output
    expect(spliceFrrFull(ref, LEAF1, TENANTS, 65_000, VTEP)).toBe(ref)
  })

  it('adding a tenant network: new VRF + L3 VNI + L2 VNI + a tagged VLAN on one port; the inverse takes it all back', () => {
    const want: LeafConfig = structuredClone(LEAF1)
    want.vrfs['vrf-test'] = {l3Vni: 19002}
    want.vnis['10103'] = vni(10103, 103, 'lab-net3', 'vrf-test', '198.19.3.1/24')
    want.interfaces.swp1 = {vlans: [101, 102, 103]}
    const cur = running()
    const wk = desiredFullKernel(want, VTEP, HOST_PORTS, TENANTS, cur)
    const plan = planFull(
      cur,
      wk,
      TENANTS.map(t => t.vrf),
    )
    expect(plan).toEqual([
      'ip link add vrf-test type vrf table 1002',
      'ip link set vrf-test up',
      `ip link add vxlan19002 type vxlan id 19002 local ${VTEP} dstport 4789 nolearning`,
      "ip link set dev vxlan19002 alias 'fabricctl: vni 19002'", // created by fabricctl: marked
      'ip link set vxlan19002 master br0 addrgenmode none',
      'bridge link set dev vxlan19002 learning off',
      'bridge vlan add dev vxlan19002 vid 4002 pvid untagged',
      'bridge vlan add dev br0 vid 4002 self',
      'ip link set vxlan19002 up',
      `ip link add vxlan10103 type vxlan id 10103 local ${VTEP} dstport 4789 nolearning`,
      "ip link set dev vxlan10103 alias 'fabricctl: vni 10103'", // created by fabricctl: marked
      'ip link set vxlan10103 master br0 addrgenmode none',
      'bridge link set dev vxlan10103 learning off',
      'bridge vlan add dev vxlan10103 vid 103 pvid untagged',
      'bridge vlan add dev br0 vid 103 self',
      'ip link set vxlan10103 up',
      'ip link add link br0 name vlan4002 type vlan id 4002',
      'ip link set vlan4002 master vrf-test',
      'ip link set vlan4002 up',
      'ip link add link br0 name vlan103 type vlan id 103',
      `ip link set vlan103 address ${ANYCAST}`,
      `bridge fdb add ${ANYCAST} dev br0 vlan 103 self local`,
      'ip link set vlan103 master vrf-test',
      'ip addr add 198.19.3.1/24 dev vlan103',
      'ip link set vlan103 up',
      'bridge vlan add dev swp1 vid 103',
    ])
    expect(
      planFull(
        wk,
        cur,
        TENANTS.map(t => t.vrf),
      ),
    ).toEqual([
      'bridge vlan del dev swp1 vid 103',
      'ip link del vlan4002',
      'ip link del vlan103',
      `bridge fdb del ${ANYCAST} dev br0 vlan 103 self`,
      'ip link del vxlan19002',
      'ip link del vxlan10103',
      'bridge vlan del dev br0 vid 103 self',
      'bridge vlan del dev br0 vid 4002 self',
      'ip link del vrf-test',
    ])
    const frr = spliceFrrFull(FX.running, want, TENANTS, 65_000, VTEP)
    expect(frr).toContain(
      'vrf vrf-prod\n vni 19001\nexit-vrf\n!\nvrf vrf-test\n vni 19002\nexit-vrf\n!\nrouter bgp 65011\n',
    )
    expect(frr).toContain(
      'router bgp 65011 vrf vrf-test\n bgp router-id 198.19.255.11\n !\n address-family ipv4 unicast\n  redistribute connected\n exit-address-family\n !\n address-family l2vpn evpn\n  advertise ipv4 unicast\n  route-target import 65000:19002\n  route-target export 65000:19002\n exit-address-family\nexit\n!\n',
    )
    expect(frr).toContain(
      '  vni 10103\n   route-target import 65000:10103\n   route-target export 65000:10103\n  exit-vni\n',
    )
    // removing the VRF again gives back the running configuration's content
    expect(spliceFrrFull(frr, LEAF1, TENANTS, 65_000, VTEP)).toBe(
      spliceFrrFull(FX.running, LEAF1, TENANTS, 65_000, VTEP),
    )
  })

  it('refuses what the profile cannot express: a VRF missing from overlay.tenants, an L3 VNI that disagrees, a VLAN without VNI', () => {
    const noTenant = structuredClone(LEAF1)
    noTenant.vrfs['vrf-other'] = {l3Vni: 19009}
    expect(() => desiredFullKernel(noTenant, VTEP, HOST_PORTS, TENANTS, running())).toThrow(
      /vrf-other is not declared in the context's overlay.tenants/,
    )
    const wrongL3 = structuredClone(LEAF1)
    wrongL3.vrfs['vrf-prod'] = {l3Vni: 19005}
    expect(() => desiredFullKernel(wrongL3, VTEP, HOST_PORTS, TENANTS, running())).toThrow(
      /L3 VNI 19005, but overlay.tenants says 19001/,
    )
    const stray = structuredClone(LEAF1)
    stray.interfaces.swp2 = {vlans: [101, 150]}
    expect(() => desiredFullKernel(stray, VTEP, HOST_PORTS, TENANTS, running())).toThrow(
      /swp2 carries VLAN 150 but no VNI maps that VLAN/,
    )
  })
})

describe('full profile: ownership (issue 13) — what fabricctl does not manage on br0 is read, reported and left alone', () => {
  // lab-leaf1 as fixture, plus hand-made configuration (the live test test/live/leaf-safety.test.ts makes
  // the same on the full lab): a VNI outside the manage scope (vx20177, PVID of VLAN 177 on br0), a veth
  // port hm177 tagged with VLAN 177, br0 self VLAN 177, and the VNI's FRR `vni 20177` block.
  const HM_BLOCK = '  vni 20177\n   route-target import 65000:20177\n   route-target export 65000:20177\n  exit-vni\n'
  const links = [
    ...FX.links,
    {ifname: 'hm177', flags: ['UP'], master: 'br0', linkinfo: {info_kind: 'veth', info_slave_kind: 'bridge'}},
    {
      ifname: 'vx20177',
      flags: ['UP'],
      master: 'br0',
      linkinfo: {
        info_kind: 'vxlan',
        info_data: {id: 20177, local: VTEP, port: 4789, learning: false},
        info_slave_data: {learning: false},
      },
    },
  ]
  const bvlan = [
    ...FX.bvlan.map((b: any) => (b.ifname === 'br0' ? {...b, vlans: [...b.vlans, {vlan: 177}]} : b)),
    {ifname: 'hm177', vlans: [{vlan: 177}]},
    {ifname: 'vx20177', vlans: [{vlan: 177, flags: ['PVID', 'Egress Untagged']}]},
  ]
  const frrText = (FX.running as string).replace('  advertise-all-vni\n', `  advertise-all-vni\n${HM_BLOCK}`)
  const inScope = (v: number) => v >= 10_000 && v <= 19_999
  const scope = {vni: (v: number) => inScope(v)}
  const k = parseFullKernel(links, bvlan, FX.fdb, FX.sysctl, HOST_PORTS, scope)

  it('the hand-made devices and their VLAN are not part of the managed model; they are listed as unmanaged', () => {
    expect(k.unmanaged).toEqual([
      'VNI 20177: vx20177 in bridge br0 (VLAN 177) (outside the declared scope)',
      'port hm177 in bridge br0 (not a managed interface)',
    ])
    expect(k.foreignVlans).toEqual([177])
    expect(k.unmanagedVnis).toEqual([20177])
    const {unmanaged: _u, foreignVlans: _f, unmanagedVnis: _v, ...managed} = k
    expect(managed).toEqual(running()) // the managed part reads as the leaf without the hand-made configuration
    expect(fullConfigOf(k, frrText, CATALOG, 10_000, TENANTS, 65_000, inScope)).toEqual(LEAF1) // in sync
    // without a scope (as before ownership) the hand-made port and VNI block were read as fabricctl's
    const noScope = fullConfigOf(
      parseFullKernel(links, bvlan, FX.fdb, FX.sysctl, HOST_PORTS),
      frrText,
      CATALOG,
      10_000,
      TENANTS,
      65_000,
    )
    expect(diffLeafConfigs(noScope, LEAF1).map(c => c.op)).toEqual(['remove-vlan', 'remove-vni'])
  })

  it('a push next to it touches none of it: the kernel plan and the FRR candidate leave VLAN 177, hm177, vx20177 and vni 20177 alone', () => {
    const desired = structuredClone(LEAF1)
    desired.vnis['10103'] = vni(10103, 103, 'lab-net3', 'vrf-test', '198.19.3.1/24')
    desired.vrfs['vrf-test'] = {l3Vni: 19002}
    desired.interfaces.swp1 = {vlans: [101, 102, 103]}
    delete desired.interfaces.swp3
    const want = desiredFullKernel(desired, VTEP, HOST_PORTS, TENANTS, k)
    const plan = [...planFull(k, want, ['vrf-prod', 'vrf-test']), ...planFull(want, k, ['vrf-prod', 'vrf-test'])]
    expect(plan.filter(c => /177/.test(c))).toEqual([])
    expect(plan.length).toBeGreaterThan(0)
    expect(spliceFrrFull(frrText, desired, TENANTS, 65_000, VTEP, inScope)).toContain(HM_BLOCK)
    expect(spliceFrrFull(frrText, LEAF1, TENANTS, 65_000, VTEP, inScope)).toContain(HM_BLOCK)
  })

  it('a desired VNI on the hand-made VLAN is refused as unmanaged (nothing applied)', () => {
    const clash = structuredClone(LEAF1)
    clash.vnis['10177'] = vni(10177, 177, 'lab-net9', 'vrf-prod', '198.19.9.1/24')
    expect(() => desiredFullKernel(clash, VTEP, HOST_PORTS, TENANTS, k)).toThrow(UnmanagedConflict)
    expect(() => desiredFullKernel(clash, VTEP, HOST_PORTS, TENANTS, k)).toThrow(/VLAN 177 of VNI 10177 is used on br0/)
  })
})

describe('full profile: nothing declared — fabricctl manages only what it created (issue 13)', () => {
  // The recorded lab-leaf1 stands for a leaf someone else built: none of its devices carries fabricctl's
  // mark. The driver reads it through its real read (a session answering from the recording).
  const opts = {hostPorts: HOST_PORTS, catalog: CATALOG, vniBase: 10_000, tenants: TENANTS, vtep: VTEP}
  const handMade = () => recordedFullDriver(FX, opts)
  /** The same leaf as fabricctl builds it: the reference layout, every VXLAN device with its mark. */
  const MARKED = {
    ...FX,
    links: FX.links.map((l: any) =>
      l.linkinfo?.info_kind === 'vxlan' ? {...l, ifalias: `fabricctl: vni ${l.linkinfo.info_data.id}`} : l,
    ),
  }
  const NEW_NET: LeafConfig = {
    vnis: {10103: vni(10103, 103, 'lab-net3', 'vrf-test', '198.19.3.1/24')},
    vrfs: {'vrf-test': {l3Vni: 19002}},
    interfaces: {swp1: {vlans: [103]}},
  }

  it('reads every unmarked VNI, VRF and host-port VLAN as unmanaged, and models none of it', async () => {
    const r = await handMade().read()
    expect(r.config).toEqual({vnis: {}, vrfs: {}, interfaces: {}})
    expect(r.unmanaged).toEqual(
      expect.arrayContaining([
        'VNI 10101: vxlan10101 in bridge br0 (VLAN 101) (not created by fabricctl)',
        'VNI 10102: vxlan10102 in bridge br0 (VLAN 102) (not created by fabricctl)',
        'VNI 19001: vxlan19001 in bridge br0 (VLAN 4001) (not created by fabricctl)',
        "SVI vlan101 (VLAN 101, not fabricctl's)",
        'VRF vrf-prod: holds vlan101, which fabricctl does not manage (the VRF is kept)',
      ]),
    )
    const full = (r.snapshot.raw as FrrRaw).full!
    expect(full.unmanagedVnis).toEqual([10101, 10102, 19001])
    expect(full.ports.swp1).toEqual({master: 'br0', vlans: [], kept: [101, 102]})
  })

  it('a push of a new tenant network adds only marked devices: nothing that was there is changed or removed', async () => {
    const d = handMade()
    const running = await d.read()
    const {kernel, inverse, frr} = d.renderFull(NEW_NET, running)
    expect(kernel).toContain("ip link set dev vxlan10103 alias 'fabricctl: vni 10103'")
    expect(kernel).toContain("ip link set dev vxlan19002 alias 'fabricctl: vni 19002'")
    expect(kernel).toContain('bridge vlan add dev swp1 vid 103')
    const existing = /vxlan1010[12]|vxlan19001|vlan10[12]\b|vlan4001|vrf-prod|swp[23]|vid (101|102|4001)\b/
    expect(kernel.filter(c => existing.test(c))).toEqual([])
    expect(kernel.filter(c => / del |nomaster/.test(c))).toEqual([])
    // the inverse takes back exactly what the push adds
    expect(inverse.filter(c => existing.test(c))).toEqual([])
    // FRR: the hand-made VNIs' blocks, vrf-prod and its BGP instance stay as they run
    const running0 = FX.running as string
    for (const block of [
      / {2}vni 10101\n(.*\n){3}/,
      /vrf vrf-prod\n vni 19001\nexit-vrf\n/,
      /router bgp 65011 vrf vrf-prod\n(.*\n)*?exit\n/,
    ])
      expect(frr).toContain(block.exec(running0)![0])
    expect(frr).toContain('  vni 10103\n')
  })

  it('a desired state that needs a hand-made VNI is refused (LEAF_UNMANAGED), naming it', async () => {
    const d = handMade()
    const running = await d.read()
    const e = (() => {
      try {
        d.renderFull(LEAF1, running)
      } catch (error) {
        return error as Error
      }
    })()
    expect(e).toBeInstanceOf(UnmanagedConflict)
    expect(e!.message).toContain('VNI 10101 (VLAN 101) is on the leaf but was not created by fabricctl')
  })

  it('the same leaf with fabricctl’s marks is fabricctl’s: read as the model, in sync with it', async () => {
    const d = recordedFullDriver(MARKED, opts)
    const running = await d.read()
    expect(running.unmanaged).toBeUndefined()
    expect(running.config).toEqual(LEAF1)
    const r = d.renderFull(LEAF1, running)
    expect(r.kernel).toEqual([])
  })
})

describe('full profile: the layout is read from the devices, never from their names (issue 13)', () => {
  // lab-leaf1 as someone else named it: VXLAN devices vx-<VNI>, SVIs irb<VLAN>. Same devices, same ids.
  const rename = (j: unknown) =>
    JSON.parse(
      JSON.stringify(j)
        .replace(/"vxlan(\d+)"/g, '"vx-$1"')
        .replace(/"vlan(\d+)"/g, '"irb$1"'),
    )
  const OTHER = {...FX, links: rename(FX.links), bvlan: rename(FX.bvlan), fdb: rename(FX.fdb)}
  const scope = {vnis: [[10_000, 19_999]] as [number, number][]}
  const opts = {hostPorts: HOST_PORTS, catalog: CATALOG, vniBase: 10_000, tenants: TENANTS, vtep: VTEP, scope}

  it('reads the same model as the lab’s names give, and is in sync with it', async () => {
    expect(JSON.stringify(OTHER.links)).not.toMatch(/"vxlan\d+"|"vlan\d+"/)
    const d = recordedFullDriver(OTHER, opts)
    const running = await d.read()
    expect(running.unmanaged).toBeUndefined()
    expect(running.config).toEqual(LEAF1)
    expect(d.renderFull(LEAF1, running).kernel).toEqual([])
  })

  it('a new VNI gets the context’s naming template; existing devices keep their names', async () => {
    const d = recordedFullDriver(OTHER, {...opts, naming: {bridge: 'br{vni}', vxlan: 'vx-{vni}'}})
    const running = await d.read()
    const desired = structuredClone(LEAF1)
    desired.vnis['10103'] = vni(10103, 103, 'lab-net3', 'vrf-prod', '198.19.3.1/24')
    desired.interfaces.swp1 = {vlans: [101, 102, 103]}
    const {kernel} = d.renderFull(desired, running)
    expect(kernel).toContain(`ip link add vx-10103 type vxlan id 10103 local ${VTEP} dstport 4789 nolearning`)
    expect(kernel).toContain('ip link add link br0 name vlan103 type vlan id 103')
    expect(kernel.filter(c => /vxlan1|vx-1010[12]|irb/.test(c))).toEqual([])
  })
})
