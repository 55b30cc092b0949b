// What a hand-built leaf already carries as desired is neither a change nor a refusal (leaf/carried.ts).
import {describe, expect, it} from 'vitest'

import {carriedNote, withoutCarried} from '../src/lib/leaf/carried.js'
import {emptyLeafConfig, type LeafConfig, type LeafVni} from '../src/lib/model/types.js'

const vni = (n: number, mac = '44:38:39:ff:00:01'): LeafVni => ({
  vni: n,
  vlan: n - 10_000,
  network: `net-${n}`,
  vrf: 'default',
  routeTarget: `65000:${n}`,
  gateway: {address: `198.19.${n - 10_100}.1/24`, mac},
})
const cfg = (vnis: LeafVni[], interfaces: Record<string, number[]> = {}): LeafConfig => ({
  vnis: Object.fromEntries(vnis.map(v => [String(v.vni), v])),
  vrfs: {},
  interfaces: Object.fromEntries(Object.entries(interfaces).map(([k, vlans]) => [k, {vlans}])),
})

describe('withoutCarried', () => {
  it('drops a VNI and a host port that unmanaged configuration carries exactly as desired, and names them', () => {
    const desired = cfg([vni(10_101), vni(10_103)], {swp1: [101], swp9: [103]})
    const running = {config: emptyLeafConfig(), observed: cfg([vni(10_101), vni(10_150)], {swp1: [101], swp20: [100]})}
    const r = withoutCarried(running, desired)
    expect(Object.keys(r.desired.vnis)).toEqual(['10103'])
    expect(Object.keys(r.desired.interfaces)).toEqual(['swp9'])
    expect(r.carried).toEqual(['VNI 10101 (VLAN 101, net-10101)', 'swp1 VLAN 101'])
    expect(carriedNote(r.carried)[0]).toMatch(/^already carried by unmanaged configuration, as desired \(not touched\)/)
    expect(desired.vnis['10101'], 'the input is not changed').toBeDefined()
  })

  it('keeps what differs (another gateway MAC, other VLANs on the port): the driver refuses it as unmanaged', () => {
    const desired = cfg([vni(10_101)], {swp1: [101, 103]})
    const running = {config: emptyLeafConfig(), observed: cfg([vni(10_101, '00:00:5e:00:01:01')], {swp1: [101]})}
    const r = withoutCarried(running, desired)
    expect(r.desired).toEqual(desired)
    expect(r.carried).toEqual([])
  })

  it('what fabricctl manages is diffed as always; without `observed` nothing is dropped', () => {
    const desired = cfg([vni(10_101)], {swp1: [101]})
    expect(withoutCarried({config: desired, observed: desired}, desired).carried).toEqual([])
    expect(withoutCarried({config: emptyLeafConfig()}, desired).desired).toEqual(desired)
  })
})
