import {afterAll, beforeAll, describe, expect, it, onTestFinished} from 'vitest'

import type {FabricError} from '../src/lib/cli/errors.js'
import {buildFabric} from './helpers/fabric-builder.js'
import {livePortService} from './helpers/live-port-service.js'
import {type FakeNeutron, startFakeNeutron} from './helpers/fake-neutron.js'
import {assertMatchesSchema} from './helpers/schema.js'

/** Issue 12, item 7: `exhausted` at 100% use, and the hint of an ambiguous name. */
let neutron: FakeNeutron
beforeAll(async () => {
  neutron = await startFakeNeutron()
  neutron.networks.push({
    id: 'n1',
    name: 'net-a',
    tags: ['prod-env'],
    subnets: ['s1'],
    availability_zone_hints: ['az1'],
  })
  neutron.subnets.push({id: 's1', network_id: 'n1', cidr: '10.9.0.0/29', gateway_ip: '10.9.0.1', ip_version: 4})
})
afterAll(() => neutron.close())

const live = () => livePortService(neutron.ctx('fixes'))

describe('exhausted at 100% use', () => {
  it('sim: a network filled to its last address is exhausted in ipam usage and in allocate candidates', async () => {
    const fx = await buildFabric()
    onTestFinished(() => fx.cleanup())
    const before = (await fx.cli('ipam', 'usage', '--json')).json.rows.find((r: any) => r.name === 'suba-prod')
    expect(before.free).toBeGreaterThan(0)
    expect(before.exhausted).toBe(0)
    const fill = await fx.cli('port', 'allocate', '--network', 'suba-prod', '--count', String(before.free), '--json')
    expect(fill.exitCode).toBe(0)
    const usage = await fx.cli('ipam', 'usage', '--json')
    assertMatchesSchema(usage.json)
    expect(usage.json.rows.find((r: any) => r.name === 'suba-prod')).toMatchObject({free: 0, exhausted: 1})
    // A second network under the same label: the full one is listed exhausted, the other is used.
    expect((await fx.cli('network', 'label', 'add', 'test-a', 'sub-a-prod')).exitCode).toBe(0)
    const byLabel = await fx.cli(
      'port',
      'allocate',
      '--label',
      'sub-a-prod',
      '--name',
      'one-more',
      '--dry-run',
      '--json',
    )
    expect(byLabel.exitCode).toBe(0)
    expect(byLabel.json.candidates.find((c: any) => c.name === 'suba-prod')).toMatchObject({free: 0, exhausted: true})
    expect(byLabel.json.candidates.find((c: any) => c.name === 'test-a')).toMatchObject({exhausted: false})
    expect(byLabel.json.ports[0].network).toBe('test-a')
    const refused = await fx.cli('port', 'allocate', '--network', 'suba-prod', '--name', 'one-more', '--json')
    expect(refused.exitCode).toBe(1)
    expect(refused.json.error.code).toBe('IPAM_EXHAUSTED')
  })

  it('live: used == total from network-ip-availabilities is exhausted', async () => {
    neutron.availability.set('n1', {used: 5, total: 5})
    const rows = await live().usage('network')
    expect(rows).toEqual([{name: 'net-a', azs: ['az1'], networks: ['net-a'], used: 5, free: 0, total: 5, exhausted: 1}])
    neutron.availability.set('n1', {used: 4, total: 5})
    expect((await live().usage('network'))[0]).toMatchObject({free: 1, exhausted: 0})
  })
})

describe('the hint of an ambiguous port reference', () => {
  it('a name held by two ports asks for the id, not for "the name instead of the IP"', async () => {
    const a = neutron.addPort({name: 'web-1', network_id: 'n1', ip: '10.9.0.2'})
    const b = neutron.addPort({name: 'web-1', network_id: 'n1', ip: '10.9.0.3'})
    onTestFinished(() => void (neutron.ports.delete(a.id), neutron.ports.delete(b.id)))
    const e = (await live()
      .show('web-1')
      .then(
        () => expect.unreachable('show succeeded'),
        (x: unknown) => x,
      )) as FabricError
    expect(e.code).toBe('PORT_AMBIGUOUS')
    expect(e.hint).not.toContain('instead of the IP')
    expect(e.hint).toContain(a.id)
    expect(e.hint).toContain(b.id)
  })

  it('an IP held by two ports still asks for the name or id', async () => {
    const a = neutron.addPort({name: 'x-1', network_id: 'n1', ip: '10.9.0.4'})
    const b = neutron.addPort({name: 'x-2', network_id: 'n1', ip: '10.9.0.4'})
    onTestFinished(() => void (neutron.ports.delete(a.id), neutron.ports.delete(b.id)))
    const e = (await live()
      .show('10.9.0.4')
      .then(
        () => expect.unreachable('show succeeded'),
        (x: unknown) => x,
      )) as FabricError
    expect(e.code).toBe('PORT_AMBIGUOUS')
    expect(e.hint).toContain('name or id')
  })
})

describe('one wording of the shared rules', () => {
  it('HOST_AZ_MISMATCH (live bind) and "already on host" (live migrate) read as the sim writes them', async () => {
    neutron.networks.push({id: 'n2', name: 'net-z', tags: [], subnets: ['s2'], availability_zone_hints: ['az2']})
    neutron.subnets.push({id: 's2', network_id: 'n2', cidr: '10.8.0.0/24', gateway_ip: '10.8.0.1', ip_version: 4})
    const z = neutron.addPort({name: 'z-1', network_id: 'n2', ip: '10.8.0.5'})
    const a = neutron.addPort({name: 'a-1', network_id: 'n1', ip: '10.9.0.6', 'binding:host_id': 'h1'})
    onTestFinished(() => void (neutron.ports.delete(z.id), neutron.ports.delete(a.id)))
    const e = (await live()
      .bind('z-1', 'h1', {dryRun: false})
      .then(
        () => expect.unreachable('bind succeeded'),
        (x: unknown) => x,
      )) as FabricError
    expect([e.code, e.exitCode, e.message]).toEqual([
      'HOST_AZ_MISMATCH',
      2,
      "Host h1 is in az1 but port z-1's network net-z is in az2.",
    ])
    expect(e.hint).toContain('pick a host in az2 (`fabricctl host list --az az2`)')
    expect(neutron.ports.get(z.id)!['binding:host_id']).toBe('')
    const m = await live().migrate('a-1', 'h1', {dryRun: false})
    expect(m.changed).toBe(false)
    expect(m.reasons).toEqual([
      'port a-1 is already on h1; nothing to move (to re-run the agent and controller, use `fabricctl port bind`)',
    ])
  })
})
