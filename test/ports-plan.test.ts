import {afterAll, beforeAll, describe, expect, it, onTestFinished} from 'vitest'

import {livePlanes} from '../src/lib/diagnose/states.js'
import type {NPort} from '../src/lib/live/neutron/api.js'
import {basisOf, sameBasis} from '../src/lib/live/neutron/basis.js'
import {type ExecStep, executePlan} from '../src/lib/ports/plan.js'
import {runCliProcess} from './helpers/cli.js'
import {buildFabric} from './helpers/fabric-builder.js'
import {livePortService} from './helpers/live-port-service.js'
import {clearFailureHooksAfterEach, rejected} from './helpers/port-plan.js'
import {type FakeNeutron, startFakeNeutron} from './helpers/fake-neutron.js'
import {assertMatchesSchema} from './helpers/schema.js'
import {storeFingerprint} from './helpers/store-fingerprint.js'

/**
 * Issue 12: port changes as plans (dry run = plan, compensation at every step, the overlay recorded
 * where the deployment allows, conditional updates). Sim through the CLI; live against a small
 * Neutron on loopback (test/helpers/fake-neutron.ts) shaped as the deployments the lab does not have.
 */

clearFailureHooksAfterEach()

// --- sim --------------------------------------------------------------------------------------
describe('sim: the plan and failure injection at every step', () => {
  const fingerprint = (fx: Awaited<ReturnType<typeof buildFabric>>) => storeFingerprint(fx.store.db)

  it('dry run prints the plan the real run executes (bind, migrate, release, allocate --host)', async () => {
    const fx = await buildFabric()
    onTestFinished(() => fx.cleanup())
    const hosts = fx.store.hosts({az: 'az1'}).filter(h => h.role !== 'baremetal')
    const [h1, h2] = [hosts[0]!.name, hosts.at(-1)!.name]
    const cases: [string, string[]][] = [
      ['PortAllocation', ['port', 'allocate', '--network', 'prod-a', '--name', 'plan-1', '--host', h1]],
      ['PortMigration', ['port', 'migrate', 'plan-1', '--to-host', h2]],
      ['PortBinding', ['port', 'bind', 'plan-1', '--host', h2]],
      ['PortRelease', ['port', 'release', 'plan-1']],
    ]
    for (const [kind, args] of cases) {
      const before = fingerprint(fx)
      const dry = await fx.cli(...args, '--dry-run', '--json')
      expect(dry.json.kind).toBe(kind)
      assertMatchesSchema(dry.json)
      expect(fingerprint(fx)).toBe(before)
      const real = await fx.cli(...args, '--json')
      assertMatchesSchema(real.json)
      expect(dry.json.plan.steps.length).toBeGreaterThan(2)
      expect(real.json.plan).toEqual(dry.json.plan)
      if (kind === 'PortMigration') expect(dry.json.plan.leaves.length).toBeGreaterThan(0)
    }
  })

  const ops = (h1: string, h2: string): [string, string[], string[]][] => [
    // [operation, setup args, the operation's args]
    ['bind', ['port', 'allocate', '--network', 'prod-a', '--name', 'inj-1'], ['port', 'bind', 'inj-1', '--host', h1]],
    [
      'migrate',
      ['port', 'allocate', '--network', 'prod-a', '--name', 'inj-1', '--host', h1],
      ['port', 'migrate', 'inj-1', '--to-host', h2],
    ],
    [
      'release',
      ['port', 'allocate', '--network', 'prod-a', '--name', 'inj-1', '--host', h1],
      ['port', 'release', 'inj-1'],
    ],
    ['allocate', ['ipam', 'usage'], ['port', 'allocate', '--network', 'prod-a', '--name', 'inj-1', '--host', h1]],
  ]

  it('a failure forced at each step of bind, migrate, release and allocate --host leaves the store as before', async () => {
    const fx = await buildFabric()
    onTestFinished(() => fx.cleanup())
    const hosts = fx.store.hosts({az: 'az1'}).filter(h => h.role !== 'baremetal')
    const [h1, h2] = [hosts[0]!.name, hosts.at(-1)!.name]
    const matrix: string[] = []
    for (const [op, setup, args] of ops(h1, h2)) {
      const s = await fx.cli(...setup, '--json')
      expect(s.exitCode).toBe(0)
      const plan = (await fx.cli(...args, '--dry-run', '--json')).json.plan
      expect(plan.steps.length).toBeGreaterThan(3)
      for (const [k, step] of (plan.steps as {id: string}[]).entries()) {
        const before = fingerprint(fx)
        const r = await fx.run([...args, '--json'], {env: {FABRICCTL_FAIL_STEP: `${op}:${step.id}`}})
        if (/^fence-(unwire|leaves)/.test(step.id)) {
          // Drift fencing after the move: it cannot undo the move, so a failure there says exactly that (exit 3).
          expect(r.exitCode, `${op} at ${step.id}`).toBe(3)
          expect(r.json.after.host).toBe(h2)
          expect(r.json.fence.codes).toContain('FENCE_STEP_FAILED')
          expect(JSON.stringify(r.json.fence)).toContain(`step ${step.id} failed after the move`)
          matrix.push(`${op} × ${step.id}: moved, exit 3 saying so`)
          await fx.cli('port', 'migrate', 'inj-1', '--to-host', h1, '--json')
          continue
        }
        expect(r.exitCode, `${op} at ${step.id}`).toBe(1)
        expect(r.json.error.code).toBe('INJECTED_FAILURE')
        expect(r.json.error.details.failed.id).toBe(step.id)
        // Every applied step with an undo is undone (a read, e.g. migrate's fence-read, has none).
        expect(r.json.error.details.compensated).toHaveLength(
          (plan.steps as {undo: string | null}[]).slice(0, k).filter(x => x.undo !== null).length,
        )
        expect(r.json.error.details.applied.map((x: {id: string}) => x.id)).toEqual(
          (plan.steps as {id: string}[]).slice(0, k).map(x => x.id),
        )
        expect(r.json.error.details.leftChanged).toEqual([])
        expect(fingerprint(fx), `${op} at ${step.id}`).toBe(before)
        matrix.push(`${op} × ${step.id}: store as before`)
      }
      // clean up for the next operation
      await fx.cli('port', 'release', 'inj-1', '--json')
    }
    expect(matrix.length).toBeGreaterThan(16)
  })

  it('--max-changes gates the leaf pushes inside a port operation: refused (exit 4) naming the leaf and the count, nothing applied', async () => {
    const fx = await buildFabric()
    onTestFinished(() => fx.cleanup())
    // A host with no suba-prod port: binding one there must add the VLAN (and maybe the VNI) on its leaves.
    const host = fx.store
      .hosts({az: 'az1'})
      .find(h => h.role !== 'baremetal' && !fx.store.portsOnHost(h.name).some(p => p.network === 'suba-prod'))!.name
    expect((await fx.cli('port', 'allocate', '--network', 'suba-prod', '--name', 'gate-1', '--json')).exitCode).toBe(0)
    const before = fingerprint(fx)
    const dry = await fx.cli('port', 'bind', 'gate-1', '--host', host, '--dry-run', '--json')
    expect(dry.json.plan.leaves.length).toBeGreaterThan(0)
    const r = await fx.cli('port', 'bind', 'gate-1', '--host', host, '--max-changes', '0', '--json')
    expect(r.exitCode).toBe(4)
    expect(r.json.error.code).toBe('LEAF_TOO_MANY_CHANGES')
    expect(dry.json.plan.leaves).toContain(r.json.error.details.leaf)
    expect(r.json.error.details.changes).toBeGreaterThan(0)
    expect(r.json.error.message).toContain(r.json.error.details.leaf)
    expect(fingerprint(fx)).toBe(before)
    // Within the gate it goes through.
    const ok = await fx.cli('port', 'bind', 'gate-1', '--host', host, '--max-changes', '50', '--json')
    expect([0, 1]).toContain(ok.exitCode)
    expect(ok.json.port.host).toBe(host)
  })

  it('two binds of the same port to different hosts: one wins, the other is refused, no leaf has both', async () => {
    const fx = await buildFabric()
    onTestFinished(() => fx.cleanup())
    const hosts = fx.store.hosts({az: 'az1'}).filter(h => h.role !== 'baremetal')
    const [h1, h2] = [hosts[0]!.name, hosts.at(-1)!.name]
    expect((await fx.cli('port', 'allocate', '--network', 'prod-a', '--name', 'race-1', '--json')).exitCode).toBe(0)
    // Two real processes at once (in-process runs are serialised).
    const rs = await Promise.all(
      [h1, h2].map(h =>
        runCliProcess(['port', 'bind', 'race-1', '--host', h, '--json'], {home: fx.home, timeoutMs: 120_000}),
      ),
    )
    const won = rs.filter(r => r.exitCode === 0 || r.exitCode === 1)
    const refused = rs.filter(r => r.json?.error?.code === 'PORT_BOUND_ELSEWHERE')
    expect([won.length, refused.length]).toEqual([1, 1])
    const winner = won[0]!.json.host as string
    const loser = winner === h1 ? h2 : h1
    expect(
      fx.store.db
        .prepare('SELECT o.host FROM ovs_ports o JOIN ports p ON p.id = o.port_id WHERE p.name = ?')
        .all('race-1'),
    ).toEqual([{host: winner}])
    // The loser's leaf interfaces carry the port's network only if another prod-a port was already on that host.
    const vlan = fx.store.network('prod-a')!.vlan
    const carries = (h: string) =>
      fx.store.controllerHostMap(h).some(m => {
        const row = fx.store.db.prepare('SELECT running FROM leaf_configs WHERE leaf = ?').get(m.leaf) as {
          running: string
        }
        return ((JSON.parse(row.running).interfaces?.[m.interface]?.vlans ?? []) as number[]).includes(vlan)
      })
    expect(carries(winner)).toBe(true)
    expect(carries(loser)).toBe(fx.store.portsOnHost(loser).some(p => p.network === 'prod-a'))
  })
})

// --- live -------------------------------------------------------------------------------------
let neutron: FakeNeutron
beforeAll(async () => {
  neutron = await startFakeNeutron()
  neutron.networks.push({id: 'n1', name: 'net-a', tags: [], subnets: ['s1'], availability_zone_hints: ['az1']})
  neutron.subnets.push({id: 's1', network_id: 'n1', cidr: '10.9.0.0/24', gateway_ip: '10.9.0.1', ip_version: 4})
})
afterAll(() => neutron.close())

let ctxN = 0
/** A fresh context name per call: the extensions cache is per endpoint, so reset it by shape. */
const live = () => livePortService(neutron.ctx(`fake-${++ctxN}`))
const snapshot = (id: string) => {
  const p = neutron.ports.get(id)!
  return {host: p['binding:host_id'], tags: [...p.tags].sort(), dps: p.data_plane_status ?? null}
}

describe('live: the overlay recorded where the deployment allows', () => {
  it('without data_plane_status but with standard-attr-tag: bind records a port tag, and show/states agree', async () => {
    neutron.extensions = new Set(['binding', 'standard-attr-tag', 'revision-if-match'])
    const p = neutron.addPort({name: 'tag-1', network_id: 'n1', ip: '10.9.0.10'})
    onTestFinished(() => void neutron.ports.delete(p.id))
    const svc = live()
    const r = await svc.bind('tag-1', 'h1', {dryRun: false})
    // No PUT carried data_plane_status (Neutron would answer 400 Unrecognized attribute).
    expect(
      neutron.calls.filter(c => c.method === 'PUT' && JSON.stringify(c.body ?? {}).includes('data_plane_status')),
    ).toEqual([])
    // h1 is cabled to no leaf in this inventory: the overlay is ERROR, recorded as DOWN in the tag.
    expect(neutron.ports.get(p.id)!.tags).toEqual(['fabricctl-overlay:DOWN'])
    const show = await svc.show('tag-1')
    expect(show.overlayRecord).toBe('port-tag')
    const states = livePlanes(neutron.ports.get(p.id)!)
    expect(show.port.state).toBe(`${states.underlay}_${states.overlay}`)
    expect(r.port.state).toBe(show.port.state)
    expect(r.reasons.join(' ')).toContain('port tag')
  })

  it('without either extension: nothing is written for the overlay and show says so', async () => {
    neutron.extensions = new Set(['binding'])
    const p = neutron.addPort({name: 'none-1', network_id: 'n1', ip: '10.9.0.11'})
    onTestFinished(() => void neutron.ports.delete(p.id))
    const svc = live()
    await svc.bind('none-1', 'h1', {dryRun: false})
    expect(snapshot(p.id)).toEqual({host: 'h1', tags: [], dps: null})
    const show = await svc.show('none-1')
    expect(show.overlayRecord).toBe('none')
    expect(show.port.overlay).toBe('BUILD')
    const states = livePlanes(neutron.ports.get(p.id)!)
    expect(show.port.state).toBe(`${states.underlay}_${states.overlay}`)
  })

  it('with data_plane_status: the overlay goes there', async () => {
    neutron.extensions = new Set(['binding', 'data-plane-status', 'standard-attr-tag'])
    const p = neutron.addPort({name: 'dps-1', network_id: 'n1', ip: '10.9.0.12'})
    onTestFinished(() => void neutron.ports.delete(p.id))
    const svc = live()
    await svc.bind('dps-1', 'h1', {dryRun: false})
    expect(snapshot(p.id)).toEqual({host: 'h1', tags: [], dps: 'DOWN'})
    expect((await svc.show('dps-1')).overlayRecord).toBe('data_plane_status')
  })
})

describe('live: failure injection at every step, compensation, exit 3 when an undo fails', () => {
  for (const op of ['bind', 'migrate'] as const) {
    it(`${op}: a failure at each step leaves Neutron as before; a failed undo reports exactly what is left`, async () => {
      neutron.extensions = new Set(['binding', 'standard-attr-tag', 'revision-if-match'])
      const p = neutron.addPort({
        name: `inj-${op}`,
        network_id: 'n1',
        ip: '10.9.0.20',
        ...(op === 'migrate' ? {'binding:host_id': 'h1', tags: ['fabricctl-overlay:ACTIVE']} : {}),
      })
      onTestFinished(() => void neutron.ports.delete(p.id))
      const run = () =>
        op === 'bind' ? live().bind(p.name, 'h2', {dryRun: false}) : live().migrate(p.name, 'h2', {dryRun: false})
      const dry =
        op === 'bind'
          ? await live().bind(p.name, 'h2', {dryRun: true})
          : await live().migrate(p.name, 'h2', {dryRun: true})
      const steps = dry.plan!.steps.map(s => s.id)
      // h1 and h2 are cabled to no leaf in this inventory: no leaf step.
      expect(steps).toEqual(
        op === 'bind'
          ? ['neutron-bind', 'host-wire:h2', 'record']
          : ['neutron-bind', 'host-unwire:h1', 'host-wire:h2', 'record'],
      )
      const before = snapshot(p.id)
      for (const [k, id] of steps.entries()) {
        process.env.FABRICCTL_FAIL_STEP = `${op}:${id}`
        const e = await rejected(run())
        expect(e.code).toBe('INJECTED_FAILURE')
        expect(e.exitCode).toBe(1)
        const undoable = dry
          .plan!.steps.slice(0, k)
          .filter(s => s.undo !== null)
          .map(s => s.id)
        expect(e.details.compensated.map((s: any) => s.id)).toEqual([...undoable].reverse())
        expect(snapshot(p.id), `${op} at ${id}`).toEqual(before)
      }
      // The undo of the binding fails after the record step failed: exit 3, and Neutron holds exactly what is reported.
      process.env.FABRICCTL_FAIL_STEP = `${op}:record`
      process.env.FABRICCTL_FAIL_UNDO = `${op}:neutron-bind`
      const e = await rejected(run())
      expect(e.code).toBe('PORT_OPERATION_PARTIAL')
      expect(e.exitCode).toBe(3)
      expect(e.details.leftChanged.map((s: any) => s.id)).toEqual(['neutron-bind'])
      expect(snapshot(p.id).host).toBe('h2')
      // The real run executes the plan the dry run printed.
      delete process.env.FABRICCTL_FAIL_STEP
      delete process.env.FABRICCTL_FAIL_UNDO
      neutron.ports.get(p.id)!['binding:host_id'] = before.host
      const ok = op === 'bind' ? await run() : await run()
      expect(ok.plan!.steps.map(s => s.id)).toEqual(steps)
    })
  }
})

describe('live: release, whose delete cannot be undone', () => {
  it('a failure before the delete changes nothing; a failure after it is exit 3 with the deleted port reported', async () => {
    neutron.extensions = new Set(['binding', 'standard-attr-tag'])
    const p = neutron.addPort({name: 'rel-1', network_id: 'n1', ip: '10.9.0.40', 'binding:host_id': 'h1'})
    onTestFinished(() => void neutron.ports.delete(p.id))
    const dry = await live().release(['rel-1'], {dryRun: true})
    expect(dry.plan!.steps.map(s => s.id)).toEqual(['neutron-delete', 'host-unwire:h1'])
    process.env.FABRICCTL_FAIL_STEP = 'release:neutron-delete'
    const e1 = await rejected(live().release(['rel-1'], {dryRun: false}))
    expect([e1.code, e1.exitCode, e1.details.compensated]).toEqual(['INJECTED_FAILURE', 1, []])
    expect(neutron.ports.has(p.id)).toBe(true)
    process.env.FABRICCTL_FAIL_STEP = 'release:host-unwire:h1'
    const e2 = await rejected(live().release(['rel-1'], {dryRun: false}))
    expect([e2.code, e2.exitCode]).toEqual(['PORT_OPERATION_PARTIAL', 3])
    expect(e2.details.leftChanged.map((s: any) => s.id)).toEqual(['neutron-delete'])
    expect(neutron.ports.has(p.id)).toBe(false)
  })
})

describe('live: two migrates of the same port at once', () => {
  it('the second PUT carries If-Match: the loser is refused (exit 4) and changed nothing', async () => {
    neutron.extensions = new Set(['binding', 'standard-attr-tag', 'revision-if-match'])
    const p = neutron.addPort({name: 'race-1', network_id: 'n1', ip: '10.9.0.30', 'binding:host_id': 'h1'})
    onTestFinished(() => void neutron.ports.delete(p.id))
    // The rival's commit lands between this client's read and its PUT.
    let raced = false
    neutron.fail = (method, url, body) => {
      if (!raced && method === 'PUT' && url.includes(p.id) && body?.port?.['binding:host_id'] === 'h2') {
        raced = true
        const port = neutron.ports.get(p.id)!
        port['binding:host_id'] = 'h3'
        port.revision_number += 1
      }
      return undefined
    }
    const e = await rejected(live().migrate('race-1', 'h2', {dryRun: false}))
    neutron.fail = undefined
    expect(raced).toBe(true)
    expect(e.code).toBe('PORT_CHANGED_CONCURRENTLY')
    expect(e.exitCode).toBe(4)
    expect(neutron.ports.get(p.id)!['binding:host_id']).toBe('h3')
    const put = neutron.calls.filter(c => c.method === 'PUT' && c.url.endsWith(p.id)).at(0)!
    expect(put.headers['if-match']).toBe('revision_number=1')
  })
})

describe('live: a revision that moved without a change (ML2 retrying a failed binding bumps it)', () => {
  it('is no concurrent change: the PUT is retried on the new revision and the migrate goes through', async () => {
    neutron.extensions = new Set(['binding', 'standard-attr-tag', 'revision-if-match'])
    const p = neutron.addPort({name: 'bump-1', network_id: 'n1', ip: '10.9.0.31', 'binding:host_id': 'h1'})
    onTestFinished(() => void neutron.ports.delete(p.id))
    // As the lab's Neutron does for a binding_failed port: the revision moves, nothing a plan rests on does.
    let bumped = 0
    neutron.fail = (method, url) => {
      if (bumped < 1 && method === 'PUT' && url.includes(p.id)) {
        bumped++
        neutron.ports.get(p.id)!.revision_number += 1
      }
      return undefined
    }
    const r = await live().migrate('bump-1', 'h2', {dryRun: false})
    neutron.fail = undefined
    expect(bumped).toBe(1)
    expect(r.changed).toBe(true)
    expect(neutron.ports.get(p.id)!['binding:host_id']).toBe('h2')
    const puts = neutron.calls.filter(c => c.method === 'PUT' && c.url.endsWith(p.id))
    expect(puts.slice(0, 2).map(c => c.headers['if-match'])).toEqual(['revision_number=1', 'revision_number=2'])
  })
})

describe('live: binding a port again to its host (a repair) where Neutron re-binds before it checks If-Match', () => {
  it('goes through on a fresh read of its basis (If-Match would never match)', async () => {
    neutron.extensions = new Set(['binding', 'standard-attr-tag', 'revision-if-match'])
    const p = neutron.addPort({name: 'rebind-1', network_id: 'n1', ip: '10.9.0.32', 'binding:host_id': 'h1'})
    onTestFinished(() => void neutron.ports.delete(p.id))
    // ML2 with a failed binding: every PUT first re-binds (a new revision), so If-Match never matches.
    neutron.fail = (method, url) => {
      if (method === 'PUT' && url.endsWith(p.id)) neutron.ports.get(p.id)!.revision_number += 1
      return undefined
    }
    try {
      const r = await live().bind('rebind-1', 'h1', {dryRun: false})
      expect(r.host).toBe('h1')
      const put = neutron.calls.filter(c => c.method === 'PUT' && c.url.endsWith(p.id)).at(-1)!
      expect(put.headers['if-match']).toBeUndefined()
    } finally {
      neutron.fail = undefined
    }
  })
})

describe('the basis of a port change plan', () => {
  it('a revision alone is no change; host, IPs, MAC or device are', () => {
    const port = {
      id: 'p1',
      network_id: 'n1',
      mac_address: 'fa:16:3e:00:00:01',
      fixed_ips: [{subnet_id: 's', ip_address: '10.0.0.5'}],
      'binding:host_id': 'h1',
      device_id: 'vm-1',
      revision_number: 4,
    } as unknown as NPort
    const b = basisOf(port)
    expect(sameBasis(b, {...port, revision_number: 9} as NPort)).toBe(true)
    expect(sameBasis(b, {...port, 'binding:host_id': 'h2'} as NPort)).toBe(false)
    expect(sameBasis(b, {...port, fixed_ips: [{subnet_id: 's', ip_address: '10.0.0.6'}]} as NPort)).toBe(false)
    expect(sameBasis(b, {...port, mac_address: 'fa:16:3e:00:00:02'} as NPort)).toBe(false)
    expect(sameBasis(b, {...port, device_id: ''} as NPort)).toBe(false)
  })
})

describe('executePlan: steps applied together (the leaf pushes of a change)', () => {
  /** Three leaf steps applied at once; `log` says what was applied and undone, in order. */
  const group = (fail?: string) => {
    const log: string[] = []
    const steps = ['a', 'b', 'c'].map((l): ExecStep => ({
      id: `leaf:${l}`,
      kind: 'leaf',
      action: `push ${l}`,
      undo: `push ${l} back`,
      together: 'leaves',
      apply: async () => {
        // b settles last: the others are applied before its failure is seen.
        await new Promise(r => setTimeout(r, l === 'b' ? 20 : 1))
        if (l === fail) throw new Error(`${l} refused`)
        log.push(`apply ${l}`)
      },
      compensate: () => void log.push(`undo ${l}`),
    }))
    return {
      log,
      steps: [
        {
          id: 'ipam',
          kind: 'store',
          action: 'write',
          undo: 'unwrite',
          apply: () => void log.push('apply ipam'),
          compensate: () => void log.push('undo ipam'),
        } as ExecStep,
        ...steps,
      ],
    }
  }

  it('all start before any settles; a failing one is not applied, the others of the group and the steps before are undone', async () => {
    const {log, steps} = group('b')
    const e = await rejected(executePlan('migrate', 'p', steps))
    expect(e.details.failed.id).toBe('leaf:b')
    expect(e.details.applied.map((s: {id: string}) => s.id)).toEqual(['ipam', 'leaf:a', 'leaf:c'])
    expect(e.details.compensated.map((s: {id: string}) => s.id)).toEqual(['leaf:c', 'leaf:a', 'ipam'])
    expect(log).toEqual(['apply ipam', 'apply a', 'apply c', 'undo c', 'undo a', 'undo ipam'])
  })

  it('FABRICCTL_FAIL_STEP at the second of the group: the first is applied (and undone), it and the third are not', async () => {
    process.env.FABRICCTL_FAIL_STEP = 'migrate:leaf:b'
    const {log, steps} = group()
    const e = await rejected(executePlan('migrate', 'p', steps))
    expect([e.code, e.details.failed.id]).toEqual(['INJECTED_FAILURE', 'leaf:b'])
    expect(log).toEqual(['apply ipam', 'apply a', 'undo a', 'undo ipam'])
  })

  it('without a failure every step is applied once, in one report', async () => {
    const {log, steps} = group()
    const r = await executePlan('migrate', 'p', steps)
    expect(r.applied.map(s => s.id)).toEqual(['ipam', 'leaf:a', 'leaf:b', 'leaf:c'])
    expect(log.sort()).toEqual(['apply a', 'apply b', 'apply c', 'apply ipam'])
  })
})
