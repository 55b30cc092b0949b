import fs from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {
  parseBridgeFdb,
  parseEvpnMacAll,
  parsePortDevices,
  portDevicesScript,
} from '../../src/lib/backends/live/parse/index.js'
import {ownership} from '../../src/lib/ports/fence.js'

// Outputs recorded from the native lab (2026-12-02): lab-h1's OVS 3.1 (portDevicesScript), lab-leaf1/2's FRR 8.4 + kernel bridge.
const fx = (dir: string, name: string) =>
  fs.readFileSync(path.join(import.meta.dirname, '../fixtures', dir, name), 'utf8')

describe("drift fencing: a port's devices on a host (recorded)", () => {
  it('find Interface external_ids:iface-id=ID + bridge membership', () => {
    const devices = parsePortDevices(fx('ovs', 'port-devices.lab-h1.txt'))
    expect(devices).toEqual([
      {
        device: 'tap07d12534-2d',
        bridge: 'br-int',
        ofport: 2,
        externalIds: {
          'attached-mac': 'fa:16:3e:a1:03:b7',
          'iface-id': '07d12534-2d2d-4a45-b47b-13e8d1b80d3e',
          'iface-status': 'active',
          'vm-uuid': 'lab-h1-i1',
        },
      },
    ])
    const port = {id: '07d12534-2d2d-4a45-b47b-13e8d1b80d3e', mac: 'FA:16:3E:A1:03:B7'}
    expect(ownership({host: 'lab-h1', ...devices[0]!}, port).ours).toBe(true)
    // Not ours: no attached-mac, another MAC, another bridge.
    const d = {host: 'lab-h1', ...devices[0]!}
    expect(ownership({...d, externalIds: {'iface-id': port.id}}, port)).toMatchObject({ours: false})
    expect(ownership({...d, externalIds: {...d.externalIds, 'attached-mac': 'fa:16:3e:00:00:01'}}, port).why).toContain(
      'not the port',
    )
    expect(ownership({...d, bridge: 'br-bond'}, port).why).toContain('br-bond')
  })
  it('no interface carries the iface-id: no devices', () => {
    expect(parsePortDevices(fx('ovs', 'port-devices.none.txt'))).toEqual([])
  })
  it('refuses an output that is not the script (no @@iface@@) or bad JSON', () => {
    expect(() => parsePortDevices('ovs-vsctl: unix:/run/openvswitch/db.sock: database connection failed')).toThrow(
      /@@iface@@/,
    )
    expect(() => parsePortDevices('@@iface@@\n{not json')).toThrow()
  })
  it('the script quotes the id it is given', () => {
    expect(portDevicesScript('07d12534-2d2d-4a45-b47b-13e8d1b80d3e')).toContain(
      "find Interface 'external_ids:iface-id=07d12534-2d2d-4a45-b47b-13e8d1b80d3e'",
    )
  })
})

describe('drift fencing: where a leaf learned a MAC (recorded)', () => {
  it('bridge -j fdb show: a local entry on a host port; self entries skipped', () => {
    const fdb = fx('frr', 'bridge-fdb.lab-leaf1.json')
    expect(parseBridgeFdb(fdb, 'EA:7E:AE:AB:C6:93')).toEqual([
      {interface: 'swp1', origin: 'local', vtep: null, source: 'bridge -j fdb show'},
    ])
    // 33:33:00:00:00:01 is only on `self` entries (the devices' own multicast addresses).
    expect(parseBridgeFdb(fdb, '33:33:00:00:00:01')).toEqual([])
    expect(parseBridgeFdb(fdb, 'fa:16:3e:00:00:99')).toEqual([])
  })
  it('a remote FDB entry (dst) is remote', () => {
    const json = JSON.stringify([
      {mac: 'aa:bb:cc:00:00:01', ifname: 'vxlan10101', dst: '198.19.255.12', flags: [], state: ''},
    ])
    expect(parseBridgeFdb(json, 'aa:bb:cc:00:00:01')).toEqual([
      {interface: 'vxlan10101', origin: 'remote', vtep: '198.19.255.12', source: 'bridge -j fdb show'},
    ])
  })
  it('show evpn mac vni all json: local on leaf1 (intf), remote on leaf2 (remoteVtep)', () => {
    expect(parseEvpnMacAll(fx('frr', 'evpn-mac-all.lab-leaf1.json'), 'ea:7e:ae:ab:c6:93')).toEqual([
      {interface: 'swp1', origin: 'local', vtep: null, source: 'show evpn mac vni 10101'},
    ])
    expect(parseEvpnMacAll(fx('frr', 'evpn-mac-all.lab-leaf2.json'), 'ea:7e:ae:ab:c6:93')).toEqual([
      {interface: 'vni 10101', origin: 'remote', vtep: '198.19.255.11', source: 'show evpn mac vni 10101'},
    ])
    expect(parseEvpnMacAll('', 'ea:7e:ae:ab:c6:93')).toEqual([])
  })
})
