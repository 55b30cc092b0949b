import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {CAUSE_CODES, CAUSES, FAULT_CAUSE, STEP_IDS} from '../src/lib/diagnose/catalogue.js'
import {groupDiagnoses} from '../src/lib/diagnose/index.js'
import {simAllEvidence, simPortEvidence} from '../src/lib/diagnose/sim.js'
import {diagnosePort} from '../src/lib/diagnose/steps.js'
import type {Diagnosis} from '../src/lib/diagnose/types.js'
import {bindPorts} from '../src/lib/sim/agents.js'
import {FAULT_KIND_NAMES, injectFault} from '../src/lib/sim/faults.js'
import {generateFabric} from '../src/lib/sim/generator.js'
import {PROFILES} from '../src/lib/sim/profiles.js'
import {openDb} from '../src/lib/store/db.js'
import {FabricStore} from '../src/lib/store/fabric-store.js'
import {makeHome, ROOT, runCli, type TestHome} from './helpers/cli.js'
import {assertMatchesSchema} from './helpers/schema.js'

// Lib-level: a private small fabric per test (generated in ~50 ms), diagnosed in-process.
let dir: string
let store: FabricStore
let pristine: string

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabricctl-diag-'))
  pristine = path.join(dir, 'pristine.db')
  const db = await openDb(pristine)
  const s = new FabricStore(db)
  s.tx(() => generateFabric(s, {profile: PROFILES.small, seed: 1, topology: 'spine-leaf'}))
  db.pragma('wal_checkpoint(TRUNCATE)')
  s.close()
})
afterAll(() => fs.rmSync(dir, {recursive: true, force: true}))

let n = 0
beforeEach(async () => {
  const file = path.join(dir, `t${++n}.db`)
  fs.copyFileSync(pristine, file)
  store = new FabricStore(await openDb(file))
})
afterEach(() => store.close())

const diag = (ref: string): Diagnosis => diagnosePort(simPortEvidence(store, ref))
const one = <T>(sql: string, ...args: unknown[]) => store.sql(sql).get(...args) as T
/** A port on a host of this role/plugging (first by name). */
const portOn = (where = `h.role = 'container'`) =>
  one<{name: string; id: string; host: string; network: string}>(
    `SELECT p.name, p.id, p.host, p.network FROM ports p JOIN hosts h ON h.name = p.host WHERE ${where} ORDER BY p.name LIMIT 1`,
  )
const leavesOf = (host: string) =>
  (store.sql('SELECT switch FROM cabling WHERE host = ? ORDER BY nic').all(host) as {switch: string}[]).map(
    r => r.switch,
  )
const stepOf = (d: Diagnosis, id: string) => d.steps.find(s => s.id === id)!

function expectVerdict(d: Diagnosis, cause: string, step: string): void {
  expect(
    d.verdict,
    JSON.stringify(
      d.steps.filter(s => s.status !== 'passed'),
      null,
      1,
    ),
  ).toMatchObject({ok: false, cause, step})
  expect(stepOf(d, step)).toMatchObject({status: 'failed', cause})
  // Every step before it passed or was skipped: it is the *first* failure.
  const idx = d.steps.findIndex(s => s.id === step)
  expect(d.steps.slice(0, idx).every(s => s.status !== 'failed')).toBe(true)
}

describe('catalogue', () => {
  it('maps every simulated fault kind to its own cause code', () => {
    expect(Object.keys(FAULT_CAUSE).sort()).toEqual([...FAULT_KIND_NAMES].sort())
    const codes = Object.values(FAULT_CAUSE).filter(c => c !== null)
    expect(codes.length).toBeGreaterThan(5)
    expect(new Set(codes).size).toBe(codes.length)
    for (const c of codes) expect(CAUSE_CODES).toContain(c)
    for (const c of CAUSE_CODES) expect(STEP_IDS).toContain(CAUSES[c].step)
  })
})

describe('healthy fabric', () => {
  it('every port passes every step (bare metal skips the OVS steps, with the reason)', () => {
    const ds = simAllEvidence(store, {}).map(diagnosePort)
    expect(ds).toHaveLength(40)
    for (const d of ds) {
      expect(d.verdict.ok, `${d.port?.name}: ${d.verdict.message}`).toBe(true)
      expect(d.verdict.state).toBe('ACTIVE_ACTIVE')
      expect(d.steps.map(s => s.id)).toEqual(STEP_IDS)
      expect(d.warnings).toEqual([])
      expect(d.disagreement).toBeNull()
      expect(d.evidence.state).toBe('ACTIVE_ACTIVE')
      const skipped = d.steps.filter(s => s.status === 'skipped')
      const bm = one<{role: string}>('SELECT role FROM hosts WHERE name = ?', d.port!.host).role === 'baremetal'
      expect(skipped.map(s => s.id)).toEqual(bm ? ['agent-alive', 'ovs-running', 'device-attached'] : [])
      for (const s of skipped) expect(s.detail).toMatch(/bare-metal/)
    }
    // Evidence is shown, not just a verdict.
    const d = ds.find(x => stepOf(x, 'device-attached').status === 'passed')!
    expect(stepOf(d, 'device-attached').evidence).toMatchObject({
      device: expect.stringMatching(/^(tap|qvo)/),
      localVlan: expect.any(Number),
    })
    expect(stepOf(d, 'leaf-config').evidence.checked).toHaveLength(2)
  })
})

describe('each fault kind is diagnosed with its cause at the right step', () => {
  it('agent-down: stale heartbeat flagged, state record not trusted, repair is the fault clear', () => {
    const p = portOn()
    const f = injectFault(store, 'agent-down', p.host)
    const d = diag(p.name)
    expectVerdict(d, 'agent-down', 'agent-alive')
    expect(stepOf(d, 'agent-alive').detail).toMatch(/last reported 5 min 0 s ago/)
    expect(d.verdict.repair).toEqual([`fabricctl sim fault clear ${f.id}`])
    expect(d.evidence.underlay).toBe('UNKNOWN')
    // The store still says ACTIVE_ACTIVE (the agent cannot report): unchanged, but not believed.
    expect(d.recorded?.state).toBe('ACTIVE_ACTIVE')
  })

  it('ovs-down', () => {
    const p = portOn()
    injectFault(store, 'ovs-down', p.host)
    const d = diag(p.name)
    expectVerdict(d, 'ovs-down', 'ovs-running')
    expect(d.evidence.underlay).toBe('ERROR')
    expect(d.disagreement?.recorded).toBe('ACTIVE_ACTIVE')
  })

  it('nic-down: one bond leg down is a warning; the port still passes traffic', () => {
    const p = portOn()
    const f = injectFault(store, 'nic-down', p.host)
    const d = diag(p.name)
    expect(d.verdict.ok).toBe(true)
    expect(stepOf(d, 'host-uplinks')).toMatchObject({status: 'warning', cause: 'nic-down'})
    expect(d.warnings).toEqual([
      expect.objectContaining({cause: 'nic-down', step: 'host-uplinks', repair: [`fabricctl sim fault clear ${f.id}`]}),
    ])
    // Both legs down is a failure.
    store.sql('UPDATE cabling SET up = 0 WHERE host = ?').run(p.host)
    expectVerdict(diag(p.name), 'nic-down', 'host-uplinks')
  })

  it('device-missing: underlay evidence DOWN while the store says ACTIVE', () => {
    const p = portOn()
    injectFault(store, 'device-missing', p.name)
    const d = diag(p.name)
    expectVerdict(d, 'device-missing', 'device-attached')
    expect(d.evidence.underlay).toBe('DOWN')
    expect(d.disagreement).toMatchObject({recorded: 'ACTIVE_ACTIVE', evidence: 'DOWN_ACTIVE'})
  })

  it('controller-missing-port', () => {
    const p = portOn()
    const f = injectFault(store, 'controller-missing-port', p.name)
    const d = diag(p.name)
    expectVerdict(d, 'controller-missing-port', 'controller-port')
    expect(d.verdict.repair).toEqual([
      `fabricctl sim fault clear ${f.id}`,
      `fabricctl port bind ${p.name} --host ${p.host}`,
    ])
  })

  it('stale-host-map', () => {
    const p = portOn()
    injectFault(store, 'stale-host-map', p.host)
    const d = diag(p.name)
    expectVerdict(d, 'stale-host-map', 'host-leaf-map')
    expect(d.verdict.message).toMatch(/mapped Ethernet\d+, cabled Ethernet\d+/)
    expect(d.verdict.repair.slice(-2)).toEqual(leavesOf(p.host).map(l => `fabricctl leaf push ${l}`))
  })

  it('leaf-unreachable: evidence could not be read → UNKNOWN', () => {
    const p = portOn()
    const leaf = leavesOf(p.host)[0]!
    injectFault(store, 'leaf-unreachable', leaf)
    const d = diag(p.name)
    expectVerdict(d, 'leaf-unreachable', 'leaves-reachable')
    expect(d.verdict.state).toBe('UNKNOWN')
    // The other leaf of the pair is still checked.
    expect(stepOf(d, 'leaf-config')).toMatchObject({
      status: 'passed',
      evidence: expect.objectContaining({notChecked: [leaf]}),
    })
  })

  it('push-fail: a bind whose push failed leaves overlay ERROR and the leaf without the VLAN', () => {
    // A port moves to a host with no port of its network, under a leaf whose pushes fail.
    const pick = one<{
      name: string
      target: string
    }>(`SELECT p.name, t.name AS target FROM ports p JOIN hosts h ON h.name = p.host, hosts t
      WHERE h.role != 'baremetal' AND t.role != 'baremetal'
        AND h.name IN (SELECT host FROM cabling WHERE switch = 'az1-leaf01a') AND t.name IN (SELECT host FROM cabling WHERE switch = 'az1-leaf02a')
        AND NOT EXISTS (SELECT 1 FROM ports q WHERE q.host = t.name AND q.network = p.network) ORDER BY p.name, t.name LIMIT 1`)
    const mover = {name: pick.name}
    const target = pick.target
    const f = injectFault(store, 'push-fail', 'az1-leaf02a')
    const port = store.findPorts(mover.name)[0]!
    store.tx(() => bindPorts(store, [port], target))
    expect(store.port(port.id)).toMatchObject({host: target, underlay: 'ACTIVE', overlay: 'ERROR'})
    const d = diag(mover.name)
    expectVerdict(d, 'push-failed', 'leaf-config')
    expect(d.verdict.message).toMatch(/az1-leaf02a: VLAN \d+ not on Ethernet\d+/)
    expect(d.verdict.repair).toEqual([`fabricctl sim fault clear ${f.id}`, 'fabricctl leaf push az1-leaf02a'])
    // The partner leaf took the push.
    expect(stepOf(d, 'leaf-config').evidence.problems).toEqual([expect.objectContaining({leaf: 'az1-leaf02a'})])
  })

  it('config-drift: the store says ACTIVE_ACTIVE, the leaf lost the VLAN — the evidence wins', () => {
    const p = portOn()
    const leaf = leavesOf(p.host)[0]!
    const iface = one<{interface: string}>(
      'SELECT interface FROM cabling WHERE host = ? AND switch = ?',
      p.host,
      leaf,
    ).interface
    const vlan = one<{vlan: number}>('SELECT vlan FROM networks WHERE name = ?', p.network).vlan
    injectFault(store, 'config-drift', leaf, {interface: iface, vlan})
    const d = diag(p.name)
    expectVerdict(d, 'config-drift', 'leaf-config')
    expect(d.verdict.repair).toEqual([`fabricctl leaf push ${leaf}`])
    expect(d.recorded?.state).toBe('ACTIVE_ACTIVE')
    expect(d.evidence.state).toBe('ACTIVE_ERROR')
    expect(d.disagreement?.message).toMatch(
      /Recorded ACTIVE_ACTIVE, but the evidence shows ACTIVE_ERROR: the evidence wins/,
    )
    expect(stepOf(d, 'overlay-state').status).toBe('passed')
  })

  it('network-exhausted: an allocation-time fault, reported as a warning on existing ports', () => {
    const p = portOn()
    const f = injectFault(store, 'network-exhausted', p.network)
    const d = diag(p.name)
    expect(d.verdict.ok).toBe(true)
    expect(stepOf(d, 'network-capacity')).toMatchObject({
      status: 'warning',
      cause: 'network-exhausted',
      evidence: {free: 0},
    })
    expect(d.warnings[0]!.repair).toEqual([`fabricctl sim fault clear ${f.id}`])
  })
})

describe('other causes', () => {
  it('a stale recorded state (BUILD_BUILD with the device wired and leaves configured) is caught', () => {
    const p = portOn()
    store.setPortState(p.id, 'BUILD', 'BUILD')
    const d = diag(p.name)
    expectVerdict(d, 'underlay-pending', 'underlay-state')
    expect(d.verdict.message).toMatch(/record is stale/)
    expect(d.disagreement).toMatchObject({recorded: 'BUILD_BUILD', evidence: 'ACTIVE_ACTIVE'})
    expect(stepOf(d, 'overlay-state').cause).toBe('overlay-pending')
  })

  it('unbound port: the bind repair names the instance host', () => {
    const p = portOn()
    store.sql(`UPDATE ports SET host = NULL, underlay = 'DOWN', overlay = 'DOWN' WHERE id = ?`).run(p.id)
    const d = diag(p.name)
    expectVerdict(d, 'port-unbound', 'port-bound')
    expect(d.verdict.repair).toEqual([`fabricctl port bind ${p.name} --host ${p.host}`])
    expect(stepOf(d, 'ovs-running')).toMatchObject({status: 'skipped', detail: 'the port is not bound to a host'})
    expect(stepOf(d, 'duplicate-ip').status).toBe('passed')
  })

  it('dead VLAN 4095 and a local VLAN shared with another network', () => {
    const p = portOn()
    store.sql('UPDATE ovs_ports SET local_vlan = 4095 WHERE port_id = ?').run(p.id)
    expect(stepOf(diag(p.name), 'device-attached').detail).toMatch(/dead VLAN/)
    expectVerdict(diag(p.name), 'device-vlan-wrong', 'device-attached')
    const other = one<{local_vlan: number}>(
      `SELECT o.local_vlan FROM ovs_ports o JOIN ports q ON q.id = o.port_id WHERE o.host = ? AND q.network != ? LIMIT 1`,
      p.host,
      p.network,
    )
    if (other) {
      store.sql('UPDATE ovs_ports SET local_vlan = ? WHERE port_id = ?').run(other.local_vlan, p.id)
      expect(diag(p.name).verdict.message).toMatch(/leak|use/)
      expect(diag(p.name).verdict.cause).toBe('device-vlan-wrong')
    }
  })

  it('port gone from the store with traces left (controller, br-int) → port-not-found; nothing anywhere → exit-2 error', () => {
    const p = portOn()
    store.sql('DELETE FROM ports WHERE id = ?').run(p.id)
    const d = diag(p.id)
    expectVerdict(d, 'port-not-found', 'port-exists')
    expect(d.verdict.message).toMatch(/controller still has it.*br-int/)
    expect(d.steps.slice(1).every(s => s.status === 'skipped')).toBe(true)
    expect(() => diag('no-such-port')).toThrow(/No port named "no-such-port"/)
  })

  it('leftover config: a leaf interface still carries a network for a host without a port of it', () => {
    // A host's only port of a network is unbound behind the controller's back: the leaves keep the VLAN.
    const lone = one<{id: string; host: string; network: string}>(
      `SELECT id, host, network FROM ports WHERE host IS NOT NULL GROUP BY host, network HAVING count(*) = 1 ORDER BY host LIMIT 1`,
    )
    store.sql(`UPDATE ports SET host = NULL, underlay = 'DOWN', overlay = 'DOWN' WHERE id = ?`).run(lone.id)
    const other = one<{name: string}>(
      'SELECT name FROM ports WHERE network = ? AND host IS NOT NULL AND host != ? LIMIT 1',
      lone.network,
      lone.host,
    )
    const d = diag(other.name)
    expect(d.verdict.ok).toBe(true)
    const st = stepOf(d, 'leftover-config')
    expect(st).toMatchObject({status: 'warning', cause: 'leftover-config'})
    expect((st.evidence.leftovers as {host: string}[]).map(x => x.host)).toEqual([lone.host, lone.host])
    expect(d.warnings[0]!.repair).toEqual(leavesOf(lone.host).map(l => `fabricctl leaf push ${l}`))
  })

  it('duplicate IP in the same VRF', () => {
    const p = one<{name: string; ip: string; network: string}>(
      `SELECT name, ip, network FROM ports WHERE network = 'prod-a' LIMIT 1`,
    )
    const net = one<{cidr: string; gateway: string; tenant: string; az: string}>(
      'SELECT * FROM networks WHERE name = ?',
      p.network,
    )
    store
      .sql(
        `INSERT INTO networks(id, name, az, tenant, cidr, gateway, vlan, l2_vni) VALUES ('dup-net', 'prod-a-copy', ?, ?, ?, ?, 999, 99999)`,
      )
      .run(net.az, net.tenant, net.cidr, net.gateway)
    store
      .sql(
        `INSERT INTO ports(id, name, network, ip, ip_num, mac, host, instance, underlay, overlay, created_at, updated_at)
      VALUES ('dup-port', 'dup-port', 'prod-a-copy', ?, 0, 'fa:16:3e:ff:ff:ff', NULL, NULL, 'DOWN', 'DOWN', '2026-01-01', '2026-01-01')`,
      )
      .run(p.ip)
    const d = diag(p.name)
    expectVerdict(d, 'duplicate-ip', 'duplicate-ip')
    expect(stepOf(d, 'duplicate-ip').evidence.sameIp).toEqual([
      {id: 'dup-port', name: 'dup-port', network: 'prod-a-copy'},
    ])
  })
})

describe('--all groups by cause (lib)', () => {
  it('bulk evidence gives the same verdicts as one-by-one, grouped by cause', () => {
    const a = portOn(`h.name = 'az1-h01'`)
    const b = portOn(`h.name = 'az1-h06'`)
    injectFault(store, 'agent-down', a.host)
    injectFault(store, 'controller-missing-port', b.name)
    const all = simAllEvidence(store, {}).map(diagnosePort)
    const noAge = (d: Diagnosis) => JSON.stringify(d).replaceAll(/"ageMs":\d+|\d+ s ago|\d{4}-\d\d-\d\dT[\d:.]+Z/g, '')
    for (const d of all) expect(noAge(d)).toBe(noAge(diag(d.port!.name)))
    const r = groupDiagnoses(all)
    const onA = (store.sql('SELECT name FROM ports WHERE host = ? ORDER BY name').all(a.host) as {name: string}[]).map(
      x => x.name,
    )
    expect(r.groups.find(g => g.cause === 'agent-down')).toMatchObject({
      count: onA.length,
      ports: onA,
      recorded: {ACTIVE_ACTIVE: onA.length},
    })
    expect(r.groups.find(g => g.cause === 'controller-missing-port')).toMatchObject({count: 1, ports: [b.name]})
    expect(r).toMatchObject({
      total: 40,
      active: 40 - onA.length - 1,
      notActive: onA.length + 1,
      unknown: 0,
      staleRecords: onA.length + 1,
    })
    // --state and --az scope it.
    store.setPortState(b.id, 'ACTIVE', 'BUILD')
    expect(simAllEvidence(store, {state: 'ACTIVE_BUILD'}).map(e => e.port!.name)).toEqual([b.name])
    expect(simAllEvidence(store, {az: 'az1', state: 'ERROR_ERROR'})).toEqual([])
  })
})

describe('CLI', () => {
  let home: TestHome
  beforeEach(() => {
    home = makeHome()
  })
  afterEach(() => home.cleanup())

  it('diagnoses one port: human and JSON, exit 0 / 1 / 3 / 2', async () => {
    expect((await runCli(['sim', 'init'], {home})).exitCode).toBe(0)
    const list = await runCli(['port', 'diagnose', '--all', '--json'], {home})
    expect(list.exitCode).toBe(0)
    assertMatchesSchema(list.json)
    expect(list.json).toMatchObject({kind: 'PortDiagnosisReport', total: 40, active: 40, groups: []})
    const ok = await runCli(['port', 'diagnose', 'search-az1-000001'], {home})
    expect(ok.exitCode).toBe(0)
    expect(ok.stdout).toMatch(/^ 1 {2}ok {4}port-exists/m)
    expect(ok.stdout).toMatch(/Verdict: ACTIVE_ACTIVE/)
    await runCli(['sim', 'fault', 'inject', 'config-drift', '--target', 'az1-leaf01a', '--interface', 'Ethernet1'], {
      home,
    })
    const bad = await runCli(['port', 'diagnose', 'search-az1-000001', '--json'], {home})
    expect(bad.exitCode).toBe(1)
    assertMatchesSchema(bad.json)
    expect(bad.json.diagnosis.verdict).toMatchObject({
      cause: 'config-drift',
      step: 'leaf-config',
      repair: ['fabricctl leaf push az1-leaf01a'],
    })
    const human = await runCli(['port', 'diagnose', 'search-az1-000001'], {home})
    expect(human.stdout).toMatch(/Verdict: NOT ACTIVE — config-drift at step 12 leaf-config/)
    expect(human.stdout).toMatch(/Record disagrees: Recorded ACTIVE_ACTIVE, but the evidence shows ACTIVE_ERROR/)
    expect(human.stdout).toMatch(/Repair:\n {2}fabricctl leaf push az1-leaf01a/)
    await runCli(['sim', 'fault', 'inject', 'leaf-unreachable', '--target', 'az1-leaf02a'], {home})
    const unk = await runCli(['port', 'diagnose', 'pricing-az1-000023', '--json'], {home})
    expect(unk.exitCode).toBe(3)
    expect(unk.json.diagnosis.verdict).toMatchObject({state: 'UNKNOWN', cause: 'leaf-unreachable'})
    // --all: groups, exit 1 (a port failed outright beats unknown).
    const all = await runCli(['port', 'diagnose', '--all', '--json'], {home})
    expect(all.exitCode).toBe(1)
    assertMatchesSchema(all.json)
    const byCause = Object.fromEntries(all.json.groups.map((g: any) => [g.cause, g.count]))
    const onLeaf01aIface1 = 1 // the host behind Ethernet1 on az1-leaf01a is az1-h01
    expect(Object.keys(byCause).sort()).toEqual(['config-drift', 'leaf-unreachable'])
    expect(all.json.active + all.json.notActive + all.json.unknown).toBe(40)
    expect(byCause['config-drift']).toBeGreaterThanOrEqual(onLeaf01aIface1)
    const humanAll = await runCli(['port', 'diagnose', '--all', '--az', 'az1'], {home})
    expect(humanAll.stdout).toMatch(/^CAUSE\s+STEP\s+PORTS/m)
    expect(humanAll.stdout).toMatch(/config-drift\s+leaf-config/)
    for (const args of [
      ['port', 'diagnose', 'nope'],
      ['port', 'diagnose'],
      ['port', 'diagnose', '--all', '--state', 'GOOD'],
      ['port', 'diagnose', 'x', '--all'],
      ['port', 'diagnose', '--all', '--az', 'az9'],
    ]) {
      const r = await runCli([...args, '--json'], {home})
      expect(r.exitCode, args.join(' ')).toBe(2)
      expect(r.json.kind).toBe('Error')
    }
  })

  it('--help documents the steps and every cause code; the JSON Schema has them as an enum', async () => {
    const help = await runCli(['port', 'diagnose', '--help'], {home})
    expect(help.exitCode).toBe(0)
    for (const c of CAUSE_CODES) expect(help.stdout).toContain(c)
    for (const s of STEP_IDS) expect(help.stdout).toContain(s)
    const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schemas', 'PortDiagnosis.schema.json'), 'utf8'))
    const text = JSON.stringify(schema)
    expect(text).toContain(JSON.stringify(CAUSE_CODES))
  })
})
