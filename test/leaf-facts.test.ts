// Facts of a live leaf read from its devices, never defaulted (src/lib/leaf/facts.ts): the VTEP (the local
// address of the leaf's VXLAN devices, checked against a declared `vtep:`) and the anycast gateway MAC (the
// MAC of the gateways the leaves carry, or the declared overlay.anycastMac). The FRR driver refuses
// (LEAF_FACT_UNKNOWN) a push that needs a fact it could not read. Full-profile readings are the recorded
// lab-leaf1 (test/fixtures/leaf-full/lab-leaf1.json); native ones are shaped like `ip -j -d addr show`.
import fs from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {diffLeafConfigs} from '../src/lib/leaf/diff.js'
import {type LeafDriver, LeafDriverError, type RunningState} from '../src/lib/leaf/driver.js'
import {pushSteps, runAsync} from '../src/lib/leaf/engine.js'
import {anycastMacOf, keepRunningGatewayMacs, unknownGatewayMacs, vtepOf} from '../src/lib/leaf/facts.js'
import type {FrrLeafOptions, FrrRaw} from '../src/lib/leaf/frr/driver.js'
import {type FullTenant, fullConfigOf, parseFullKernel} from '../src/lib/leaf/frr/full.js'
import {type IpLink, nativeConfigOf, ownershipOf, parseKernel} from '../src/lib/leaf/frr/native.js'
import {LiveDesiredState} from '../src/lib/leaf/live.js'
import {DEFAULT_VRF_TENANT} from '../src/lib/live/tenants.js'
import type {LeafConfig} from '../src/lib/model/types.js'
import {offlineFrrDriver} from './helpers/frr-driver.js'

const FX = JSON.parse(
  fs.readFileSync(path.join(import.meta.dirname, 'fixtures', 'leaf-full', 'lab-leaf1.json'), 'utf8'),
)
const ANYCAST = '44:38:39:ff:00:01'
const LAB_VTEP = '198.19.255.11'
const TENANTS: FullTenant[] = [{tag: 'prod-env', vrf: 'vrf-prod', table: 1001, l3Vni: 19001, l3Vlan: 4001}]
const CATALOG = new Map([
  [10101, {vlan: 101, network: 'lab-net1'}],
  [10102, {vlan: 102, network: 'lab-net2'}],
  [10103, {vlan: 103, network: 'lab-net3'}],
])
const HOST_PORTS = ['swp1', 'swp2', 'swp3']

/** An FRR driver without a session: only what renders from a reading (no SSH) is called. */
const driver = (o: Partial<FrrLeafOptions> & {vtep?: string | null} = {}) =>
  offlineFrrDriver({
    vtep: o.vtep ?? null,
    hostPorts: HOST_PORTS,
    catalog: CATALOG,
    vniBase: 10_000,
    tenants: o.tenants,
    ...(o.anycastMacUnknown ? {anycastMacUnknown: o.anycastMacUnknown} : {}),
  })

const runningOf = (raw: FrrRaw, config: LeafConfig): RunningState => ({
  config,
  snapshot: {driver: 'frr', leaf: 'lab-leaf1', takenAt: '2026-01-01T00:00:00Z', config, raw},
})
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')

/** The recorded full-profile lab-leaf1, read as the driver reads it. */
function fullRunning(): RunningState {
  const full = parseFullKernel(FX.links, FX.bvlan, FX.fdb, FX.sysctl, HOST_PORTS)
  const config = fullConfigOf(full, FX.running, CATALOG, 10_000, TENANTS, 65_000)
  const raw: FrrRaw = {
    runningB64: b64(FX.running),
    fileB64: null,
    kernel: parseKernel(FX.links, HOST_PORTS),
    profile: 'full',
    full,
  }
  return runningOf(raw, config)
}

const MARKED = 'fabricctl: vni 10101'
const FRR_NATIVE = [
  'frr version 8.4',
  'router bgp 65011',
  ' address-family l2vpn evpn',
  '  advertise-all-vni',
  '  vni 10101',
  '   route-target import 65000:10101',
  '   route-target export 65000:10101',
  '  exit-vni',
  ' exit-address-family',
  'exit',
  '',
].join('\n')
const nbr = (name: string, gw: string | null, mac = ANYCAST): IpLink => ({
  ifname: name,
  address: mac,
  flags: ['UP'],
  ifalias: MARKED,
  linkinfo: {info_kind: 'bridge', info_data: {mcast_snooping: 0, stp_state: 0}},
  addr_info: gw ? [{family: 'inet', local: gw, prefixlen: 24}] : [],
})
const nvx = (name: string, id: number, master: string, local: string | undefined): IpLink => ({
  ifname: name,
  address: '6a:00:00:00:00:01',
  flags: ['UP'],
  master,
  ifalias: `fabricctl: vni ${id}`,
  linkinfo: {
    info_kind: 'vxlan',
    info_data: {id, ...(local ? {local} : {}), port: 4789, learning: false},
    info_slave_kind: 'bridge',
    info_slave_data: {learning: false, neigh_suppress: true},
  },
})
const nport = (name: string, master?: string): IpLink => ({ifname: name, flags: ['UP'], ...(master ? {master} : {})})

/** A native leaf (one bridge per VNI) as the driver reads it. */
function nativeRunning(links: IpLink[], frr = FRR_NATIVE): RunningState {
  const kernel = parseKernel(links, HOST_PORTS)
  const owned = ownershipOf(kernel, undefined, HOST_PORTS, v => CATALOG.get(v)?.vlan, [])
  const config = nativeConfigOf(kernel, frr, CATALOG, 10_000, owned)
  return runningOf({runningB64: b64(frr), fileB64: null, kernel, profile: 'native'}, config)
}
const NATIVE_LINKS = [
  nbr('br10101', '198.19.1.1'),
  nvx('vxlan10101', 10_101, 'br10101', LAB_VTEP),
  nport('swp1', 'br10101'),
  nport('swp2'),
  nport('swp3'),
]
const vni = (n: number, vlan: number, network: string, gw: string, mac: string, vrf = 'default') => ({
  vni: n,
  vlan,
  network,
  vrf,
  routeTarget: `65000:${n}`,
  gateway: {address: gw, mac},
})

const refusal = (f: () => unknown): LeafDriverError => {
  try {
    f()
  } catch (error) {
    expect(error).toBeInstanceOf(LeafDriverError)
    return error as LeafDriverError
  }
  throw new Error('not refused')
}

describe('vtepOf: the VTEP from the leaf’s VXLAN devices', () => {
  it('one local address on every device is the VTEP; a declared one must be it', () => {
    const dev = [
      {name: 'vxlan10102', local: '10.0.0.11'},
      {name: 'vxlan10101', local: '10.0.0.11'},
    ]
    expect(vtepOf(dev, undefined)).toEqual({vtep: '10.0.0.11', source: 'local address of vxlan10101, vxlan10102'})
    expect(vtepOf(dev, '10.0.0.11')).toMatchObject({vtep: '10.0.0.11'})
    const mismatch = vtepOf(dev, '10.0.0.99')
    expect(mismatch.vtep).toBeNull()
    expect('reason' in mismatch && mismatch.reason).toBe(
      "the inventory declares vtep 10.0.0.99, but the leaf's VXLAN devices use 10.0.0.11 (vxlan10101, vxlan10102)",
    )
  })

  it('no device, devices without a local address, devices that disagree: unknown with the reason', () => {
    expect(vtepOf([], undefined)).toEqual({vtep: null, reason: 'the leaf has no VXLAN device to read it from'})
    expect(vtepOf([{name: 'vx0', local: null}], undefined)).toEqual({
      vtep: null,
      reason: 'none of its VXLAN devices has a local address (vx0)',
    })
    expect(
      vtepOf(
        [
          {name: 'vxlan10101', local: '10.0.0.11'},
          {name: 'vxlan10102', local: '10.0.0.12'},
        ],
        undefined,
      ),
    ).toEqual({
      vtep: null,
      reason: 'its VXLAN devices use different local addresses: 10.0.0.11 (vxlan10101); 10.0.0.12 (vxlan10102)',
    })
    // a new leaf without any VXLAN device: the declaration is what its first devices get
    expect(vtepOf([], '10.0.0.11')).toMatchObject({vtep: '10.0.0.11'})
  })
})

describe('FRR driver: VTEP read from the devices when the inventory declares none', () => {
  it('full profile (recorded lab-leaf1, no `vtep:`): renders from the VXLAN devices’ local address, in sync', () => {
    const running = fullRunning()
    const undeclared = driver({tenants: TENANTS}).renderFull(running.config, running)
    const declared = driver({tenants: TENANTS, vtep: LAB_VTEP}).renderFull(running.config, running)
    expect(undeclared).toEqual(declared)
    expect(undeclared.kernel).toEqual([])
    expect(undeclared.frr).toContain(` bgp router-id ${LAB_VTEP}`)
  })

  it('full profile: a declared vtep the devices do not use is refused, naming both', () => {
    const running = fullRunning()
    const e = refusal(() => driver({tenants: TENANTS, vtep: '198.19.255.99'}).renderFull(running.config, running))
    expect(e.code).toBe('LEAF_FACT_UNKNOWN')
    expect(e.message).toContain('198.19.255.99')
    expect(e.message).toContain(`${LAB_VTEP} (vxlan10101, vxlan10102, vxlan19001)`)
    expect(e.hint).toMatch(/Declare `vtep:` on the leaf/)
  })

  it('native profile: a new VNI’s vxlan device gets the local address the leaf’s devices use', () => {
    const running = nativeRunning(NATIVE_LINKS)
    const desired: LeafConfig = structuredClone(running.config)
    desired.vnis['10102'] = vni(10_102, 102, 'lab-net2', '198.19.2.1/24', ANYCAST)
    desired.interfaces.swp2 = {vlans: [102]}
    const r = driver().renderNative(desired, running)
    expect(r.kernel).toContain(`ip link add vxlan10102 type vxlan id 10102 local ${LAB_VTEP} dstport 4789 nolearning`)
  })

  it('native profile: no VXLAN device, devices that disagree, a declared mismatch: prepare refuses, nothing sent', async () => {
    const desired = structuredClone(nativeRunning(NATIVE_LINKS).config)
    const cases: [IpLink[], string | null, RegExp][] = [
      [[nport('swp1'), nport('swp2'), nport('swp3')], null, /no VXLAN device to read it from/],
      [
        [...NATIVE_LINKS, nbr('br10102', null), nvx('vxlan10102', 10_102, 'br10102', '198.19.255.12')],
        null,
        /different local addresses: 198\.19\.255\.11 \(vxlan10101\); 198\.19\.255\.12 \(vxlan10102\)/,
      ],
      [NATIVE_LINKS, '198.19.255.99', /declares vtep 198\.19\.255\.99, but .* use 198\.19\.255\.11 \(vxlan10101\)/],
    ]
    for (const [links, vtep, reason] of cases) {
      const running = nativeRunning(links)
      // the driver has no SSH session: a refusal before anything is uploaded is the only way this returns
      const e = await Promise.resolve()
        .then(() => driver({vtep}).prepare(desired, running, []))
        .then(
          () => null,
          (error: unknown) => error as LeafDriverError,
        )
      expect(e).toBeInstanceOf(LeafDriverError)
      expect(e!.code).toBe('LEAF_FACT_UNKNOWN')
      expect(e!.message).toMatch(/^Leaf lab-leaf1: its VTEP address could not be read: /)
      expect(e!.message).toMatch(reason)
      expect(e!.hint).toMatch(/vtep:/)
    }
  })

  it('native profile: a hand-made VXLAN device with another local address does not count when fabricctl’s agree', () => {
    const handMade: IpLink = {...nvx('vx20500', 20_500, 'br100', '192.0.2.9'), ifalias: undefined}
    const bridge: IpLink = {...nbr('br100', null, '02:aa:00:00:01:00'), ifalias: undefined}
    const running = nativeRunning([...NATIVE_LINKS, bridge, handMade])
    const d = driver()
    expect(d.vtepRead(running.snapshot.raw as FrrRaw)).toMatchObject({vtep: LAB_VTEP})
    expect(d.renderNative(running.config, running).kernel).toEqual([])
    // with none of its own yet, every VXLAN device of the leaf is read (here: the hand-made one)
    expect(driver().vtepRead(nativeRunning([bridge, handMade]).snapshot.raw as FrrRaw)).toMatchObject({
      vtep: '192.0.2.9',
    })
  })

  it('a desired state with no VNI needs no VTEP (removing everything still renders)', () => {
    const running = nativeRunning([nport('swp1'), nport('swp2'), nport('swp3')])
    expect(driver().renderNative({vnis: {}, vrfs: {}, interfaces: {}}, running).kernel).toEqual([])
  })
})

describe('anycast gateway MAC: declared, or read from the leaves', () => {
  const leaf1 = fullRunning().config
  it('not declared: the MAC the leaves’ gateways carry (recorded lab-leaf1: 44:38:39:ff:00:01)', () => {
    const leaf2 = nativeRunning(NATIVE_LINKS).config
    expect(
      anycastMacOf(
        [
          {leaf: 'lab-leaf1', config: leaf1},
          {leaf: 'lab-leaf2', config: leaf2},
        ],
        undefined,
      ),
    ).toEqual({mac: ANYCAST, source: 'the gateways on lab-leaf1, lab-leaf2'})
  })

  it('declared: used as it is (lower case), whatever the leaves carry', () => {
    expect(anycastMacOf([{leaf: 'lab-leaf1', config: leaf1}], '00:00:5E:00:01:01')).toEqual({
      mac: '00:00:5e:00:01:01',
      source: 'overlay.anycastMac',
    })
  })

  it('leaves that disagree: unknown, naming both MACs and where; none carrying a gateway: unknown', () => {
    const other = nativeRunning([
      nbr('br10101', '198.19.1.1', '02:00:00:00:00:01'),
      nvx('vxlan10101', 10_101, 'br10101', '198.19.255.12'),
      nport('swp1', 'br10101'),
    ]).config
    const r = anycastMacOf(
      [
        {leaf: 'lab-leaf1', config: leaf1},
        {leaf: 'lab-leaf2', config: other},
      ],
      undefined,
    )
    expect(r).toEqual({
      mac: null,
      reason: `the leaves' gateways disagree: ${ANYCAST} on lab-leaf1 VNI 10101, lab-leaf1 VNI 10102; 02:00:00:00:00:01 on lab-leaf2 VNI 10101`,
    })
    const bare = nativeRunning([nport('swp1')]).config
    expect(anycastMacOf([{leaf: 'lab-leaf3', config: bare}], undefined, ['lab-leaf4'])).toEqual({
      mac: null,
      reason: 'no leaf read carries a gateway yet (read: lab-leaf3) (not read: lab-leaf4)',
    })
  })

  it('unknown MAC: a leaf in sync shows no MAC change and renders nothing; a gateway to create is refused', () => {
    const running = fullRunning()
    // the desired state as the live service builds it without a MAC: '' everywhere, the leaf's own kept
    const noMac: LeafConfig = structuredClone(running.config)
    for (const v of Object.values(noMac.vnis)) v.gateway.mac = ''
    const desired = keepRunningGatewayMacs(noMac, running.config)
    expect(unknownGatewayMacs(desired)).toEqual([])
    expect(diffLeafConfigs(running.config, desired)).toEqual([])
    const why = "the leaves' gateways disagree: …"
    expect(driver({tenants: TENANTS, anycastMacUnknown: why}).renderFull(desired, running).kernel).toEqual([])

    // a new network on the leaf: its gateway does not exist anywhere here, so its MAC is unknown
    noMac.vnis['10103'] = vni(10_103, 103, 'lab-net3', '198.19.3.1/24', '', 'vrf-prod')
    const grow = keepRunningGatewayMacs(noMac, running.config)
    expect(unknownGatewayMacs(grow)).toEqual([10_103])
    const e = refusal(() => driver({tenants: TENANTS, anycastMacUnknown: why}).renderFull(grow, running))
    expect(e.code).toBe('LEAF_FACT_UNKNOWN')
    expect(e.message).toBe(
      `Leaf lab-leaf1: the anycast gateway MAC is unknown (${why}), and VNI 10103 needs a gateway this leaf does not carry yet; nothing was changed.`,
    )
    expect(e.hint).toMatch(/overlay\.anycastMac/)
  })

  it('a gateway whose address changes is a gateway to create: its MAC is not taken from the old one', () => {
    const running = nativeRunning(NATIVE_LINKS)
    const noMac: LeafConfig = structuredClone(running.config)
    noMac.vnis['10101']!.gateway = {address: '198.19.1.254/24', mac: ''}
    expect(unknownGatewayMacs(keepRunningGatewayMacs(noMac, running.config))).toEqual([10_101])
  })
})

describe('live desired state: the gateway MAC as declared, or none', () => {
  const state = (anycastMac: string | undefined) => {
    const ctx = {
      overlay: {vniBase: 10_000, routeTargetAsn: 65_000, ...(anycastMac ? {anycastMac} : {})},
      inventory: {hosts: [{name: 'lab-h1', nics: [{leaf: 'lab-leaf1', interface: 'swp1'}]}], leaves: []},
    }
    const net = {
      id: 'n1',
      name: 'lab-net1',
      az: '',
      tenant: DEFAULT_VRF_TENANT.name,
      cidr: '198.19.1.0/24',
      gateway: '198.19.1.1',
      vlan: 101,
      l2Vni: 10_101,
      labels: [],
    }
    return new (LiveDesiredState as unknown as new (...a: unknown[]) => LiveDesiredState)(
      ctx,
      new Map([['lab-net1', net]]),
      new Map([[10_101, {vlan: 101, network: 'lab-net1'}]]),
      new Map([['lab-h1', new Set(['lab-net1'])]]),
      [],
    )
  }
  it('declared: every gateway gets it; not declared: unknown (the service fills it from the leaves)', () => {
    expect(state('44:38:39:FF:00:01').desired('lab-leaf1').vnis['10101']!.gateway).toEqual({
      address: '198.19.1.1/24',
      mac: ANYCAST,
    })
    expect(state(undefined).desired('lab-leaf1').vnis['10101']!.gateway).toEqual({address: '198.19.1.1/24', mac: ''})
    expect(state(undefined).desired('lab-leaf1', ANYCAST).vnis['10101']!.gateway.mac).toBe(ANYCAST)
  })
})

describe('push engine: an unreadable fact is a refusal (exit 4), nothing changed', () => {
  it('the real driver’s prepare refuses LEAF_FACT_UNKNOWN; the engine reports `refused` with the reason and hint', async () => {
    const running = nativeRunning([nport('swp1'), nport('swp2'), nport('swp3')])
    const real = driver()
    // the recorded reading stands in for the SSH read; everything after it is the real driver and engine
    const d: LeafDriver = {
      driver: real.driver,
      leaf: real.leaf,
      read: async () => running,
      prepare: (want, r, changes) => real.prepare(want, r, changes),
      apply: async () => {
        throw new Error('must not apply')
      },
      verify: async () => {
        throw new Error('must not verify')
      },
      restore: async () => {
        throw new Error('must not restore')
      },
      close: () => undefined,
    }
    const want: LeafConfig = {
      vnis: {10101: vni(10_101, 101, 'lab-net1', '198.19.1.1/24', ANYCAST)},
      vrfs: {},
      interfaces: {swp1: {vlans: [101]}},
    }
    const snaps = {get: () => undefined, record: () => undefined}
    const r = await runAsync(pushSteps(d, want, snaps, {dryRun: true}))
    expect(r.status).toBe('refused')
    expect(r.error).toMatchObject({code: 'LEAF_FACT_UNKNOWN', step: 'render'})
    expect(r.error!.message).toMatch(/VTEP address could not be read: the leaf has no VXLAN device/)
    expect(r.error!.hint).toMatch(/vtep:/)
  })
})
