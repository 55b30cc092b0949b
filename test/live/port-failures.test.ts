import {randomBytes} from 'node:crypto'
import {afterAll, expect, it} from 'vitest'

import {openFabric} from '../../src/lib/backends/open.js'
import {resolveContext} from '../../src/lib/context/config.js'
import {runCli} from '../helpers/cli.js'
import {describeOnLabs, type LabInventory, useLabMatrix} from './lab.js'

/**
 * Issue 12 on a real Neutron and real leaves: a failure forced at every step of `port allocate --host`,
 * `port bind`, `port migrate` and `port release` (FABRICCTL_FAIL_STEP=<op>:<step>, the step ids taken from
 * the operation's own --dry-run plan) leaves Neutron and both leaves exactly as before; a failed undo is
 * exit 3 and names what is left changed. The full-profile lab, because its leaves accept the change: a port
 * of lab-net3 (no instance has one) on a host adds the VRF, the L3 and L2 VNIs and the tagged VLAN on both
 * leaves, so every plan has real leaf steps. At the end the port is released and the leaves must equal
 * what they were before the file started.
 */
const [lab] = await useLabMatrix<LabInventory>(['full'], 'port failure-injection tests on the full lab')
afterAll(async () => {
  await lab!.release()
}, 300_000)

describeOnLabs([lab!], 'port operations with a failure at each step', m => {
  const inv = m.inv!
  const name = `fail-${randomBytes(3).toString('hex')}`
  const env = {...m.env, NO_COLOR: '1'}
  const cli = (args: string[], extra: Record<string, string> = {}) =>
    runCli([...args, '--json'], {env: {...env, ...extra}, timeoutMs: 240_000})

  async function neutron<T = any>(method: string, path: string): Promise<T> {
    const res = await fetch(`${inv.neutron.url}${path}`, {
      method,
      headers: {'X-Project-Id': inv.neutron.projectId},
      signal: AbortSignal.timeout(60_000),
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`)
    return (text ? JSON.parse(text) : {}) as T
  }

  /** What Neutron holds under the test's port name: id, binding, address, recorded overlay. */
  const neutronState = async () =>
    (await neutron<{ports: any[]}>('GET', `/v2.0/ports?name=${name}`)).ports.map(p => ({
      id: p.id,
      host: p['binding:host_id'] || null,
      ips: p.fixed_ips.map((f: any) => f.ip_address),
      mac: p.mac_address,
      dataPlane: p.data_plane_status ?? null,
      tags: [...(p.tags ?? [])].sort(),
    }))

  /** Both leaves as their drivers read them (what fabricctl manages, and all the leaf carries). */
  const leafState = async () => {
    const {context} = await resolveContext(m.paths.context, {...process.env, ...m.env})
    const f = await openFabric(context, () => {})
    try {
      const out: Record<string, unknown> = {}
      for (const l of inv.leaves) {
        const d = await f.leafDrivers.open(l.name)
        try {
          const r = await d.read()
          out[l.name] = {config: r.config, observed: r.observed ?? null}
        } finally {
          d.close()
        }
      }
      return out
    } finally {
      f.close()
    }
  }
  const state = async () => ({neutron: await neutronState(), leaves: await leafState()})

  /** The step ids of an operation's plan, from its dry run. */
  const planSteps = async (args: string[]) => {
    const dry = await cli([...args, '--dry-run'])
    expect(dry.exitCode, dry.stdout).toBe(0)
    const steps = (dry.json.plan?.steps ?? []) as {id: string; kind: string; undo: string | null}[]
    expect(steps.length, `${args.join(' ')}: a plan`).toBeGreaterThan(0)
    return {steps, leaves: dry.json.plan.leaves as string[]}
  }

  /**
   * Fail each step in turn: the command fails, and Neutron and the leaves are as before; or, past a step
   * that cannot be undone (release's DELETE), exit 3 naming exactly that step as left changed. Returns the
   * steps failed, and whether a partial failure ended the run (the port is gone then).
   */
  const failEachStep = async (
    op: string,
    args: string[],
    /** Steps that run after the change is committed (migrate's fence checks): exit 3, then `revert` puts it back. */
    after?: {steps: (id: string) => boolean; revert: () => Promise<void>},
  ) => {
    const {steps, leaves} = await planSteps(args)
    expect([...leaves].sort()).toEqual(inv.leaves.map(l => l.name).sort())
    const before = await state()
    const seen: {id: string; kind: string}[] = []
    for (const [k, s] of steps.entries()) {
      const r = await cli(args, {FABRICCTL_FAIL_STEP: `${op}:${s.id}`})
      const why = `${op} failing at ${s.id}: ${r.stdout}`
      expect(r.exitCode, why).not.toBe(0)
      seen.push(s)
      if (after?.steps(s.id)) {
        // The move is done and cannot be undone from here: the result says the fence step failed (exit 3).
        expect(r.exitCode, why).toBe(3)
        expect(r.json.fence?.codes, why).toContain('FENCE_STEP_FAILED')
        await after.revert()
        expect(await state(), `${op} failing at ${s.id}, then reverted: as before`).toEqual(before)
        continue
      }
      const d = r.json.error?.details
      expect(d?.failed?.id, why).toBe(s.id)
      if (r.exitCode === 3) {
        // Left changed: only applied steps whose undo does not exist (the plan says so), nothing else.
        const irreversible = steps.slice(0, k).filter(x => x.undo?.startsWith('impossible'))
        expect(
          d.leftChanged.map((x: {id: string}) => x.id),
          why,
        ).toEqual(irreversible.map(x => x.id))
        expect(irreversible.length, why).toBeGreaterThan(0)
        return {seen, partial: true}
      }
      expect(await state(), `${op} failing at ${s.id}: Neutron and the leaves as before`).toEqual(before)
    }
    return {seen, partial: false}
  }

  let original: Awaited<ReturnType<typeof state>>
  const host1 = inv.hosts[0]!.name
  const host2 = inv.hosts[1]!.name

  it('allocate --host: a failure at each step creates no port and leaves both leaves as they were', async () => {
    original = await state()
    expect(original.neutron).toEqual([])
    const {seen} = await failEachStep('allocate', [
      'port',
      'allocate',
      '--network',
      'lab-net3',
      '--name',
      name,
      '--host',
      host1,
    ])
    expect(seen.some(x => x.kind === 'leaf')).toBe(true)
  }, 900_000) // ~8 CLI runs, each with ~4 leaf reads over SSH into UML guests

  it('bind: a failure at each step leaves the port unbound and the leaves as they were', async () => {
    const a = await cli(['port', 'allocate', '--network', 'lab-net3', '--name', name])
    expect(a.exitCode, a.stdout).toBe(0)
    await failEachStep('bind', ['port', 'bind', name, '--host', host1])
    expect((await neutronState())[0]!.host).toBeNull()
  }, 900_000)

  it('migrate: a failure at each step leaves the port on its host and the leaves as after the bind', async () => {
    // Exit 1: the lab has no L2 agent, so Neutron's binding fails (underlay ERROR) while the leaves verify.
    const b = await cli(['port', 'bind', name, '--host', host1])
    expect([0, 1], b.stdout).toContain(b.exitCode)
    expect(
      b.json.leaves.every((l: {ok: boolean}) => l.ok),
      b.stdout,
    ).toBe(true)
    expect(await leafState()).not.toEqual(original.leaves) // the bind added lab-net3 to both leaves
    const {seen} = await failEachStep('migrate', ['port', 'migrate', name, '--to-host', host2], {
      steps: id => id.startsWith('fence-') && !id.startsWith('fence-read'),
      revert: async () => {
        const back = await cli(['port', 'migrate', name, '--to-host', host1])
        expect([0, 1], back.stdout).toContain(back.exitCode)
      },
    })
    expect(seen.map(x => x.id)).toContain('neutron-bind')
    expect((await neutronState())[0]!.host).toBe(host1)
  }, 900_000)

  it('a failed undo is exit 3 and names exactly what is left changed', async () => {
    const {steps} = await planSteps(['port', 'migrate', name, '--to-host', host2])
    // The move's own steps (the fence checks after it are not undone: see the migrate test).
    const move = steps.filter(x => !x.id.startsWith('fence-'))
    const undoable = move.filter(x => x.undo && !x.undo.startsWith('impossible'))
    const last = move.at(-1)!
    const r = await cli(['port', 'migrate', name, '--to-host', host2], {
      FABRICCTL_FAIL_STEP: `migrate:${last.id}`,
      FABRICCTL_FAIL_UNDO: `migrate:${undoable[0]!.id}`,
    })
    expect(r.exitCode, r.stdout).toBe(3)
    const d = r.json.error.details
    expect(d.failed.id).toBe(last.id)
    expect(d.leftChanged.map((s: any) => s.id)).toContain(undoable[0]!.id)
    // Put it right the way an SRE would: migrate back onto the host the port was on.
    const back = await cli(['port', 'migrate', name, '--to-host', host1])
    expect([0, 1], back.stdout).toContain(back.exitCode)
    expect((await neutronState())[0]!.host).toBe(host1)
  }, 900_000)

  it('two migrates of the same port at the same moment: one wins, the other is refused or follows; the leaves carry only the winner', async () => {
    const host3 = inv.hosts[2]!.name
    const [a, b] = await Promise.all([
      cli(['port', 'migrate', name, '--to-host', host2]),
      cli(['port', 'migrate', name, '--to-host', host3]),
    ])
    const outcome = (r: typeof a) => (r.exitCode === 0 || r.exitCode === 1 ? 'moved' : (r.json.error?.code as string))
    const outcomes = [outcome(a), outcome(b)]
    // Refused: the rival moved it between this one's plan and its write (If-Match on revision_number), or held
    // the leaves' lock; never both refused, never a failure that left something half done.
    for (const o of outcomes)
      expect(['moved', 'PORT_CHANGED_CONCURRENTLY', 'LEAF_LOCKED'], `${a.stdout}\n${b.stdout}`).toContain(o)
    expect(outcomes, `${a.stdout}\n${b.stdout}`).toContain('moved')
    const host = (await neutronState())[0]!.host
    expect([host2, host3]).toContain(host)
    // Whoever won, each leaf carries exactly the desired state of where Neutron says the port is.
    const diff = await cli(['leaf', 'diff', '--all'])
    expect(diff.exitCode, diff.stdout).toBe(0)
    expect(diff.json.leaves.map((l: {status: string}) => l.status)).toEqual(inv.leaves.map(() => 'in-sync'))
    const back = await cli(['port', 'migrate', name, '--to-host', host1])
    expect([0, 1], back.stdout).toContain(back.exitCode)
  }, 900_000)

  it('release: a failure at a leaf or at the DELETE keeps port and leaves; after the DELETE, exit 3 names it; the leaves end as they began', async () => {
    const {partial} = await failEachStep('release', ['port', 'release', name])
    if (!partial) {
      const rel = await cli(['port', 'release', name])
      expect(rel.exitCode, rel.stdout).toBe(0)
    }
    expect(await neutronState()).toEqual([])
    // After a partial release the leaves still carry the port's network: a push converges them (nothing needs it).
    if (partial) {
      const push = await cli(['leaf', 'push', '--all'])
      expect(push.exitCode, push.stdout).toBe(0)
    }
    expect(await leafState(), 'the leaves as before the file started').toEqual(original.leaves)
  }, 900_000)
})
