import fs from 'node:fs'
import path from 'node:path'
import {describe, expect, it, onTestFinished} from 'vitest'

import {buildFabric, type FabricFixture} from './helpers/fabric-builder.js'
import {assertMatchesSchema} from './helpers/schema.js'

/**
 * Leaked ports on the simulated fabric (issue 17 §1): `ipam check` finds orphaned ports once their device has been
 * missing past the grace, `ipam gc` releases them through the release plan, capped and re-checked.
 * A device disappears with the sim's `device-missing` fault (it records when: the device's last sighting); "later"
 * is the fault's and the port's time moved back on the store (fx.edit), never a sleep.
 */
const MIN = 60_000

async function fixture(): Promise<FabricFixture> {
  const fx = await buildFabric()
  onTestFinished(() => fx.cleanup())
  return fx
}

const json = async (fx: FabricFixture, ...args: string[]) => {
  const r = await fx.cli(...args, '--json')
  if (r.json) assertMatchesSchema(r.json)
  return r
}

/** Container hosts with no port of suba-prod, each with the leaf interface it is cabled to. */
function freshHosts(fx: FabricFixture): {host: string; leaf: string; interface: string}[] {
  return fx.store
    .sql(
      `SELECT m.host AS host, m.leaf AS leaf, m.interface AS interface FROM controller_host_map m JOIN hosts h ON h.name = m.host
       WHERE h.role = 'container' AND NOT EXISTS (SELECT 1 FROM ports p WHERE p.host = h.name AND p.network = 'suba-prod')
       ORDER BY m.host, m.leaf`,
    )
    .all() as {host: string; leaf: string; interface: string}[]
}

const leafVlans = (fx: FabricFixture, leaf: string, iface: string): number[] =>
  fx.store.leafRunning(leaf)?.interfaces[iface]?.vlans ?? []
const vlanOf = (fx: FabricFixture, net: string) => fx.store.network(net)!.vlan

/** Allocate `name` on `host`, then take its device away (device-missing), `agoMs` ago. */
async function leak(fx: FabricFixture, name: string, host: string, agoMs: number): Promise<string> {
  const a = await json(fx, 'port', 'allocate', '--label', 'sub-a-prod', '--name', name, '--host', host)
  expect(a.exitCode).toBe(0)
  const id = a.json.ports[0].id as string
  expect((await fx.cli('sim', 'fault', 'inject', 'device-missing', '--target', name)).exitCode).toBe(0)
  if (agoMs > 0) {
    const at = new Date(Date.now() - agoMs).toISOString()
    fx.edit(s => {
      s.sql(`UPDATE faults SET created_at = ? WHERE kind = 'device-missing' AND target = ?`).run(at, id)
      s.sql('UPDATE ports SET updated_at = ?, created_at = ? WHERE id = ?').run(at, at, id)
    })
  }
  return id
}

const orphanItem = (r: {json: any}) => r.json.checks.find((c: any) => c.name === 'orphaned-port')

describe('ipam check: orphaned-port', () => {
  it('is not reported within the grace, is reported after it (saying which clock it used)', async () => {
    const fx = await fixture()
    const [h] = freshHosts(fx)
    await leak(fx, 'leak-young', h!.host, 2 * MIN)
    const young = await json(fx, 'ipam', 'check')
    expect(young.exitCode).toBe(0)
    expect(orphanItem(young)).toMatchObject({status: 'ok', count: 0})
    // Past a 1-minute grace (its device went 2 minutes ago): reported, from the device's last sighting.
    const r = await json(fx, 'ipam', 'check', '--grace', '1m')
    expect(r.exitCode).toBe(1)
    expect(orphanItem(r)).toMatchObject({status: 'failed', count: 1})
    expect(orphanItem(r).findings[0]).toMatchObject({
      subject: 'leak-young',
      evidence: {host: h!.host, sinceSource: 'device-last-seen'},
    })
    expect(orphanItem(r).findings[0].evidence.ageMs).toBeGreaterThanOrEqual(2 * MIN)
    // The default grace (15m) reports it once the device has been gone 20 minutes.
    await leak(fx, 'leak-old', freshHosts(fx)[0]!.host, 20 * MIN)
    const old = await json(fx, 'ipam', 'check')
    expect(orphanItem(old).findings.map((f: any) => f.subject)).toEqual(['leak-old'])
  })

  it('without a recorded sighting it counts from the port binding and says so; unknown host → unknown, never orphaned', async () => {
    const fx = await fixture()
    const [h] = freshHosts(fx)
    const a = await json(fx, 'port', 'allocate', '--label', 'sub-a-prod', '--name', 'nodev', '--host', h!.host)
    const id = a.json.ports[0].id
    const at = new Date(Date.now() - 30 * MIN).toISOString()
    fx.edit(s => {
      s.sql('DELETE FROM ovs_ports WHERE port_id = ?').run(id)
      s.sql('UPDATE ports SET updated_at = ? WHERE id = ?').run(at, id)
    })
    const r = await json(fx, 'ipam', 'check')
    expect(orphanItem(r).findings).toEqual([
      expect.objectContaining({
        subject: 'nodev',
        evidence: expect.objectContaining({sinceSource: 'port-updated-at', since: at}),
      }),
    ])
    // OVS down on that host: its ports cannot be checked → unknown with the reason, exit 3.
    expect((await fx.cli('sim', 'fault', 'inject', 'ovs-down', '--target', h!.host)).exitCode).toBe(0)
    const u = await json(fx, 'ipam', 'check')
    expect(u.exitCode).toBe(3)
    expect(orphanItem(u)).toMatchObject({status: 'unknown', count: 0, findings: []})
    expect(orphanItem(u).unknown.map((x: any) => x.subject)).toContain('nodev')
    expect(orphanItem(u).reason).toContain(h!.host)
    const gc = await json(fx, 'ipam', 'gc', '--older-than', '0s')
    expect(gc.exitCode).toBe(3)
    expect(gc.json.released).toEqual([])
    expect(gc.json.unknown.map((x: any) => x.name)).toContain('nodev')
    expect(fx.store.port(id)).toBeTruthy()
  })

  it('unbound-past-age is off by default and reports old unbound ports when asked', async () => {
    const fx = await fixture()
    const a = await json(fx, 'port', 'allocate', '--label', 'sub-a-prod', '--name', 'lonely')
    const id = a.json.ports[0].id
    const item = (r: any) => r.json.checks.find((c: any) => c.name === 'unbound-past-age')
    expect(item(await json(fx, 'ipam', 'check'))).toMatchObject({status: 'skipped'})
    expect(
      item(await json(fx, 'ipam', 'check', '--unbound-older-than', '1h')).findings.map((f: any) => f.subject),
    ).not.toContain('lonely')
    fx.edit(s =>
      s.sql('UPDATE ports SET updated_at = ? WHERE id = ?').run(new Date(Date.now() - 2 * 3600_000).toISOString(), id),
    )
    const r = await json(fx, 'ipam', 'check', '--unbound-older-than', '1h')
    expect(item(r).findings.map((f: any) => f.subject)).toContain('lonely')
    const gc = await json(fx, 'ipam', 'gc', '--unbound-older-than', '1h', '--name-prefix', 'lonely')
    expect(gc.exitCode).toBe(0)
    expect(gc.json.released.map((p: any) => p.name)).toEqual(['lonely'])
    expect(fx.store.port(id)).toBeUndefined()
  })
})

describe('ipam gc', () => {
  it('releases an orphaned port through the release plan; its leaf interface loses the VLAN; a port with a device is untouched', async () => {
    const fx = await fixture()
    const [h] = freshHosts(fx)
    const vlan = vlanOf(fx, 'suba-prod')
    const id = await leak(fx, 'leak-1', h!.host, 20 * MIN)
    expect(leafVlans(fx, h!.leaf, h!.interface)).toContain(vlan)
    const neighbours = (
      fx.store.sql('SELECT id FROM ports WHERE host = ? AND id != ?').all(h!.host, id) as {id: string}[]
    ).map(r => r.id)
    expect(neighbours.length).toBeGreaterThan(0)
    const dry = await json(fx, 'ipam', 'gc', '--dry-run')
    expect(dry.exitCode).toBe(0)
    expect(dry.json).toMatchObject({dryRun: true, source: 'scan', released: [{id, name: 'leak-1'}]})
    expect(dry.json.plan).toMatchObject({operation: 'release', subject: 'leak-1'})
    expect(dry.json.plan.steps.map((s: any) => s.id)).toContain(`leaf:${h!.leaf}`)
    expect(fx.store.port(id)).toBeTruthy()
    const r = await json(fx, 'ipam', 'gc')
    expect(r.exitCode).toBe(0)
    expect(r.json.released.map((p: any) => p.id)).toEqual([id])
    expect(r.json.failed).toEqual([])
    expect(fx.store.port(id)).toBeUndefined()
    expect(fx.store.controllerPort(id)).toBeFalsy()
    expect(leafVlans(fx, h!.leaf, h!.interface)).not.toContain(vlan)
    for (const n of neighbours) expect(fx.store.port(n)).toBeTruthy()
    expect(orphanItem(await json(fx, 'ipam', 'check'))).toMatchObject({status: 'ok'})
  })

  it('refuses past --max-release with exit 4 and releases nothing', async () => {
    const fx = await fixture()
    const hosts = freshHosts(fx)
    const ids = [await leak(fx, 'cap-1', hosts[0]!.host, 20 * MIN), await leak(fx, 'cap-2', hosts[0]!.host, 20 * MIN)]
    const r = await json(fx, 'ipam', 'gc', '--max-release', '1')
    expect(r.exitCode).toBe(4)
    expect(r.json.error).toMatchObject({code: 'GC_CAP_EXCEEDED'})
    expect(r.json.error.message).toContain('2 ports')
    for (const id of ids) expect(fx.store.port(id)).toBeTruthy()
    expect((await json(fx, 'ipam', 'gc', '--max-release', '2')).json.released).toHaveLength(2)
  })

  it('report round-trip: -o writes a valid IpamGcReport; --from-report re-checks and skips a port whose device came back', async () => {
    const fx = await fixture()
    const hosts = freshHosts(fx)
    const back = await leak(fx, 'back-1', hosts[0]!.host, 20 * MIN)
    const gone = await leak(fx, 'gone-1', hosts[0]!.host, 20 * MIN)
    const file = path.join(fx.home.dir, 'leaks.json')
    const dry = await json(fx, 'ipam', 'gc', '--dry-run', '-o', file)
    expect(dry.exitCode).toBe(0)
    expect(dry.json.reportFile).toBe(file)
    const report = JSON.parse(fs.readFileSync(file, 'utf8'))
    assertMatchesSchema(report)
    expect(report).toMatchObject({kind: 'IpamGcReport', schemaVersion: 1, criteria: {graceMs: 15 * MIN}})
    expect(report.ports.map((p: any) => p.name).sort()).toEqual(['back-1', 'gone-1'])
    // back-1's device is plugged again (the fault cleared) before the report is acted on.
    const faults = (await json(fx, 'sim', 'fault', 'list')).json.faults as {id: number; target: string}[]
    const f = faults.find(x => x.target === back)!
    expect((await fx.cli('sim', 'fault', 'clear', String(f.id))).exitCode).toBe(0)
    const r = await json(fx, 'ipam', 'gc', '--from-report', file)
    expect(r.exitCode).toBe(0)
    expect(r.json.source).toBe('report')
    expect(r.json.released.map((p: any) => p.id)).toEqual([gone])
    expect(r.json.skipped).toEqual([{id: back, name: 'back-1', reason: expect.stringContaining('present again')}])
    expect(fx.store.port(back)).toBeTruthy()
    expect(fx.store.port(gone)).toBeUndefined()
    // The same report again: gone-1 no longer exists, back-1 has its device: nothing released.
    const again = await json(fx, 'ipam', 'gc', '--from-report', file)
    expect(again.json.released).toEqual([])
    expect(again.json.skipped.map((s: any) => s.reason).sort()).toEqual([
      expect.stringContaining('present again'),
      'the port no longer exists',
    ])
  })

  it('re-checks just before each release: a device that came back after the scan is skipped, never released', async () => {
    const fx = await fixture()
    const id = await leak(fx, 'race-1', freshHosts(fx)[0]!.host, 20 * MIN)
    const {simFabric} = await import('../src/lib/backends/sim/index.js')
    const {runGc} = await import('../src/lib/ports/gc.js')
    const {clearFaults} = await import('../src/lib/sim/faults.js')
    const fabric = simFabric({name: 'sim', backend: 'sim'} as never, fx.store)
    const probe = fabric.hostProbe
    let reads = 0
    // The real sim probe; between the scan's read (1st) and the re-check's read (2nd) the device is plugged back.
    const racing = {
      ...fabric,
      hostProbe: {
        ...probe,
        facts: async (...a: Parameters<typeof probe.facts>) => {
          if (++reads === 2) clearFaults(fx.store, 'all')
          return probe.facts(...a)
        },
      },
    }
    const svc = await racing.ipam.portService()
    const r = await runGc(
      racing,
      svc,
      {from: 'scan', criteria: {graceMs: 15 * MIN, unboundOlderThanMs: null}, scope: {}},
      {dryRun: false, maxRelease: 10, concurrency: 1, timeoutMs: 5000},
    )
    expect(reads).toBe(2)
    expect(r.found.map(p => p.name)).toEqual(['race-1'])
    expect(r.released).toEqual([])
    expect(r.skipped).toEqual([{id, name: 'race-1', reason: expect.stringContaining('present again')}])
    expect(fx.store.port(id)).toBeTruthy()
  })

  it('exit 3 when some releases failed after others succeeded, naming each; the failed port is as it was', async () => {
    const fx = await fixture()
    const rows = freshHosts(fx)
    const a = rows[0]!
    const b = rows.find(x => !x.leaf.startsWith(a.leaf.slice(0, -1)))!
    const ida = await leak(fx, 'part-a', a.host, 20 * MIN)
    const idb = await leak(fx, 'part-b', b.host, 20 * MIN)
    // Fail the push of b's leaf inside b's release only (the sim rolls that release back).
    const r = await fx.run(['ipam', 'gc', '--json'], {env: {FABRICCTL_FAIL_STEP: `release:leaf:${b.leaf}`}})
    assertMatchesSchema(r.json)
    expect(r.exitCode).toBe(3)
    expect(r.json.released.map((p: any) => p.id)).toEqual([ida])
    expect(r.json.failed).toEqual([{id: idb, name: 'part-b', code: 'INJECTED_FAILURE', error: expect.any(String)}])
    expect(fx.store.port(ida)).toBeUndefined()
    expect(fx.store.port(idb)).toBeTruthy()
  })

  it('a bad report is exit 2 with what was wrong, and changes nothing', async () => {
    const fx = await fixture()
    const id = await leak(fx, 'kept-1', freshHosts(fx)[0]!.host, 20 * MIN)
    const file = path.join(fx.home.dir, 'r.json')
    await json(fx, 'ipam', 'gc', '--dry-run', '-o', file)
    const good = JSON.parse(fs.readFileSync(file, 'utf8'))
    const cases: [string, string, RegExp][] = [
      ['not json', '{"kind": ', /not JSON/],
      ['wrong kind', JSON.stringify({...good, kind: 'IpamCheck'}), /kind/],
      ['future version', JSON.stringify({...good, schemaVersion: 2}), /schemaVersion/],
      ['port without id', JSON.stringify({...good, ports: [{...good.ports[0], id: undefined}]}), /ports\.0\.id/],
      ['other context', JSON.stringify({...good, context: 'prod-eu'}), /context "prod-eu"/],
    ]
    for (const [what, text, msg] of cases) {
      fs.writeFileSync(file, text)
      const r = await json(fx, 'ipam', 'gc', '--from-report', file)
      expect(r.exitCode, what).toBe(2)
      expect(r.json.error.message, what).toMatch(msg)
    }
    const missing = await json(fx, 'ipam', 'gc', '--from-report', path.join(fx.home.dir, 'nope.json'))
    expect(missing.exitCode).toBe(2)
    expect(missing.json.error.code).toBe('GC_REPORT_UNREADABLE')
    expect(fx.store.port(id)).toBeTruthy()
  })
})
