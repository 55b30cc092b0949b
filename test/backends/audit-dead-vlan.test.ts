// audit hosts: a br-int device the Neutron OVS agent put on the dead VLAN (Port tag 4095) is not an
// instance; it is listed apart with the finding bridges.dead-vlan-devices. The OVS tables are recorded
// from a real Open vSwitch (test/fixtures/ovs/record.sh: tapdeadbeef0, tag=4095, an iface-id no agent knows).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {describe, expect, it, onTestFinished} from 'vitest'

import {loadCatalogue} from '../../src/lib/audit/catalogue.js'
import {auditEvidence} from '../../src/lib/audit/checks/index.js'
import {collectEvidence, PROBES} from '../../src/lib/audit/collect.js'
import {parseOvsTables} from '../../src/lib/audit/parse.js'
import {simEvidence} from '../../src/lib/audit/sources/sim.js'
import {generateFabric} from '../../src/lib/sim/generator.js'
import {PROFILES} from '../../src/lib/sim/profiles.js'
import {openDb} from '../../src/lib/store/db.js'
import {FabricStore} from '../../src/lib/store/fabric-store.js'
import {dualHomed, failed, ok, ovsFixture, recordedHost} from '../helpers/recorded-host.js'

const fx = ovsFixture
const DEAD = {device: 'tapdeadbeef0', ifaceId: '0badc0de-0000-0000-0000-000000000000'}
/** A host whose OVS printed the recorded tables (the Port table with or without its tag column). */
const runner = (portTable: string) =>
  recordedHost({
    ovsBridges: ok(fx('vsctl-list-bridge.dead-vlan.json')),
    ovsPorts: ok(fx(portTable)),
    ovsInterfaces: ok(fx('vsctl-list-interface.dead-vlan.json')),
    ovsBond: ok(fx('bond-show.active-backup.txt')),
  })
const hints = dualHomed('h2')
const audit = async (portTable: string) =>
  auditEvidence(await collectEvidence(runner(portTable), hints, 'ssh', 'h2'), ['bridges'], loadCatalogue())

describe('parseOvsTables: the Port tag (recorded)', () => {
  it('gives each interface its Port tag: 4095 (dead VLAN), 1, none; unknown when the column was not read', () => {
    const tags = (portTable: string) =>
      new Map(
        parseOvsTables(
          fx('vsctl-list-bridge.dead-vlan.json'),
          fx(portTable),
          fx('vsctl-list-interface.dead-vlan.json'),
        ).interfaces.map(i => [i.name, 'tag' in i ? i.tag : 'unread']),
      )
    const read = tags('vsctl-list-port.dead-vlan.json')
    expect(read.get('tapdeadbeef0')).toBe(4095)
    expect(read.get('tapaaaaaaaa-aa')).toBe(1)
    expect(read.get('unmanaged0')).toBeNull()
    const unread = tags('vsctl-list-port.dead-vlan.no-tag.json')
    expect(unread.get('tapdeadbeef0')).toBe('unread')
    expect(unread.get('tapaaaaaaaa-aa')).toBe('unread')
  })
})

describe('audit: devices on the dead VLAN', () => {
  it('the collector reads the tag column of the Port table', () => {
    expect(PROBES.ovsPorts).toMatch(/--columns=\S*\btag\b\S* list Port/)
  })

  it('a tag-4095 device is not an instance: listed apart, with a warning naming it, its iface-id and the OVSDB read', async () => {
    const a = await audit('vsctl-list-port.dead-vlan.json')
    expect(a.facts!.deadVlanDevices).toEqual([DEAD])
    // tapaaaaaaaa-aa and tapbbbbbbbb-bb (tag 1) and unmanaged0 (no tag) are instances; tapdeadbeef0 is not.
    expect(a.instances!.map(i => i.device)).toEqual(['tapaaaaaaaa-aa', 'tapbbbbbbbb-bb', 'unmanaged0'])
    expect(a.facts!.instances).toEqual({total: 3, direct: 3, qbr: 0, maxPathHops: 18})
    const f = a.findings.find(x => x.id === 'bridges.dead-vlan-devices')!
    expect(f).toMatchObject({check: 'bridges', severity: 'warning', unknown: false})
    expect(f.title).toContain('tapdeadbeef0')
    expect(f.evidence).toEqual([
      {source: `h2: ${PROBES.ovsPorts}`, value: `tapdeadbeef0: tag 4095, iface-id ${DEAD.ifaceId}`},
    ])
    expect(f.remediation).toContain(`openstack port show ${DEAD.ifaceId}`)
    expect(f.remediation).toContain('ovs-vsctl del-port br-int tapdeadbeef0')
    expect(a.findings.find(x => x.id === 'bridges.direct-plugging')!.title).toMatch(/^3 of 3 instance/)
    expect(a.verdict).toBe('warning')
  })

  it('a tag that could not be read is not called dead: the device stays an instance, no finding', async () => {
    const a = await audit('vsctl-list-port.dead-vlan.no-tag.json')
    expect(a.facts!.deadVlanDevices).toEqual([])
    expect(a.instances!.map(i => i.device)).toContain('tapdeadbeef0')
    expect(a.facts!.instances!.total).toBe(4)
    expect(a.findings.map(x => x.id)).not.toContain('bridges.dead-vlan-devices')
  })

  it('an untagged device where the others carry local VLANs: the agent did not wire it (a trunk of every VLAN), still counted', async () => {
    const a = await audit('vsctl-list-port.dead-vlan.json')
    const f = a.findings.find(x => x.id === 'bridges.untagged-devices')!
    expect(f).toMatchObject({check: 'bridges', severity: 'warning', unknown: false})
    expect(f.evidence).toEqual([{source: `h2: ${PROBES.ovsPorts}`, value: 'unmanaged0: no tag, iface-id (none set)'}])
    expect(a.instances!.map(i => i.device)).toContain('unmanaged0')
    // the tag column not read: nothing is known to be untagged
    const unread = await audit('vsctl-list-port.dead-vlan.no-tag.json')
    expect(unread.findings.map(x => x.id)).not.toContain('bridges.untagged-devices')
  })

  it('OVS not read: dead-VLAN devices unknown (null), not an empty list', async () => {
    const e = await collectEvidence(
      {batch: async cmds => new Map(Object.keys(cmds).map(id => [id, failed('ovsdb not answering')]))},
      hints,
      'ssh',
      'h2',
    )
    const a = auditEvidence(e, ['bridges'], loadCatalogue())
    expect(a.facts!.deadVlanDevices).toBeNull()
    expect(a.findings.map(x => x.id)).not.toContain('bridges.dead-vlan-devices')
  })
})

describe('audit (sim): the agent’s local VLAN is the tag', () => {
  it('a device the simulated agent left on 4095 (br-int full) gives the same finding, from ovs_ports.local_vlan', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabricctl-audit-dead-vlan-'))
    const store = new FabricStore(await openDb(path.join(dir, 'sim.db')))
    onTestFinished(() => {
      store.close()
      fs.rmSync(dir, {recursive: true, force: true})
    })
    store.tx(() => generateFabric(store, {profile: PROFILES.small, seed: 1, topology: 'spine-leaf'}))
    const row = store
      .sql(
        'SELECT host, device, port_id FROM ovs_ports o JOIN hosts h ON h.name = o.host WHERE h.ovs_running = 1 LIMIT 1',
      )
      .get() as {host: string; device: string; port_id: string}
    const before = auditEvidence(simEvidence(store, [store.host(row.host)!])[0]!, ['bridges'], loadCatalogue())
    expect(before.facts!.deadVlanDevices).toEqual([])
    expect(before.instances!.map(i => i.device)).toContain(row.device)
    // sim/agents.ts assigns 4095 when no local VLAN is free; filling br-int takes 4094 networks, so set it directly.
    store.sql('UPDATE ovs_ports SET local_vlan = 4095 WHERE host = ? AND device = ?').run(row.host, row.device)
    const a = auditEvidence(simEvidence(store, [store.host(row.host)!])[0]!, ['bridges'], loadCatalogue())
    expect(a.facts!.deadVlanDevices).toEqual([{device: row.device, ifaceId: row.port_id}])
    expect(a.instances!.map(i => i.device)).not.toContain(row.device)
    expect(a.facts!.instances!.total).toBe(before.facts!.instances!.total - 1)
    expect(a.findings.find(x => x.id === 'bridges.dead-vlan-devices')!.evidence).toEqual([
      {source: 'sim: ovs_ports.local_vlan', value: `${row.device}: tag 4095, iface-id ${row.port_id}`},
    ])
  })
})
