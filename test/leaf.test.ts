import {afterAll, beforeAll, describe, expect, it, onTestFinished} from 'vitest'

import {diffLeafConfigs, leafConfigText, unifiedDiff} from '../src/lib/leaf/diff.js'
import {pushSteps, runSync} from '../src/lib/leaf/engine.js'
import {reconcileLeaves, simDesiredLeafConfig} from '../src/lib/backends/sim/leaf-reconcile.js'
import {SimLeafDriver, SimSnapshotStore} from '../src/lib/backends/sim/leaf-driver.js'
import {type FabricStore} from '../src/lib/store/fabric-store.js'
import {makeHome, runCli, type TestHome} from './helpers/cli.js'
import {buildFabric} from './helpers/fabric-builder.js'
import {assertMatchesSchema} from './helpers/schema.js'
import {simHome} from './helpers/sim-home.js'

let home: TestHome
const {cli, withStore} = simHome(() => home)
const LEAF = 'az1-leaf01a'

/** A host behind LEAF, its interface there, and a network it has no port on (if any). */
function pick(store: FabricStore) {
  const cabled = store.hostsOnSwitch(LEAF)
  const nets = store.networks({az: 'az1'})
  for (const c of cabled) {
    const have = new Set(store.portsOnHost(c.host).map(p => p.network))
    const missing = nets.find(n => !have.has(n.name))
    if (have.size > 0 && missing) return {host: c.host, iface: c.interface, missing, have: [...have]}
  }
  throw new Error('no host under the leaf lacks a network')
}

beforeAll(async () => {
  home = makeHome('fabricctl-leaf-')
  const r = await runCli(['sim', 'init', '--json'], {home})
  expect(r.exitCode).toBe(0)
})
afterAll(() => home.cleanup())

describe('desired state (DESIGN §3)', () => {
  it('add: a port of a new network on a host brings its VLAN to the interface and its VNI to the leaf', async () => {
    const fx = await buildFabric()
    onTestFinished(() => fx.cleanup())
    const {host, iface, missing} = pick(fx.store)
    const before = simDesiredLeafConfig(fx.store, LEAF)
    fx.movePort(fx.store.portsOnHost(host)[0]!.id, {network: missing.name})
    const after = simDesiredLeafConfig(fx.store, LEAF)
    expect(after.interfaces[iface]!.vlans).toContain(missing.vlan)
    expect(before.interfaces[iface]!.vlans).not.toContain(missing.vlan)
    expect(after.vnis[String(missing.l2Vni)]).toMatchObject({
      vni: missing.l2Vni,
      vlan: missing.vlan,
      network: missing.name,
      routeTarget: `65000:${missing.l2Vni}`,
    })
    const tenant = fx.store.tenants().find(t => t.name === missing.tenant)!
    expect(after.vrfs[tenant.vrf]).toEqual({l3Vni: tenant.l3Vni})
  })

  it('migrate and last-port-removed: the VLAN leaves the interface with its last port there; the VNI leaves the leaf with its last host', async () => {
    const fx = await buildFabric()
    onTestFinished(() => fx.cleanup())
    const store = fx.store
    // Take one network that lives on exactly one host under the leaf (make it so: move its other ports away).
    const cabled = store.hostsOnSwitch(LEAF)
    const hostsUnder = new Set(cabled.map(c => c.host))
    const outside = store.hosts({az: 'az1'}).find(h => !hostsUnder.has(h.name) && h.role !== 'baremetal')!
    const net = store.portsOnHost(cabled[0]!.host)[0]!.network
    const ports = store
      .sql('SELECT id, host FROM ports WHERE network = ? AND host IN (SELECT host FROM cabling WHERE switch = ?)')
      .all(net, LEAF) as {id: string; host: string}[]
    const keep = ports.find(p => p.host === cabled[0]!.host)!
    for (const p of ports) if (p.id !== keep.id) fx.movePort(p.id, {host: outside.name})
    const vlan = store.network(net)!.vlan
    const vni = String(store.network(net)!.l2Vni)
    const one = simDesiredLeafConfig(store, LEAF)
    expect(one.vnis[vni]).toBeDefined()
    expect(
      Object.entries(one.interfaces)
        .filter(([, i]) => i.vlans.includes(vlan))
        .map(([k]) => k),
    ).toEqual([cabled[0]!.interface])
    // migrate the last port to another host under the same leaf: the VLAN moves interface, the VNI stays
    fx.movePort(keep.id, {host: cabled[1]!.host})
    const moved = simDesiredLeafConfig(store, LEAF)
    expect(moved.vnis[vni]).toBeDefined()
    expect(moved.interfaces[cabled[0]!.interface]?.vlans ?? []).not.toContain(vlan)
    expect(moved.interfaces[cabled[1]!.interface]!.vlans).toContain(vlan)
    // last port removed from under the leaf: VLAN and VNI leave it
    fx.movePort(keep.id, {host: null})
    const gone = simDesiredLeafConfig(store, LEAF)
    expect(gone.vnis[vni]).toBeUndefined()
    expect(Object.values(gone.interfaces).some(i => i.vlans.includes(vlan))).toBe(false)
    const changes = diffLeafConfigs(one, gone).map(c => c.op)
    expect(changes).toContain('remove-vni')
    expect(changes).toContain('remove-vlan')
  })

  it('unified diff is readable and empty for equal configs', async () => {
    await withStore(store => {
      const d = simDesiredLeafConfig(store, LEAF)
      expect(unifiedDiff(leafConfigText(d), leafConfigText(d), 'a', 'b')).toEqual([])
      const iface = Object.keys(d.interfaces)[0]!
      const changed = structuredClone(d)
      changed.interfaces[iface]!.vlans = changed.interfaces[iface]!.vlans.slice(1)
      const lines = unifiedDiff(leafConfigText(changed), leafConfigText(d), 'running', 'desired')
      expect(lines.slice(0, 2)).toEqual(['--- running', '+++ desired'])
      expect(lines.filter(l => l.startsWith('+ '))).toEqual([`+  allowed-vlan ${d.interfaces[iface]!.vlans[0]}`])
      expect(lines.some(l => /^@@ -\d+,\d+ \+\d+,\d+ @@$/.test(l))).toBe(true)
    })
  })
})

describe('leaf commands on the simulated fabric', () => {
  it('leaf config prints the desired state (text, json, frr)', async () => {
    const t = await cli('leaf', 'config', LEAF)
    expect(t.exitCode).toBe(0)
    expect(t.stdout).toMatch(/^vrf vrf-corp$/m)
    expect(t.stdout).toMatch(/^interface Ethernet1$/m)
    const j = await cli('leaf', 'config', LEAF, '--json')
    expect(j.json.kind).toBe('LeafDesiredConfig')
    expect(Object.keys(j.json.config.vnis).length).toBeGreaterThan(0)
    const f = await cli('leaf', 'config', LEAF, '--format', 'frr')
    expect(f.stdout).toMatch(/address-family l2vpn evpn/)
    const bad = await cli('leaf', 'config', 'no-such-leaf', '--json')
    expect(bad.exitCode).toBe(2)
    expect(bad.json.error.code).toBe('LEAF_NOT_FOUND')
  })

  it('re-pushing an unchanged fabric changes nothing and says so', async () => {
    const r = await cli('leaf', 'push', '--all', '--json')
    expect(r.exitCode).toBe(0)
    expect(r.json.totals.unchanged).toBe(r.json.totals.leaves)
    expect(r.json.totals.applied).toBe(0)
    const h = await cli('leaf', 'push', LEAF)
    expect(h.stdout).toMatch(/unchanged — already matches the desired state; nothing was pushed/)
    const d = await cli('leaf', 'diff', '--all')
    expect(d.exitCode).toBe(0)
  })

  it('drift is found by diff and verify, repaired by push, and a second push is a no-op', async () => {
    const running0 = (await cli('leaf', 'show', LEAF, '--json')).json.running
    const iface = Object.keys(running0.interfaces)[0]
    const vlan = running0.interfaces[iface].vlans[0]
    const f = await cli(
      'sim',
      'fault',
      'inject',
      'config-drift',
      '--target',
      LEAF,
      '--interface',
      iface,
      '--vlan',
      String(vlan),
      '--json',
    )
    expect(f.exitCode).toBe(0)
    const d = await cli('leaf', 'diff', LEAF)
    expect(d.exitCode).toBe(1)
    expect(d.stdout).toContain(`+  allowed-vlan ${vlan}`)
    const dj = await cli('leaf', 'diff', '--all', '--json')
    expect(dj.exitCode).toBe(1)
    expect(dj.json.totals.differ).toBe(1)
    expect(dj.json.leaves.find((l: any) => l.leaf === LEAF).changes).toEqual([{op: 'add-vlan', interface: iface, vlan}])
    const v = await cli('leaf', 'verify', LEAF, '--json')
    expect(v.exitCode).toBe(1)
    expect(v.json.leaves[0].status).toBe('differs')
    const dry = await cli('leaf', 'push', LEAF, '--dry-run', '--json')
    expect(dry.json.leaves[0].status).toBe('planned')
    expect((await cli('leaf', 'diff', LEAF)).exitCode).toBe(1) // dry run changed nothing
    const p = await cli('leaf', 'push', LEAF, '--json')
    expect(p.exitCode).toBe(0)
    expect(p.json.leaves[0]).toMatchObject({status: 'applied', summary: [`allow VLAN ${vlan} on ${iface}`]})
    expect((await cli('leaf', 'verify', LEAF)).exitCode).toBe(0)
    expect((await cli('leaf', 'push', LEAF, '--json')).json.leaves[0].status).toBe('unchanged')
    expect((await cli('sim', 'fault', 'clear', '--all')).exitCode).toBe(0)
    expect((await cli('leaf', 'diff', LEAF)).exitCode).toBe(0)
  })

  it('a push larger than --max-changes is refused (exit 4) and changes nothing; --force applies it', async () => {
    // A fabric whose leaf has lost its running config: every VNI and VLAN is a change.
    const fx = await buildFabric()
    onTestFinished(() => fx.cleanup())
    fx.emptyLeaf(LEAF)
    const cli = fx.cli
    const d = await cli('leaf', 'diff', LEAF, '--json')
    const n = d.json.totals.changes
    expect(n).toBeGreaterThan(5)
    const r = await cli('leaf', 'push', LEAF, '--max-changes', '5', '--json')
    expect(r.exitCode).toBe(4)
    expect(r.json.leaves[0].status).toBe('refused')
    expect((await cli('leaf', 'diff', LEAF, '--json')).json.totals.changes).toBe(n)
    const all = await cli('leaf', 'push', '--all', '--max-changes', '5', '--json')
    expect(all.exitCode).toBe(4)
    expect(all.json.gate).toEqual({totalChanges: n, refused: true})
    expect((await cli('leaf', 'diff', LEAF, '--json')).json.totals.changes).toBe(n)
    const human = await cli('leaf', 'push', LEAF, '--max-changes', '5')
    expect(human.exitCode).toBe(4)
    expect(human.stdout).toMatch(/exceed --max-changes; nothing was changed/)
    const forced = await cli('leaf', 'push', LEAF, '--max-changes', '5', '--force', '--json')
    expect(forced.exitCode).toBe(0)
    expect(forced.json.leaves[0].status).toBe('applied')
    expect(forced.json.leaves[0].changes).toHaveLength(n)
    expect((await cli('leaf', 'diff', LEAF)).exitCode).toBe(0)
  })

  it('a push failing half-way leaves the leaf at its last-known-good and says what failed', async () => {
    const fx = await buildFabric()
    onTestFinished(() => fx.cleanup())
    const {cli, store} = fx
    const lkg = (await cli('leaf', 'show', LEAF, '--json')).json.running
    expect(store.leafLastKnownGood(LEAF)).toEqual(lkg)
    // Desired changes: move every port of one host under the leaf elsewhere (several VLAN removals).
    const h = store.hostsOnSwitch(LEAF).find(c => store.portsOnHost(c.host).length > 0)!
    const target = store
      .hosts({az: 'az1'})
      .find(x => !store.hostsOnSwitch(LEAF).some(c => c.host === x.name) && x.role !== 'baremetal')!
    fx.moveHostPorts(h.host, target.name)
    const planned = (await cli('leaf', 'diff', LEAF, '--json')).json.totals.changes
    expect(planned).toBeGreaterThanOrEqual(2)
    expect((await cli('sim', 'fault', 'inject', 'push-fail', '--target', LEAF)).exitCode).toBe(0)
    const r = await cli('leaf', 'push', '--all', '--json')
    expect(r.exitCode).toBe(3)
    const mine = r.json.leaves.find((l: any) => l.leaf === LEAF)
    expect(mine).toMatchObject({status: 'failed', rolledBackTo: 'last-known-good', error: {code: 'LEAF_PUSH_FAILED'}})
    expect(mine.error.message).toMatch(
      new RegExp(
        `rejected change ${Math.floor(planned / 2) + 1} of ${planned} .* after ${Math.floor(planned / 2)} had been applied`,
      ),
    )
    expect(mine.error.step).toMatch(/^apply /)
    // the other leaves were pushed anyway
    expect(
      r.json.leaves
        .filter((l: any) => l.leaf !== LEAF)
        .every((l: any) => l.status === 'applied' || l.status === 'unchanged'),
    ).toBe(true)
    expect((await cli('leaf', 'show', LEAF, '--json')).json.running).toEqual(lkg)
    const human = await cli('leaf', 'push', LEAF)
    expect(human.exitCode).toBe(3)
    expect(human.stdout).toMatch(/rollback: leaf restored to its last-known-good state/)
    expect((await cli('sim', 'fault', 'clear', '--all')).exitCode).toBe(0)
    expect((await cli('leaf', 'push', LEAF, '--json')).json.leaves[0].status).toBe('applied')
  })

  it('an unreachable leaf is reported (exit 3) and does not stop the others', async () => {
    await cli('sim', 'fault', 'inject', 'leaf-unreachable', '--target', LEAF)
    try {
      const d = await cli('leaf', 'diff', '--all', '--json')
      expect(d.exitCode).toBe(3)
      expect(d.json.leaves.find((l: any) => l.leaf === LEAF).status).toBe('unreachable')
      const p = await cli('leaf', 'push', '--all', '--json')
      expect(p.exitCode).toBe(3)
      expect(p.json.totals.unreachable).toBe(1)
      expect(p.json.totals.unchanged + p.json.totals.applied).toBe(p.json.totals.leaves - 1)
      expect((await cli('leaf', 'verify', LEAF)).exitCode).toBe(3)
    } finally {
      await cli('sim', 'fault', 'clear', '--all')
    }
  })

  it('rollback restores last-known-good after drift, and --to previous undoes the last push', async () => {
    const before = (await cli('leaf', 'show', LEAF, '--json')).json.running
    // a push that changes something: put one VLAN back on the running config's first interface via drift + push
    await withStore(store =>
      store.tx(() =>
        store.sql(`UPDATE leaf_configs SET running = '{"vnis":{},"vrfs":{},"interfaces":{}}' WHERE leaf = ?`).run(LEAF),
      ),
    )
    const wiped = (await cli('leaf', 'show', LEAF, '--json')).json.running
    const none = await cli('leaf', 'rollback', LEAF, '--dry-run', '--json')
    expect(none.json.status).toBe('planned')
    const rb = await cli('leaf', 'rollback', LEAF, '--json')
    expect(rb.exitCode).toBe(0)
    expect(rb.json.status).toBe('restored')
    expect((await cli('leaf', 'show', LEAF, '--json')).json.running).toEqual(before)
    expect((await cli('leaf', 'rollback', LEAF, '--json')).json.status).toBe('unchanged')
    // make a real push: wipe, push (previous = wiped), then undo it
    await withStore(store =>
      store.tx(() =>
        store.sql(`UPDATE leaf_configs SET running = '{"vnis":{},"vrfs":{},"interfaces":{}}' WHERE leaf = ?`).run(LEAF),
      ),
    )
    expect((await cli('leaf', 'push', LEAF, '--json')).json.leaves[0].status).toBe('applied')
    const undo = await cli('leaf', 'rollback', LEAF, '--to', 'previous', '--json')
    expect(undo.json.status).toBe('restored')
    expect((await cli('leaf', 'show', LEAF, '--json')).json.running).toEqual(wiped)
    const redo = await cli('leaf', 'rollback', LEAF, '--to', 'previous', '--json')
    expect(redo.json.status).toBe('restored')
    expect((await cli('leaf', 'show', LEAF, '--json')).json.running).toEqual(before)
    const fresh = makeHome('fabricctl-leaf-fresh-')
    try {
      const nothing = await runCli(['leaf', 'rollback', LEAF, '--to', 'previous', '--json'], {home: fresh})
      assertMatchesSchema(nothing.json)
      expect(nothing.exitCode).toBe(1)
      expect(nothing.json.status).toBe('no-snapshot')
    } finally {
      fresh.cleanup()
    }
  })

  it("push --port pushes the leaves of the port's host; bad usage exits 2", async () => {
    const port = await withStore(store => store.hostsOnSwitch(LEAF).flatMap(c => store.portsOnHost(c.host))[0]!)
    const r = await cli('leaf', 'push', '--port', port.name, '--json')
    expect(r.exitCode).toBe(0)
    expect(r.json.leaves.map((l: any) => l.leaf).sort()).toEqual(['az1-leaf01a', 'az1-leaf01b'])
    expect((await cli('leaf', 'push', '--json')).exitCode).toBe(2)
    expect((await cli('leaf', 'push', LEAF, '--all')).exitCode).toBe(2)
  })
})

describe('the controller seam (reconcileLeaves) runs the same engine', () => {
  it('pushes synchronously inside a transaction, obeys push-fail with rollback, and records last-known-good', async () => {
    const fx = await buildFabric()
    onTestFinished(() => fx.cleanup())
    {
      const store = fx.store
      const cfg = JSON.stringify(simDesiredLeafConfig(store, LEAF, 'controller'))
      fx.emptyLeaf(LEAF)
      const out = store.tx(() => reconcileLeaves(store, [LEAF, LEAF], {source: 'controller'}))
      expect(out).toHaveLength(1)
      expect(out[0]).toMatchObject({leaf: LEAF, ok: true, changed: true})
      expect(JSON.stringify(store.leafRunning(LEAF))).toBe(cfg)
      expect(JSON.stringify(store.leafLastKnownGood(LEAF))).toBe(cfg)
      // push-fail: half applied, then rolled back to last-known-good
      fx.fault('push-fail', LEAF).emptyLeaf(LEAF)
      const driver = new SimLeafDriver(store, LEAF)
      const r = store.tx(() => runSync(pushSteps(driver, JSON.parse(cfg), new SimSnapshotStore(store))))
      expect(r.status).toBe('failed')
      expect(r.rolledBackTo).toBe('last-known-good')
      expect(JSON.stringify(store.leafRunning(LEAF))).toBe(cfg)
      const failed = reconcileLeaves(store, [LEAF], {source: 'controller'})
      expect(failed[0]).toMatchObject({ok: true, changed: false}) // running already equals desired after the rollback
    }
  })
})
