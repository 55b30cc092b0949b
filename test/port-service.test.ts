import Database from 'better-sqlite3'
import {afterAll, beforeAll, describe, expect, it, onTestFinished} from 'vitest'

import {LiveIpam} from '../src/lib/backends/live/ipam.js'
import type {Ipam} from '../src/lib/seam/ipam.js'
import type {LiveContext} from '../src/lib/context/schema.js'
import type {LeafChange} from '../src/lib/leaf/diff.js'
import type {PushOptions, PushResult} from '../src/lib/leaf/engine.js'
import {LiveDesiredState} from '../src/lib/leaf/live.js'
import {LivePortService} from '../src/lib/backends/live/ports.js'
import type {PortPlan} from '../src/lib/ports/plan.js'
import {type HostChangeEngine, PortChangeService} from '../src/lib/ports/service.js'
import {SimPortService} from '../src/lib/backends/sim/ports.js'
import type {LeafDriverRegistry, LeafService, PortAssumption} from '../src/lib/seam/leaf-drivers.js'
import {buildFabric} from './helpers/fabric-builder.js'
import {clearFailureHooksAfterEach, rejected} from './helpers/port-plan.js'
import {type FakeNeutron, startFakeNeutron} from './helpers/fake-neutron.js'
import {storeFingerprint} from './helpers/store-fingerprint.js'

/**
 * Issue 12: bind and migrate run through one PortChangeService (src/lib/ports/service.ts) on both
 * backends. The leaf gates (--max-changes, ownership) are evaluated on the plan before its first step,
 * so a refusal changes nothing anywhere: no sim commit, no Neutron write, no leaf push.
 */

clearFailureHooksAfterEach()

// --- sim --------------------------------------------------------------------------------------
describe('sim: a leaf gate refusal commits nothing', () => {
  it('bind and migrate beyond --max-changes: exit 4 naming the leaf, no write committed to the store', async () => {
    const fx = await buildFabric()
    onTestFinished(() => fx.cleanup())
    const svc = new SimPortService(fx.store)
    // Another connection sees every commit of the store (PRAGMA data_version moves on each one).
    const other = new Database(fx.file, {readonly: true})
    onTestFinished(() => void other.close())
    const version = () => other.pragma('data_version', {simple: true}) as number
    const hosts = fx.store
      .hosts({az: 'az1'})
      .filter(h => h.role !== 'baremetal' && !fx.store.portsOnHost(h.name).some(p => p.network === 'suba-prod'))
    const [h1, h2] = [hosts[0]!.name, hosts.at(-1)!.name]
    await svc.allocate({network: 'suba-prod', name: 'gate-s', count: 1, dryRun: false, failIfExists: false})
    for (const [op, run] of [
      ['bind', () => svc.bind('gate-s', h1, {dryRun: false, maxChanges: 0})],
      ['migrate', () => svc.migrate('gate-s', h2, {dryRun: false, maxChanges: 0})],
    ] as const) {
      if (op === 'migrate') await svc.bind('gate-s', h1, {dryRun: false})
      const [fp, v] = [storeFingerprint(fx.store.db), version()]
      const e = await rejected(run())
      expect([e.code, e.exitCode], op).toEqual(['LEAF_TOO_MANY_CHANGES', 4])
      expect(e.details.changes).toBeGreaterThan(0)
      expect(e.message).toContain(e.details.leaf)
      expect(e.message).toContain('Nothing was applied.')
      expect(version(), `${op}: no commit`).toBe(v)
      expect(storeFingerprint(fx.store.db)).toBe(fp)
    }
    // Within the gate the same migrate goes through.
    const ok = await svc.migrate('gate-s', h2, {dryRun: false, maxChanges: 50})
    expect(ok.after.host).toBe(h2)
  })
})

describe('sim: a rival change between the plan and the commit', () => {
  it('a migrate whose port moved meanwhile is refused (PORT_CHANGED_CONCURRENTLY, exit 4) and commits nothing', async () => {
    const fx = await buildFabric()
    onTestFinished(() => fx.cleanup())
    const sim = new SimPortService(fx.store)
    const hosts = fx.store.hosts({az: 'az1'}).filter(h => h.role !== 'baremetal')
    const [h1, h2, h3] = [hosts[0]!.name, hosts[1]!.name, hosts.at(-1)!.name]
    await sim.allocate({network: 'prod-a', name: 'race-m', count: 1, host: h1, dryRun: false, failIfExists: false})
    // The rival migrate commits after this one planned (as another process would).
    const engine = (sim as unknown as {hostChangeEngine(): HostChangeEngine}).hostChangeEngine()
    let after = ''
    const racing: HostChangeEngine = {
      ...engine,
      plan: async c => {
        const planned = await engine.plan(c)
        await sim.migrate('race-m', h3, {dryRun: false})
        after = storeFingerprint(fx.store.db)
        return planned
      },
    }
    const e = await rejected(new PortChangeService(racing).migrate('race-m', h2, {dryRun: false}))
    expect([e.code, e.exitCode]).toEqual(['PORT_CHANGED_CONCURRENTLY', 4])
    expect(fx.store.findPorts('race-m')[0]!.host).toBe(h3)
    expect(storeFingerprint(fx.store.db)).toBe(after)
  })
})

describe('sim: release and allocate --host through the one service (the CLI, in-process)', () => {
  /** A fabric, a reader that sees every commit, and an az1 host that carries no suba-prod port (so a change there pushes its leaves). */
  async function fixture() {
    const fx = await buildFabric()
    onTestFinished(() => fx.cleanup())
    const other = new Database(fx.file, {readonly: true})
    onTestFinished(() => void other.close())
    const host = fx.store
      .hosts({az: 'az1'})
      .find(h => h.role !== 'baremetal' && !fx.store.portsOnHost(h.name).some(p => p.network === 'suba-prod'))!.name
    const state = () => ({fp: storeFingerprint(fx.store.db), version: other.pragma('data_version', {simple: true})})
    return {fx, host, state}
  }
  const allocate = (host: string) => ['port', 'allocate', '--network', 'suba-prod', '--name', 'svc-1', '--host', host]
  const release = ['port', 'release', 'svc-1']
  /** The plan's steps: the sim's own IPAM steps, then the backend-neutral ones (plan.ts `changeSteps`). */
  const ids = (plan: {steps: {id: string}[]}) => plan.steps.map(s => s.id)

  it('allocate --host and release: --dry-run writes nothing and prints the plan the real run reports, step for step', async () => {
    const {fx, host, state} = await fixture()
    for (const [op, args] of [
      ['allocate', allocate(host)],
      ['release', release],
    ] as const) {
      const before = state()
      const dry = await fx.cli(...args, '--dry-run', '--json')
      expect(dry.exitCode, dry.stdout).toBeLessThanOrEqual(1)
      expect(state(), `${op} --dry-run committed`).toEqual(before)
      const leaves = dry.json.plan.leaves as string[]
      expect(leaves.length, op).toBeGreaterThan(0)
      expect(ids(dry.json.plan)).toEqual(
        op === 'allocate'
          ? ['store', 'controller', `host-wire:${host}`, ...leaves.map(l => `leaf:${l}`), 'record']
          : [...leaves.map(l => `leaf:${l}`), 'store', 'controller', `host-unwire:${host}`],
      )
      const real = await fx.cli(...args, '--json')
      expect(real.exitCode, real.stdout).toBeLessThanOrEqual(1)
      expect(state().version, `${op} committed`).not.toBe(before.version)
      expect(real.json.plan).toEqual(dry.json.plan)
    }
  })

  it('allocate --host and release: a failure forced at every step leaves the store as before (nothing committed)', async () => {
    const {fx, host, state} = await fixture()
    const matrix: string[] = []
    for (const [op, args, setup] of [
      ['allocate', allocate(host), null],
      ['release', release, allocate(host)],
    ] as const) {
      if (setup) expect((await fx.cli(...setup, '--json')).exitCode).toBeLessThanOrEqual(1)
      const plan = (await fx.cli(...args, '--dry-run', '--json')).json.plan as {steps: {id: string}[]}
      expect(
        plan.steps.some(s => s.id.startsWith('leaf:')),
        op,
      ).toBe(true)
      for (const [k, step] of plan.steps.entries()) {
        const before = state()
        const r = await fx.run([...args, '--json'], {env: {FABRICCTL_FAIL_STEP: `${op}:${step.id}`}})
        expect([r.exitCode, r.json.error?.code], `${op} at ${step.id}`).toEqual([1, 'INJECTED_FAILURE'])
        expect(r.json.error.details.failed.id).toBe(step.id)
        expect(r.json.error.details.applied.map((x: {id: string}) => x.id)).toEqual(ids(plan).slice(0, k))
        expect(r.json.error.details.leftChanged).toEqual([])
        expect(state(), `${op} at ${step.id}`).toEqual(before)
        matrix.push(`${op} × ${step.id}`)
      }
    }
    expect(matrix.length).toBeGreaterThanOrEqual(9)
  })

  it('allocate --host and release beyond --max-changes: exit 4 before anything is applied, nothing committed', async () => {
    const {fx, host, state} = await fixture()
    for (const [op, args, setup] of [
      ['allocate', allocate(host), null],
      ['release', release, allocate(host)],
    ] as const) {
      if (setup) expect((await fx.cli(...setup, '--json')).exitCode).toBeLessThanOrEqual(1)
      const plan = (await fx.cli(...args, '--dry-run', '--json')).json.plan as {leaves: string[]}
      const before = state()
      const r = await fx.cli(...args, '--max-changes', '0', '--json')
      expect([r.exitCode, r.json.error?.code], op).toEqual([4, 'LEAF_TOO_MANY_CHANGES'])
      expect(plan.leaves).toContain(r.json.error.details.leaf)
      expect(r.json.error.details.changes).toBeGreaterThan(0)
      expect(r.json.error.message).toContain('Nothing was applied.')
      expect(state(), op).toEqual(before)
      // The dry run is refused by the same gate.
      expect((await fx.cli(...args, '--max-changes', '0', '--dry-run', '--json')).exitCode).toBe(4)
    }
  })
})

// --- live -------------------------------------------------------------------------------------
/**
 * A leaf stand-in at the leaf seam (no FRR leaf runs in the unit tier): each leaf carries the ports Neutron
 * binds to the hosts cabled to it; a push makes one change per port added or removed, and honours the
 * gates (`--max-changes`, a leaf marked unmanaged refuses as the ownership gate does). It reads the loopback
 * Neutron's ports, with the `assume` of a planned change applied, as the live desired state does.
 */
function standInLeaves(neutron: FakeNeutron, cabling: Record<string, string>) {
  const running = new Map<string, string[]>()
  const pushes: {leaf: string; dryRun: boolean; assume: PortAssumption[]}[] = []
  const unmanaged = new Set<string>()
  const desired = (leaf: string, assume: readonly PortAssumption[]) => {
    const a = new Map(assume.map(x => [x.portId, x.host]))
    // Ports the change will create are assumed with their network (not yet in Neutron).
    const planned = assume
      .filter(x => x.networkId && !neutron.ports.has(x.portId))
      .map(x => ({id: x.portId, 'binding:host_id': ''}))
    return [...neutron.ports.values(), ...planned]
      .filter(p => {
        const host = a.has(p.id) ? a.get(p.id) : p['binding:host_id']
        return host ? cabling[host] === leaf : false
      })
      .map(p => p.id)
      .sort()
  }
  const service = (assume: readonly PortAssumption[]): LeafService =>
    ({
      async push(leaf: string, o: PushOptions): Promise<PushResult> {
        pushes.push({leaf, dryRun: Boolean(o.dryRun), assume: [...assume]})
        const want = desired(leaf, assume)
        const cur = running.get(leaf) ?? []
        const changes = [
          ...want.filter(x => !cur.includes(x)).map(id => ({op: 'add-port', id})),
          ...cur.filter(x => !want.includes(x)).map(id => ({op: 'remove-port', id})),
        ] as unknown as LeafChange[]
        const base = {leaf, driver: 'stand-in', changes, summary: [], plan: [], inverse: [], checks: [], durationMs: 0}
        if (unmanaged.has(leaf) && changes.length > 0)
          return {
            ...base,
            status: 'refused',
            error: {code: 'LEAF_UNMANAGED', message: `Leaf ${leaf} carries the VLAN by hand.`, hint: 'Adopt it.'},
          }
        if (o.dryRun) return {...base, status: changes.length ? 'planned' : 'unchanged'}
        if (o.maxChanges !== undefined && changes.length > o.maxChanges && !o.force)
          return {...base, status: 'refused', error: {code: 'LEAF_TOO_MANY_CHANGES', message: 'too many'}}
        running.set(leaf, want)
        return {...base, status: changes.length ? 'applied' : 'unchanged'}
      },
      close() {},
    }) as unknown as LeafService
  const registry = (ipam: () => Ipam): LeafDriverRegistry => ({
    serialPush: false,
    desiredSource: 'neutron+inventory',
    recordedRunning: async () => null,
    open: async () => expect.unreachable('the port paths open no driver'),
    service: async (o = {}) => service(o.assume ?? []),
    leavesOfHost: async host => (cabling[host] ? [cabling[host]] : []),
    recordOverlay: async (id, overlay) => (await ipam().recordOverlay(id, overlay)).value,
  })
  return {running, pushes, unmanaged, registry}
}

let neutron: FakeNeutron
beforeAll(async () => {
  neutron = await startFakeNeutron({extensions: ['binding', 'standard-attr-tag', 'revision-if-match']})
  neutron.networks.push({id: 'n1', name: 'net-a', tags: [], subnets: ['s1'], availability_zone_hints: ['az1']})
  neutron.subnets.push({id: 's1', network_id: 'n1', cidr: '10.9.0.0/24', gateway_ip: '10.9.0.1', ip_version: 4})
})
afterAll(() => neutron.close())

let ctxN = 0
/** A live port service over the loopback Neutron, hosts h1 and h2 cabled to leaf-a and leaf-b. */
function liveWithLeaves() {
  const cabling = {h1: 'leaf-a', h2: 'leaf-b'}
  const leaves = standInLeaves(neutron, cabling)
  const context = neutron.ctx(`svc-${++ctxN}`) as LiveContext
  for (const h of context.inventory.hosts) h.nics = [{leaf: cabling[h.name as 'h1'], interface: 'swp1'} as never]
  const ipam: LiveIpam = new LiveIpam(context, () => leafDrivers)
  const leafDrivers = leaves.registry(() => ipam)
  const svc = new LivePortService({context, ipam, leafDrivers})
  return {svc, leaves}
}
const writes = (from: number) => neutron.calls.slice(from).filter(c => c.method !== 'GET')

describe('live: the leaf gates are evaluated on the plan, before Neutron is written', () => {
  for (const op of ['bind', 'migrate'] as const) {
    it(`${op} beyond --max-changes: exit 4 naming the leaf, Neutron received no PUT/POST/DELETE, no leaf pushed`, async () => {
      const p = neutron.addPort({
        name: `gate-${op}`,
        network_id: 'n1',
        ip: op === 'bind' ? '10.9.0.50' : '10.9.0.51',
        ...(op === 'migrate' ? {'binding:host_id': 'h1'} : {}),
      })
      onTestFinished(() => void neutron.ports.delete(p.id))
      const {svc, leaves} = liveWithLeaves()
      if (op === 'migrate') leaves.running.set('leaf-a', [p.id])
      const run = (maxChanges: number) =>
        op === 'bind'
          ? svc.bind(p.name, 'h2', {dryRun: false, maxChanges})
          : svc.migrate(p.name, 'h2', {dryRun: false, maxChanges})
      const mark = neutron.calls.length
      const e = await rejected(run(0))
      expect([e.code, e.exitCode]).toEqual(['LEAF_TOO_MANY_CHANGES', 4])
      expect(['leaf-a', 'leaf-b']).toContain(e.details.leaf)
      expect(e.details).toMatchObject({changes: 1, maxChanges: 0})
      expect(e.message).toContain('Nothing was applied.')
      expect(writes(mark)).toEqual([])
      // Only dry-run pushes, each with the port assumed on the new host.
      expect(leaves.pushes.length).toBeGreaterThan(0)
      expect(leaves.pushes.every(x => x.dryRun && x.assume[0]?.portId === p.id && x.assume[0].host === 'h2')).toBe(true)
      expect(neutron.ports.get(p.id)!['binding:host_id']).toBe(op === 'bind' ? '' : 'h1')
      // Within the gate it goes through: Neutron bound, the new host's leaf carries the port, the old one's not.
      const ok = await run(1)
      expect(ok.port.host).toBe('h2')
      expect(leaves.running.get('leaf-b')).toEqual([p.id])
      expect(leaves.running.get('leaf-a') ?? []).toEqual([])
    })
  }

  it('the ownership gate (LEAF_UNMANAGED) refuses a bind before Neutron is written, whatever --max-changes says', async () => {
    const p = neutron.addPort({name: 'own-1', network_id: 'n1', ip: '10.9.0.52'})
    onTestFinished(() => void neutron.ports.delete(p.id))
    const {svc, leaves} = liveWithLeaves()
    leaves.unmanaged.add('leaf-b')
    const mark = neutron.calls.length
    const e = await rejected(svc.bind('own-1', 'h2', {dryRun: false}))
    expect([e.code, e.exitCode, e.details.leaf]).toEqual(['LEAF_UNMANAGED', 4, 'leaf-b'])
    expect(writes(mark)).toEqual([])
    expect(leaves.pushes.every(x => x.dryRun)).toBe(true)
  })

  it('a dry run prints the plan, changes nothing, and is refused by the same gates', async () => {
    const p = neutron.addPort({name: 'dry-1', network_id: 'n1', ip: '10.9.0.53', 'binding:host_id': 'h1'})
    onTestFinished(() => void neutron.ports.delete(p.id))
    const {svc} = liveWithLeaves()
    const mark = neutron.calls.length
    const dry = await svc.migrate('dry-1', 'h2', {dryRun: true})
    expect(dry.plan!.leaves.sort()).toEqual(['leaf-a', 'leaf-b'])
    const e = await rejected(svc.migrate('dry-1', 'h2', {dryRun: true, maxChanges: 0}))
    expect(e.code).toBe('LEAF_TOO_MANY_CHANGES')
    expect(writes(mark)).toEqual([])
  })
})

describe('live: release, whose delete cannot be undone, is gated before the delete', () => {
  it('beyond --max-changes: exit 4 naming the leaf, no DELETE, the port and its leaf as before', async () => {
    const p = neutron.addPort({name: 'rel-gate', network_id: 'n1', ip: '10.9.0.55', 'binding:host_id': 'h1'})
    onTestFinished(() => void neutron.ports.delete(p.id))
    const {svc, leaves} = liveWithLeaves()
    leaves.running.set('leaf-a', [p.id])
    const mark = neutron.calls.length
    // The dry run prints the plan the real run executes, and calls no mutating Neutron endpoint.
    const dry = await svc.release(['rel-gate'], {dryRun: true, maxChanges: 1})
    // The leaves first (without the port), the DELETE that cannot be undone after them.
    expect(dry.plan!.steps.map(s => s.id)).toEqual(['leaf:leaf-a', 'neutron-delete', 'host-unwire:h1'])
    expect(writes(mark)).toEqual([])
    const e = await rejected(svc.release(['rel-gate'], {dryRun: false, maxChanges: 0}))
    expect([e.code, e.exitCode, e.details.leaf, e.details.changes]).toEqual(['LEAF_TOO_MANY_CHANGES', 4, 'leaf-a', 1])
    expect(writes(mark)).toEqual([])
    expect(neutron.ports.has(p.id)).toBe(true)
    expect(leaves.running.get('leaf-a')).toEqual([p.id])
    expect(leaves.pushes.every(x => x.dryRun && x.assume[0]?.host === null)).toBe(true)
    // Within the gate: deleted, and the leaf lost it.
    const real = await svc.release(['rel-gate'], {dryRun: false, maxChanges: 1})
    expect(real.plan).toEqual(dry.plan)
    expect(real.leaves).toEqual([{leaf: 'leaf-a', side: 'old', ok: true, changed: true}])
    expect(neutron.ports.has(p.id)).toBe(false)
    expect(leaves.running.get('leaf-a')).toEqual([])
  })

  it('the DELETE failing after the leaves were pushed: the leaves are pushed back, the port kept, nothing changed', async () => {
    const p = neutron.addPort({name: 'rel-undo', network_id: 'n1', ip: '10.9.0.56', 'binding:host_id': 'h1'})
    onTestFinished(() => void neutron.ports.delete(p.id))
    const {svc, leaves} = liveWithLeaves()
    leaves.running.set('leaf-a', [p.id])
    const mark = neutron.calls.length
    process.env.FABRICCTL_FAIL_STEP = 'release:neutron-delete'
    const e = await rejected(svc.release(['rel-undo'], {dryRun: false}))
    expect([e.exitCode, e.details.failed.id]).toEqual([1, 'neutron-delete'])
    expect(e.details.applied.map((x: {id: string}) => x.id)).toEqual(['leaf:leaf-a'])
    expect(e.details.compensated.map((x: {id: string}) => x.id)).toEqual(['leaf:leaf-a'])
    expect(e.details.leftChanged).toEqual([])
    expect(e.message).toContain('nothing changed')
    expect(writes(mark)).toEqual([])
    expect(neutron.ports.has(p.id)).toBe(true)
    // Pushed without the port, then back with it, as Neutron still holds it.
    expect(leaves.pushes.filter(x => !x.dryRun).map(x => x.assume.map(a => a.host))).toEqual([[null], []])
    expect(leaves.running.get('leaf-a')).toEqual([p.id])
  })

  it('Neutron refusing some DELETEs: exit 3 naming them, the leaves pushed back to what Neutron still holds', async () => {
    const p1 = neutron.addPort({name: 'rel-p1', network_id: 'n1', ip: '10.9.0.57', 'binding:host_id': 'h1'})
    const p2 = neutron.addPort({name: 'rel-p2', network_id: 'n1', ip: '10.9.0.58', 'binding:host_id': 'h1'})
    onTestFinished(() => void (neutron.ports.delete(p1.id), neutron.ports.delete(p2.id)))
    const {svc, leaves} = liveWithLeaves()
    leaves.running.set('leaf-a', [p1.id, p2.id])
    neutron.fail = (method, url) =>
      method === 'DELETE' && url.includes(p2.id) ? [403, 'PolicyNotAuthorized'] : undefined
    const e = await rejected(svc.release(['rel-p1', 'rel-p2'], {dryRun: false}))
    expect([e.code, e.exitCode, e.details.notReleased, e.details.failed.id]).toEqual([
      'RELEASE_PARTIAL',
      3,
      [p2.id],
      'neutron-delete',
    ])
    expect(e.details.compensated.map((x: {id: string}) => x.id)).toEqual(['leaf:leaf-a'])
    expect([neutron.ports.has(p1.id), neutron.ports.has(p2.id)]).toEqual([false, true])
    expect(leaves.running.get('leaf-a')).toEqual([p2.id])
    // Every DELETE refused is no partial change: exit 1, the leaf as before.
    neutron.fail = (method, url) =>
      method === 'DELETE' && url.includes(p2.id) ? [403, 'PolicyNotAuthorized'] : undefined
    const none = await rejected(svc.release(['rel-p2'], {dryRun: false}))
    expect([none.code, none.exitCode]).toEqual(['NEUTRON_DELETE_FAILED', 1])
    expect(none.message).toContain('nothing changed')
    expect(leaves.running.get('leaf-a')).toEqual([p2.id])
  })

  it('one wording for a missing port on both backends (PORT_NOT_FOUND, nothing released)', async () => {
    const fx = await buildFabric()
    onTestFinished(() => fx.cleanup())
    const sim = await rejected(new SimPortService(fx.store).release(['no-such-port'], {dryRun: false}))
    const {svc} = liveWithLeaves()
    const live = await rejected(svc.release(['no-such-port'], {dryRun: false}))
    expect([live.code, live.exitCode, live.message, live.hint]).toEqual([sim.code, sim.exitCode, sim.message, sim.hint])
  })
})

describe('live: allocate --host is gated before the POST', () => {
  it('beyond --max-changes: exit 4 naming the leaf, no POST; within it the batch is created bound and its leaf pushed', async () => {
    const {svc, leaves} = liveWithLeaves()
    neutron.availability.set('n1', {used: 10, total: 253})
    onTestFinished(() => void neutron.availability.delete('n1'))
    const mark = neutron.calls.length
    const req = {network: 'net-a', name: 'alloc-gate', count: 1, host: 'h2', failIfExists: false, dryRun: false}
    const e = await rejected(svc.allocate({...req, maxChanges: 0}))
    expect([e.code, e.exitCode, e.details.leaf, e.details.changes]).toEqual(['LEAF_TOO_MANY_CHANGES', 4, 'leaf-b', 1])
    expect(writes(mark)).toEqual([])
    expect([...neutron.ports.values()].some(p => p.name === 'alloc-gate')).toBe(false)
    expect(leaves.pushes.every(x => x.dryRun && x.assume[0]?.networkId === 'n1' && x.assume[0].host === 'h2')).toBe(
      true,
    )
    onTestFinished(() => {
      for (const p of neutron.ports.values()) if (p.name === 'alloc-gate') neutron.ports.delete(p.id)
    })
    const ok = await svc.allocate({...req, maxChanges: 1})
    const id = ok.ports[0]!.id!
    expect(neutron.ports.get(id)!['binding:host_id']).toBe('h2')
    expect(leaves.running.get('leaf-b')).toEqual([id])
  })
})

describe('live: allocate --host as a plan', () => {
  it('the dry run prints the plan the real run executes; a failure at each step leaves Neutron and the leaves as before', async () => {
    const {svc, leaves} = liveWithLeaves()
    neutron.availability.set('n1', {used: 10, total: 253})
    const mine = () => [...neutron.ports.values()].filter(p => p.name === 'alloc-plan')
    onTestFinished(() => {
      neutron.availability.delete('n1')
      for (const p of mine()) neutron.ports.delete(p.id)
    })
    const req = {network: 'net-a', name: 'alloc-plan', count: 1, host: 'h2', failIfExists: false}
    const mark = neutron.calls.length
    const dry = await svc.allocate({...req, dryRun: true})
    // A dry run calls no mutating Neutron endpoint, and pushes the leaves only as dry runs.
    expect(writes(mark)).toEqual([])
    expect(leaves.pushes.every(x => x.dryRun)).toBe(true)
    expect(dry.plan!.steps.map(s => s.id)).toEqual(['neutron-create', 'host-wire:h2', 'leaf:leaf-b', 'record'])
    const carried = () => ['leaf-a', 'leaf-b'].map(l => leaves.running.get(l) ?? [])
    const before = carried()
    for (const [k, step] of dry.plan!.steps.entries()) {
      process.env.FABRICCTL_FAIL_STEP = `allocate:${step.id}`
      const e = await rejected(svc.allocate({...req, dryRun: false}))
      expect([e.code, e.exitCode], step.id).toEqual(['INJECTED_FAILURE', 1])
      expect(e.details.compensated).toHaveLength(dry.plan!.steps.slice(0, k).filter(s => s.undo !== null).length)
      expect(mine(), `allocate at ${step.id}`).toEqual([])
      expect(carried(), `allocate at ${step.id}`).toEqual(before)
    }
    delete process.env.FABRICCTL_FAIL_STEP
    const real = await svc.allocate({...req, dryRun: false})
    expect(real.plan).toEqual(dry.plan)
    expect(leaves.running.get('leaf-b')).toEqual([real.ports[0]!.id])
  })
})

describe('the plan of a port change: the backend-neutral steps are the same on both backends', () => {
  it("allocate --host and release: after the backend's own IPAM steps, the same ids, kinds and wording", async () => {
    const fx = await buildFabric()
    onTestFinished(() => fx.cleanup())
    const sim = new SimPortService(fx.store)
    const simHost = fx.store.hosts({az: 'az1'}).find(h => h.role !== 'baremetal')!.name
    const {svc: live} = liveWithLeaves()
    neutron.availability.set('n1', {used: 10, total: 253})
    onTestFinished(() => void neutron.availability.delete('n1'))
    const p = neutron.addPort({name: 'neutral-rel', network_id: 'n1', ip: '10.9.0.56', 'binding:host_id': 'h1'})
    onTestFinished(() => void neutron.ports.delete(p.id))
    await sim.allocate({
      network: 'prod-a',
      name: 'neutral-rel',
      count: 1,
      host: simHost,
      dryRun: false,
      failIfExists: false,
    })
    const alloc = {count: 1, failIfExists: false, dryRun: true, name: 'neutral-new'}
    const pairs = [
      [
        (await sim.allocate({...alloc, network: 'prod-a', host: simHost})).plan!,
        (await live.allocate({...alloc, network: 'net-a', host: 'h2'})).plan!,
      ],
      [
        (await sim.release(['neutral-rel'], {dryRun: true})).plan!,
        (await live.release(['neutral-rel'], {dryRun: true})).plan!,
      ],
    ]
    const ipamKinds = new Set(['neutron', 'store', 'controller'])
    // Names of hosts and leaves differ by fabric; nothing else may.
    const neutral = (plan: PortPlan) => {
      const anon = (x: string) => {
        for (const l of [...plan.leaves].sort((a, b) => b.length - a.length)) x = x.replaceAll(l, 'LEAF')
        return x.replace(/(host-(?:un)?wire:|agent on )\S+/g, (_, k: string) => `${k}HOST`)
      }
      const steps = plan.steps
        .filter(st => !ipamKinds.has(st.kind))
        .map(st => JSON.stringify({id: anon(st.id), kind: st.kind, action: anon(st.action)}))
      // Each fabric pushes its own number of leaves: compare the distinct steps, in order.
      return steps.filter((x, i) => i === 0 || x !== steps[i - 1])
    }
    for (const [a, b] of pairs) {
      expect(neutral(a).length, a.operation).toBeGreaterThan(1)
      expect(neutral(b), a.operation).toEqual(neutral(a))
    }
  })
})

describe('allocate: the request checks say the same on both backends', () => {
  it('LABEL_NOT_FOUND, IP_NOT_IN_NETWORKS, IP_RESERVED: same code, exit code and hint', async () => {
    const fx = await buildFabric()
    onTestFinished(() => fx.cleanup())
    const sim = new SimPortService(fx.store)
    const {svc: live} = liveWithLeaves()
    const simNet = fx.store.network('prod-a')!
    const base = {count: 1, failIfExists: false, dryRun: true}
    const cases = [
      [
        {...base, label: 'nope-env'},
        {...base, label: 'nope-env'},
      ],
      [
        {...base, network: 'prod-a', ip: '192.0.2.7'},
        {...base, network: 'net-a', ip: '192.0.2.7'},
      ],
      [
        {...base, network: 'prod-a', ip: simNet.gateway},
        {...base, network: 'net-a', ip: '10.9.0.1'},
      ],
    ] as const
    for (const [s, l] of cases) {
      const a = await rejected(sim.allocate(s))
      const b = await rejected(live.allocate(l))
      // The hint's list of the labels there are differs by fabric; its wording does not.
      const wording = (h: string | undefined) => h?.replace(/^Labels: [^.]*\./, 'Labels: …')
      expect([b.code, b.exitCode, wording(b.hint)], a.code).toEqual([a.code, 2, wording(a.hint)])
      if (a.code === 'LABEL_NOT_FOUND') expect(b.message).toBe(a.message)
    }
  })
})

describe('live: the desired state of a planned change (LiveDesiredState.load with assume)', () => {
  it('reads a port as bound where the change puts it, and a port to be created on its network', async () => {
    neutron.networks.push({
      id: 'nv',
      name: 'net-v',
      tags: [],
      subnets: ['sv'],
      availability_zone_hints: ['az1'],
      'provider:network_type': 'vlan',
      'provider:segmentation_id': 120,
    } as never)
    neutron.subnets.push({id: 'sv', network_id: 'nv', cidr: '10.12.0.0/24', gateway_ip: '10.12.0.1', ip_version: 4})
    onTestFinished(() => {
      neutron.networks.splice(
        neutron.networks.findIndex(n => n.id === 'nv'),
        1,
      )
      neutron.subnets.splice(
        neutron.subnets.findIndex(n => n.id === 'sv'),
        1,
      )
    })
    const p = neutron.addPort({name: 'assume-1', network_id: 'nv', ip: '10.12.0.5', 'binding:host_id': 'h1'})
    onTestFinished(() => void neutron.ports.delete(p.id))
    const context = neutron.ctx('assume') as LiveContext
    context.inventory.hosts[0]!.nics = [{leaf: 'leaf-a', interface: 'swp1'} as never]
    context.inventory.hosts[1]!.nics = [{leaf: 'leaf-b', interface: 'swp2'} as never]
    context.overlay = {vniBase: 10_000, routeTargetAsn: 65_000} as never
    const vlans = (st: LiveDesiredState, leaf: string) =>
      Object.values(st.desired(leaf, '00:00:5e:00:01:01').interfaces).flatMap(i => i.vlans)
    const now = await LiveDesiredState.load(context)
    expect([vlans(now, 'leaf-a'), vlans(now, 'leaf-b')]).toEqual([[120], []])
    const moved = await LiveDesiredState.load(context, [{portId: p.id, host: 'h2'}])
    expect([vlans(moved, 'leaf-a'), vlans(moved, 'leaf-b')]).toEqual([[], [120]])
    const gone = await LiveDesiredState.load(context, [{portId: p.id, host: null}])
    expect(vlans(gone, 'leaf-a')).toEqual([])
    const created = await LiveDesiredState.load(context, [{portId: 'planned:nv', host: 'h2', networkId: 'nv'}])
    expect([vlans(created, 'leaf-a'), vlans(created, 'leaf-b')]).toEqual([[120], [120]])
  })
})

describe('live: a failure forced at each step of a migrate with leaves: Neutron and the leaves = before, or = the report', () => {
  it('each step, then a failed undo (exit 3)', async () => {
    const p = neutron.addPort({
      name: 'inj-leaves',
      network_id: 'n1',
      ip: '10.9.0.54',
      'binding:host_id': 'h1',
      tags: ['fabricctl-overlay:ACTIVE'],
    })
    onTestFinished(() => void neutron.ports.delete(p.id))
    const {svc, leaves} = liveWithLeaves()
    leaves.running.set('leaf-a', [p.id])
    const state = () => ({
      host: neutron.ports.get(p.id)!['binding:host_id'],
      tags: [...neutron.ports.get(p.id)!.tags].sort(),
      leafA: leaves.running.get('leaf-a') ?? [],
      leafB: leaves.running.get('leaf-b') ?? [],
    })
    const before = state()
    const dry = await svc.migrate(p.name, 'h2', {dryRun: true})
    const steps = dry.plan!.steps.map(s => s.id)
    const matrix: string[] = []
    for (const id of steps) {
      process.env.FABRICCTL_FAIL_STEP = `migrate:${id}`
      const e = await rejected(svc.migrate(p.name, 'h2', {dryRun: false}))
      expect([e.code, e.exitCode], id).toEqual(['INJECTED_FAILURE', 1])
      expect(e.details.leftChanged).toEqual([])
      expect(state(), `migrate at ${id}`).toEqual(before)
      matrix.push(`migrate × ${id}: Neutron and leaves as before`)
    }
    expect(steps).toEqual(['neutron-bind', 'host-unwire:h1', 'host-wire:h2', 'leaf:leaf-b', 'leaf:leaf-a', 'record'])
    // The undo of the old host's leaf fails after the record step failed: exit 3, and what is left is exactly the report.
    process.env.FABRICCTL_FAIL_STEP = 'migrate:record'
    process.env.FABRICCTL_FAIL_UNDO = 'migrate:leaf:leaf-a'
    const e = await rejected(svc.migrate(p.name, 'h2', {dryRun: false}))
    expect([e.code, e.exitCode]).toEqual(['PORT_OPERATION_PARTIAL', 3])
    expect(e.details.leftChanged.map((s: {id: string}) => s.id)).toEqual(['leaf:leaf-a', 'leaf:leaf-b', 'neutron-bind'])
    // Reported left changed: the binding on h2 and the leaves pushed for it.
    expect(state()).toEqual({...before, host: 'h2', leafA: [], leafB: [p.id]})
  })
})
