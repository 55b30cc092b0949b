import fs from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {
  parseBondShow,
  parseDpifShow,
  parseDumpFlows,
  parseLacpShow,
  parseOfprotoTrace,
  parseOvsdbList,
  vlanTranslations,
} from '../../src/lib/backends/live/parse/index.js'

// Outputs recorded from a real Open vSwitch (test/fixtures/ovs/record.sh; version in VERSION).
const fx = (name: string) => fs.readFileSync(path.join(import.meta.dirname, '../fixtures/ovs', name), 'utf8')

describe('bond/show (recorded)', () => {
  it('active-backup: mode, LACP off, the active member named by OVS', () => {
    const [b, ...rest] = parseBondShow(fx('bond-show.active-backup.txt'))
    expect(rest).toEqual([])
    expect(b).toMatchObject({name: 'bond0', mode: 'active-backup', lacpStatus: 'off', lacpFallbackAb: false})
    expect(b!.activeMember).toBe('eth0')
    expect(b!.members).toEqual([
      {name: 'eth0', enabled: true, active: true, mayEnable: true},
      {name: 'eth1', enabled: true, active: false, mayEnable: true},
    ])
  })
  it('balance-slb', () => {
    const [b] = parseBondShow(fx('bond-show.balance-slb.txt'))
    expect(b).toMatchObject({mode: 'balance-slb', lacpStatus: 'off', activeMember: 'eth0'})
  })
  it('balance-tcp with LACP configured but never negotiated, falling back to active-backup', () => {
    const [b] = parseBondShow(fx('bond-show.balance-tcp-lacp-defaulted.txt'))
    expect(b).toMatchObject({mode: 'balance-tcp', lacpStatus: 'configured', lacpFallbackAb: true, activeMember: 'eth0'})
  })
  it('balance-tcp, LACP not negotiated and no fallback: no active member, every member disabled', () => {
    const [b] = parseBondShow(fx('bond-show.balance-tcp-lacp-nofallback.txt'))
    expect(b).toMatchObject({mode: 'balance-tcp', lacpStatus: 'configured', lacpFallbackAb: false, activeMember: null})
    expect(b!.members.map(m => m.enabled)).toEqual([false, false])
  })
  it('reads the pre-2.15 "slave" wording too', () => {
    const old = fx('bond-show.active-backup.txt').replaceAll('member', 'slave')
    expect(parseBondShow(old)[0]).toMatchObject({
      activeMember: 'eth0',
      members: [{name: 'eth0', active: true}, {name: 'eth1'}],
    })
  })
})

describe('lacp/show (recorded)', () => {
  it('defaulted members: LACP not negotiated, no partner', () => {
    const [l] = parseLacpShow(fx('lacp-show.defaulted.txt'))
    expect(l).toMatchObject({name: 'bond0', status: 'active', negotiated: false})
    expect(l!.members).toEqual([
      {name: 'eth0', state: 'defaulted', attached: true, partnerSysId: null},
      {name: 'eth1', state: 'defaulted', attached: true, partnerSysId: null},
    ])
  })
  it('a current member with a partner is negotiated', () => {
    const text = fx('lacp-show.defaulted.txt')
      .replace('member: eth0: defaulted attached', 'member: eth0: current attached')
      .replace(/partner sys_id: 00:00:00:00:00:00/, 'partner sys_id: 52:54:00:12:34:56')
    expect(parseLacpShow(text)[0]!.negotiated).toBe(true)
  })
})

describe('dump-flows (recorded): the Neutron OVS agent translation flows', () => {
  it('br-int: dl_vlan=<segment> → mod_vlan_vid:<local> from the patch port', () => {
    const flows = parseDumpFlows(fx('dump-flows.br-int.txt'))
    expect(flows).toHaveLength(7)
    expect(flows[1]).toEqual({
      table: 0,
      priority: 3,
      match: {in_port: '4', dl_vlan: '101'},
      actions: 'mod_vlan_vid:1,resubmit(,60)',
    })
    expect(vlanTranslations(flows)).toEqual([{table: 0, priority: 3, inPort: '4', fromVlan: 101, toVlan: 1}])
  })
  it('br-bond: dl_vlan=<local> → mod_vlan_vid:<segment>', () => {
    expect(vlanTranslations(parseDumpFlows(fx('dump-flows.br-bond.txt')))).toEqual([
      {table: 0, priority: 4, inPort: '1', fromVlan: 1, toVlan: 101},
    ])
  })
})

describe('dpif/show and ovs-vsctl JSON (recorded)', () => {
  it('maps OpenFlow and datapath port numbers per bridge', () => {
    const ports = parseDpifShow(fx('dpif-show.txt'))
    expect(ports.find(p => p.name === 'eth0')).toEqual({bridge: 'br-bond', name: 'eth0', ofport: 2, dp: 2})
    expect(ports.find(p => p.name === 'int-br-bond')).toEqual({
      bridge: 'br-int',
      name: 'int-br-bond',
      ofport: 4,
      dp: null,
    })
    expect(ports.filter(p => p.bridge === 'br-int')).toHaveLength(5)
  })
  it('one OVSDB decoder: uuids, sets, maps', () => {
    const ifaces = parseOvsdbList(fx('vsctl-list-interface.json'))
    const tap = ifaces.find(i => i.name === 'tapaaaaaaaa-aa')!
    expect(tap.external_ids).toMatchObject({
      'iface-id': 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa',
      'iface-status': 'active',
    })
    expect(typeof tap._uuid).toBe('string')
    const patch = ifaces.find(i => i.name === 'int-br-bond')!
    expect(patch.options).toEqual({peer: 'phy-br-bond'})
    const ports = parseOvsdbList(fx('vsctl-list-port.json'))
    expect(ports.find(p => p.name === 'bond0')!.interfaces).toHaveLength(2)
    expect(ports.find(p => p.name === 'tapaaaaaaaa-aa')!.tag).toBe(1)
    expect(ports.find(p => p.name === 'unmanaged0')!.tag).toEqual([])
    expect(() => parseOvsdbList('{"x":1}')).toThrow(/headings/)
  })
})

describe('ofproto/trace (recorded)', () => {
  it('outbound: br-int then br-bond, local VLAN 1 rewritten to segment 101 by the installed flow', () => {
    const t = parseOfprotoTrace(fx('ofproto-trace.br-int.outbound.txt'))
    expect(t.vlanIn).toBeNull()
    expect(t.bridges.map(b => b.bridge)).toEqual(['br-int', 'br-bond'])
    expect(t.bridges[1]!.rules[0]).toEqual({
      table: 0,
      rule: 'in_port=1,dl_vlan=1, priority 4',
      actions: ['mod_vlan_vid:101', 'NORMAL'],
    })
    expect(t.bridges[1]!.vlanAfter).toBe(101)
    expect(t.bridges[0]!.vlanAfter).toBeUndefined()
    // eth0 is datapath port 2 (dpif/show): the copy to the wire carries VLAN 101.
    expect(t.datapath!.outputs.find(o => o.dp === 2)).toEqual({dp: 2, vlan: 101})
    expect(t.datapath!.drop).toBe(false)
  })
  it('inbound: segment 101 from the wire becomes local VLAN 1 on br-int and reaches the instance untagged', () => {
    const t = parseOfprotoTrace(fx('ofproto-trace.br-bond.inbound.txt'))
    expect(t.vlanIn).toBe(101)
    expect(t.bridges.map(b => [b.bridge, b.vlanAfter, b.dropped])).toEqual([
      ['br-bond', undefined, false],
      ['br-int', 1, false],
    ])
    // tapaaaaaaaa-aa is datapath port 7.
    expect(t.datapath!.outputs.find(o => o.dp === 7)).toEqual({dp: 7, vlan: null})
  })
  it('a VLAN no flow maps is dropped at br-int', () => {
    const t = parseOfprotoTrace(fx('ofproto-trace.br-bond.unmapped-vlan.txt'))
    expect(t.bridges[1]).toMatchObject({bridge: 'br-int', dropped: true})
    expect(t.datapath!.outputs.map(o => o.dp)).toEqual([1])
  })
})

describe("trace's wire VLAN comes from the installed flows (recorded dump-flows)", () => {
  it('a frame for local VLAN 1 is expected with segment VLAN 101 (the agent flow), not an assumed VLAN', async () => {
    const {wireVlanCandidates} = await import('../../src/lib/backends/live/trace-evidence.js')
    const tr = vlanTranslations(parseDumpFlows(fx('dump-flows.br-int.txt')))
    // The network's VLAN in Neutron may differ from what the flows do (here 555): the flows come first.
    expect(wireVlanCandidates(undefined, tr, 1, 555)).toEqual([101, null, 555])
    // Traced from the source on the same network: exactly what its flows put on the wire, nothing guessed.
    expect(wireVlanCandidates(101, tr, 1, 555)).toEqual([101])
    expect(wireVlanCandidates(null, tr, 1, 555)).toEqual([null])
    // No translation flow for this local VLAN: untagged, then the network's VLAN.
    expect(wireVlanCandidates(undefined, tr, 7, 300)).toEqual([null, 300])
  })
})

describe('Interface external_ids:iface-id (recorded)', () => {
  it('parseOvsTables gives each device the Neutron port its iface-id names; devices without one have none', async () => {
    const {parseOvsTables} = await import('../../src/lib/audit/parse.js')
    const t = parseOvsTables(fx('vsctl-list-bridge.json'), fx('vsctl-list-port.json'), fx('vsctl-list-interface.json'))
    const byName = new Map(t.interfaces.map(i => [i.name, i.ifaceId ?? null]))
    expect(byName.get('tapaaaaaaaa-aa')).toBe('aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa')
    expect(byName.get('tapbbbbbbbb-bb')).toBe('bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb')
    expect(byName.get('unmanaged0')).toBeNull()
    expect(byName.get('int-br-bond')).toBeNull()
  })
})
