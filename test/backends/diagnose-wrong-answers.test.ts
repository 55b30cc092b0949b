// port diagnose's wrong answers on hosts fabricctl did not build (issue 11), each checked on the live
// evidence gatherer fed recorded Neutron and host reads (no network): the binding, unmanaged devices
// on br-int, and stale-host-map where no controller map exists.
import {describe, expect, it} from 'vitest'

import type {LiveContext} from '../../src/lib/context/schema.js'
import {collectEvidence, WIRING_PROBES} from '../../src/lib/audit/collect.js'
import {hostReadOf, LiveWorld} from '../../src/lib/diagnose/live.js'
import {diagnosePort} from '../../src/lib/diagnose/steps.js'
import type {LeafEvidence} from '../../src/lib/diagnose/types.js'
import {emptyLeafConfig} from '../../src/lib/model/types.js'
import {failed, ok, recordedHost} from '../helpers/recorded-host.js'

const A = 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa'
const NET = 'nnnnnnnn-0000-0000-0000-000000000001'

/**
 * The host as the host probe reads it (facts: 'wiring'), its OVS recorded (test/fixtures/ovs): tapaaaaaaaa-aa
 * (port A), tapbbbbbbbb-bb (iface-id B), unmanaged0 (none), all tag 1 but unmanaged0; both NICs up.
 */
const hostFacts = () =>
  collectEvidence(
    recordedHost({
      links: ok(
        JSON.stringify([
          {ifname: 'eth0', flags: ['UP', 'LOWER_UP'], operstate: 'UP'},
          {ifname: 'eth1', flags: ['UP', 'LOWER_UP'], operstate: 'UP'},
        ]),
      ),
    }),
    {name: 'h1', az: 'az1', address: '127.0.0.1', role: 'hypervisor', cabling: []},
    'ssh',
    'h1',
    WIRING_PROBES,
  )

async function world(opts: {vifType: string; bothNicsOnOneLeaf?: boolean; agents?: []}) {
  const nics = opts.bothNicsOnOneLeaf
    ? [
        {name: 'eth0', leaf: 'leaf-a', interface: 'swp1', speedMbps: 10_000},
        {name: 'eth1', leaf: 'leaf-a', interface: 'swp2', speedMbps: 10_000},
      ]
    : [
        {name: 'eth0', leaf: 'leaf-a', interface: 'swp1', speedMbps: 10_000},
        {name: 'eth1', leaf: 'leaf-b', interface: 'swp1', speedMbps: 10_000},
      ]
  const ctx = {
    name: 'lab',
    backend: 'live',
    overlay: {vniBase: 10_000},
    inventory: {
      azs: [{name: 'az1', topology: 'spine-leaf'}],
      spines: [],
      leaves: [...new Set(nics.map(n => n.leaf))].map(name => ({name, az: 'az1', address: '127.0.0.1', driver: 'frr'})),
      hosts: [{name: 'h1', az: 'az1', role: 'hypervisor', address: '127.0.0.1', port: 22, plugging: 'direct', nics}],
      instances: [],
    },
  } as unknown as LiveContext
  const port = {
    id: A,
    name: 'web-1',
    network_id: NET,
    mac_address: 'fa:16:3e:00:00:01',
    status: 'DOWN',
    'binding:host_id': 'h1',
    'binding:vif_type': opts.vifType,
    fixed_ips: [{subnet_id: 's1', ip_address: '10.0.1.10'}],
  }
  const nets = new Map([
    [NET, {id: NET, name: 'prod-1', vlan: 101, cidr: '10.0.1.0/24', gateway: '10.0.1.1', az: 'az1'}],
  ])
  // Each leaf carries the network on the host's interfaces (VNI 10101, its VLAN, the gateway).
  const leafReads = new Map<string, LeafEvidence>()
  for (const l of new Set(nics.map(n => n.leaf))) {
    const running = emptyLeafConfig()
    running.vnis['10101'] = {
      vni: 10_101,
      vlan: 101,
      network: 'prod-1',
      vrf: 'default',
      routeTarget: '',
      gateway: {address: '10.0.1.1/24', mac: '00:00:5e:00:01:01'},
    }
    for (const n of nics.filter(x => x.leaf === l)) running.interfaces[n.interface] = {vlans: [101]}
    leafReads.set(l, {name: l, reachable: true, running, hasVrfs: false, source: `${l}: frr`})
  }
  const hostReads = new Map([['h1', hostReadOf({facts: await hostFacts()})]])
  const w = new LiveWorld(ctx, [port], nets, opts.agents ?? [], hostReads, leafReads, new Map([[NET, 200]]))
  return diagnosePort(w.evidence('web-1', port))
}

describe('diagnose on live evidence: the wrong answers', () => {
  it('a healthy port with devices on br-int that are not Neutron ports passes; they are "unmanaged", not a leak', async () => {
    const d = await world({vifType: 'ovs'})
    const step = d.steps.find(s => s.id === 'device-attached')!
    expect(step.status).toBe('passed')
    expect(step.cause).toBeNull()
    // tapbbbbbbbb-bb has local VLAN 1 too, but its iface-id is no port Neutron lists.
    expect(step.evidence).toMatchObject({tagNetworks: [], unmanaged: ['tapbbbbbbbb-bb', 'unmanaged0']})
    expect(step.detail).toMatch(/not Neutron ports \(unmanaged/)
    expect(JSON.stringify(d)).not.toMatch(/device-vlan-wrong|\?\s+also use/)
    expect(d.verdict).toMatchObject({state: 'ACTIVE_ACTIVE', ok: true})
  })

  it('binding:vif_type binding_failed is evidence even when Neutron lists no agents', async () => {
    const d = await world({vifType: 'binding_failed', agents: []})
    expect(d.verdict).toMatchObject({ok: false, cause: 'binding-failed', step: 'port-bound'})
    expect(d.verdict.state).not.toBe('ACTIVE_ACTIVE')
    expect(d.steps.find(s => s.id === 'port-bound')!.evidence).toEqual({hostId: 'h1', vifType: 'binding_failed'})
    expect((await world({vifType: 'unbound'})).verdict.cause).toBe('binding-failed')
  })

  it('no stale-host-map for a host with both NICs on one leaf where no controller map exists', async () => {
    const d = await world({vifType: 'ovs', bothNicsOnOneLeaf: true})
    const step = d.steps.find(s => s.id === 'host-leaf-map')!
    expect(step.status).toBe('skipped')
    expect(step.detail).toMatch(/no controller map/)
    expect(JSON.stringify(d.steps)).not.toMatch(/stale-host-map/)
    expect(d.steps.find(s => s.id === 'leaf-config')!.status).toBe('passed')
    expect(d.verdict.ok).toBe(true)
  })
})

describe("diagnose's host facts come from the host probe (facts: 'wiring'), unknown never defaulted", () => {
  it('the devices by iface-id on br-int, the links; vswitchd stopped is false; a failed read has its reason', async () => {
    const r = hostReadOf({facts: await hostFacts()})
    expect(r).toMatchObject({readable: true, ovsRunning: true, ovsdbOk: true})
    expect(r.devices.get('tapaaaaaaaa-aa')).toEqual({portId: A, ofport: expect.any(Number), tag: 1, onBrInt: true})
    expect(r.devices.get('unmanaged0')?.portId).toBeNull()
    expect([...r.links]).toEqual([
      ['eth0', true],
      ['eth1', true],
    ])
    const stopped = await collectEvidence(
      recordedHost({ovsDaemon: failed('ovs-appctl: cannot connect to "/var/run/openvswitch/ovs-vswitchd.*.ctl"')}),
      {name: 'h1', az: 'az1', address: '127.0.0.1', role: 'hypervisor', cabling: []},
      'ssh',
      'h1',
      WIRING_PROBES,
    )
    expect(hostReadOf({facts: stopped}).ovsRunning).toBe(false)
    // The links probe failing: the NICs' state is not read, no link is "up" or "down" by default.
    const noLinks = await collectEvidence(
      recordedHost({}),
      {name: 'h1', az: 'az1', address: '127.0.0.1', role: 'hypervisor', cabling: []},
      'ssh',
      'h1',
      WIRING_PROBES,
    )
    expect(hostReadOf({facts: noLinks}).links.size).toBe(0)
    expect(hostReadOf({reason: 'host could not be read: connect ECONNREFUSED'})).toMatchObject({
      readable: false,
      error: 'host could not be read: connect ECONNREFUSED',
      ovsRunning: null,
    })
  })
})
