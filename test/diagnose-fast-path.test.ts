import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {groupDiagnoses} from '../src/lib/diagnose/index.js'
import {simEvidenceStream} from '../src/lib/diagnose/sim.js'
import {diagnosePort, verdictOf} from '../src/lib/diagnose/steps.js'
import type {PortVerdict} from '../src/lib/diagnose/types.js'
import {FAULT_KIND_NAMES, injectFault} from '../src/lib/sim/faults.js'
import {generateFabric} from '../src/lib/sim/generator.js'
import {type AzPlan, type Profile, PROFILES} from '../src/lib/sim/profiles.js'
import type {Topology} from '../src/lib/model/types.js'
import {openDb} from '../src/lib/store/db.js'
import {FabricStore} from '../src/lib/store/fabric-store.js'

// Issue 16: `port diagnose --all` gives a port its verdict without the full walk when the gatherer's index
// shows it clean. The fast path must give every port exactly what the full path gives: both run here over a
// fabric with faults injected (and evidence changed behind the faults' back), compared port by port.

// The small profile's AZ, three times the hosts, in two AZs (~240 ports): room for a fault of every kind and for
// ports that none touches.
const az = (name: string): AzPlan => {
  const a = PROFILES.small.azs[0]!
  return {...a, name, hosts: 30, instances: 120, networks: a.networks.map(x => ({...x, name: `${name}-${x.name}`}))}
}
const PROFILE: Profile = {...PROFILES.small, azs: [az('az1'), az('az2')]}

let dir: string
const pristine: Record<Topology, string> = {'spine-leaf': '', hierarchical: ''}
let store: FabricStore

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabricctl-fast-'))
  for (const topology of ['spine-leaf', 'hierarchical'] as const) {
    pristine[topology] = path.join(dir, `${topology}.db`)
    const db = await openDb(pristine[topology])
    const s = new FabricStore(db)
    s.tx(() => generateFabric(s, {profile: PROFILE, seed: 1, topology}))
    db.pragma('wal_checkpoint(TRUNCATE)')
    s.close()
  }
})
afterAll(() => fs.rmSync(dir, {recursive: true, force: true}))

let n = 0
const open = async (topology: Topology) => {
  const file = path.join(dir, `t${++n}.db`)
  fs.copyFileSync(pristine[topology], file)
  // One fixed clock: both paths judge agent heartbeats against the same "now" (the messages quote the age).
  const now = new Date()
  store = new FabricStore(await openDb(file), () => now)
}
beforeEach(() => open('spine-leaf'))
afterEach(() => store.close())

/** Both paths over the whole fabric: the fast verdicts, the full ones, and how many ports took the fast path. */
function bothPaths(scope: {az?: string; state?: string} = {}): {
  fast: PortVerdict[]
  full: PortVerdict[]
  clean: number
} {
  const fastEv = [...simEvidenceStream(store, scope)]
  const full = [...simEvidenceStream(store, {...scope, full: true})].map(e => {
    if ('clean' in e) throw new Error('the full path handed a clean port')
    const {steps: _steps, ...rest} = diagnosePort(e)
    return rest
  })
  return {fast: fastEv.map(verdictOf).map(stripSteps), full, clean: fastEv.filter(e => 'clean' in e).length}
}
const stripSteps = (d: PortVerdict): PortVerdict => {
  const {steps: _steps, ...rest} = d as PortVerdict & {steps?: unknown}
  return rest
}

function expectSame({fast, full}: {fast: PortVerdict[]; full: PortVerdict[]}): void {
  expect(fast.map(d => d.ref)).toEqual(full.map(d => d.ref))
  for (let i = 0; i < full.length; i++) expect(fast[i], full[i]!.ref).toEqual(full[i])
  expect(groupDiagnoses(fast)).toEqual(groupDiagnoses(full))
}

const one = <T>(sql: string, ...args: unknown[]) => store.sql(sql).get(...args) as T
const ports = (where: string) =>
  store
    .sql(
      `SELECT p.name, p.id, p.host, p.network, p.ip FROM ports p JOIN hosts h ON h.name = p.host WHERE ${where} ORDER BY p.name`,
    )
    .all() as {name: string; id: string; host: string; network: string; ip: string}[]

describe('diagnose --all fast path', () => {
  it('a healthy fabric: every port takes the fast path, with the verdict the full walk gives', () => {
    const r = bothPaths()
    expect(r.full).toHaveLength(240)
    expect(r.clean).toBe(240)
    expectSame(r)
  })

  it('every fault kind injected, and evidence changed behind the faults: the same verdict for every port', () => {
    const vm = ports(`h.role != 'baremetal'`)
    const hosts = [...new Set(vm.map(p => p.host))]
    const leafOf = (host: string) =>
      one<{switch: string; interface: string}>(
        'SELECT switch, interface FROM cabling WHERE host = ? ORDER BY nic LIMIT 1',
        host,
      )
    // Faults through the simulator (as `sim fault inject`), one of every kind: hosts, ports, leaves, a network.
    injectFault(store, 'agent-down', hosts[0]!)
    injectFault(store, 'ovs-down', hosts[1]!)
    injectFault(store, 'nic-down', hosts[2]!)
    injectFault(store, 'stale-host-map', hosts[3]!)
    const byHost = (h: string) => vm.find(p => p.host === h)!
    const others = vm.filter(p => !hosts.slice(0, 4).includes(p.host))
    injectFault(store, 'device-missing', others[0]!.name)
    injectFault(store, 'controller-missing-port', others[1]!.name)
    injectFault(store, 'network-exhausted', others[2]!.network)
    const driftHost = others[3]!.host
    const drift = leafOf(driftHost)
    const vlan = one<{vlan: number}>('SELECT vlan FROM networks WHERE name = ?', others[3]!.network).vlan
    injectFault(store, 'config-drift', drift.switch, {interface: drift.interface, vlan})
    injectFault(store, 'push-fail', leafOf(others[4]!.host).switch)
    injectFault(store, 'old-host-unreachable', others[5]!.host)
    injectFault(store, 'stale-device', others[6]!.name)
    injectFault(store, 'stale-foreign-device', others[7]!.name)
    const lastAz = one<{az: string}>('SELECT az FROM hosts WHERE name = ?', others.at(-1)!.host).az
    const unreachable = one<{name: string}>(
      `SELECT name FROM switches WHERE role = 'leaf' AND az = ? ORDER BY name DESC LIMIT 1`,
      lastAz,
    ).name
    injectFault(store, 'leaf-unreachable', unreachable)
    expect(new Set(store.sql('SELECT kind FROM faults').pluck().all())).toEqual(new Set(FAULT_KIND_NAMES))
    // Evidence changed without a fault row, on ports no fault names (nor their network, host or leaves): only the
    // fast path's own checks can see these. Each on its own host.
    const targets = new Set((store.sql('SELECT target FROM faults').pluck().all() as string[]).map(String))
    const seen = new Set<string>()
    const quiet = others.filter(p => {
      const leaves = (store.sql('SELECT switch FROM cabling WHERE host = ?').pluck().all(p.host) as string[]).map(
        String,
      )
      const untouched = ![p.id, p.network, p.host, ...leaves].some(t => targets.has(t)) && !seen.has(p.host)
      if (untouched) seen.add(p.host)
      return untouched
    })
    const alone = (p: {host: string; network: string}) =>
      one<{n: number}>(
        'SELECT count(*) AS n FROM ovs_ports o JOIN ports q ON q.id = o.port_id WHERE o.host = ? AND q.network = ?',
        p.host,
        p.network,
      ).n === 1
    const sharesHost = (p: {host: string; network: string}) =>
      one(
        'SELECT 1 FROM ovs_ports o JOIN ports q ON q.id = o.port_id WHERE o.host = ? AND q.network != ?',
        p.host,
        p.network,
      ) !== undefined
    const take = (pred: (p: (typeof quiet)[number]) => boolean = () => true) => {
      const i = quiet.findIndex(pred)
      expect(i, 'enough untouched hosts').toBeGreaterThanOrEqual(0)
      return quiet.splice(i, 1)[0]!
    }
    // A duplicate IP first: its twin (another port of the network) is broken too and must not be picked below.
    const dupIp = take()
    const twin = ports(`p.network = '${dupIp.network}' AND p.id != '${dupIp.id}'`)[0]!
    store.sql('UPDATE ports SET ip = ? WHERE id = ?').run(dupIp.ip, twin.id)
    if (quiet.some(p => p.host === twin.host)) take(p => p.host === twin.host)
    // Device steps: the only device of its network on its host with the dead VLAN; another with the local VLAN
    // of another network's device on its host (a leak); one gone.
    const badTag = take(alone)
    store.sql('UPDATE ovs_ports SET local_vlan = 4095 WHERE port_id = ?').run(badTag.id)
    const leak = take(p => alone(p) && sharesHost(p))
    const tag = one<{local_vlan: number}>(
      'SELECT o.local_vlan FROM ovs_ports o JOIN ports q ON q.id = o.port_id WHERE o.host = ? AND q.network != ? LIMIT 1',
      leak.host,
      leak.network,
    ).local_vlan
    store.sql('UPDATE ovs_ports SET local_vlan = ? WHERE port_id = ?').run(tag, leak.id)
    const split = take(p => !alone(p))
    store.sql('UPDATE ovs_ports SET local_vlan = 3999 WHERE port_id = ?').run(split.id)
    const noDevice = take()
    store.sql('DELETE FROM ovs_ports WHERE port_id = ?').run(noDevice.id)
    // Recorded state, controller record, agent heartbeat.
    const stale = take()
    store.setPortState(stale.id, 'BUILD', 'ACTIVE')
    const ctlDiffers = take()
    store.sql(`UPDATE controller_ports SET mac = 'fa:16:3e:ff:ff:ff' WHERE port_id = ?`).run(ctlDiffers.id)
    const ctlHost = take()
    store.sql(`UPDATE controller_ports SET host = 'az9-h99' WHERE port_id = ?`).run(ctlHost.id)
    const oldBeat = take()
    store
      .sql('UPDATE hosts SET agent_alive = 0, agent_heartbeat_at = ? WHERE name = ?')
      .run('2020-01-01T00:00:00.000Z', oldBeat.host)
    // Host level: one bond leg down (a warning), a controller map entry that disagrees with the cabling, a leaf
    // interface without the port's VLAN.
    const legDown = take()
    store.sql(`UPDATE cabling SET up = 0 WHERE host = ? AND nic = 'eth1'`).run(legDown.host)
    const unmapped = take()
    store
      .sql(`DELETE FROM controller_host_map WHERE host = ? AND leaf = ?`)
      .run(unmapped.host, leafOf(unmapped.host).switch)
    const uncabled = take()
    const farLeaf = one<{name: string}>(
      `SELECT name FROM switches WHERE role = 'leaf' AND name NOT IN (SELECT switch FROM cabling WHERE host = ?) LIMIT 1`,
      uncabled.host,
    ).name
    store
      .sql(`INSERT INTO controller_host_map(host, leaf, interface) VALUES (?, ?, 'Ethernet99')`)
      .run(uncabled.host, farLeaf)
    const noVlan = take()
    const cab = leafOf(noVlan.host)
    const running = store.leafRunning(cab.switch)!
    const noVlanVlan = one<{vlan: number}>('SELECT vlan FROM networks WHERE name = ?', noVlan.network).vlan
    running.interfaces[cab.interface]!.vlans = running.interfaces[cab.interface]!.vlans.filter(v => v !== noVlanVlan)
    store.sql('UPDATE leaf_configs SET running = ? WHERE leaf = ?').run(JSON.stringify(running), cab.switch)
    const r = bothPaths()
    expectSame(r)
    // Not vacuous: some ports took the fast path, and none of those that the full walk finds broken or warned.
    const bad = r.full.filter(d => !d.verdict.ok || d.warnings.length > 0)
    expect(r.clean).toBeGreaterThan(0)
    expect(bad.length).toBeGreaterThan(8)
    expect(r.clean).toBeLessThanOrEqual(r.full.length - bad.length)
    const broken = new Set(r.full.filter(d => !d.verdict.ok).map(d => d.ref))
    for (const p of [
      stale,
      noDevice,
      badTag,
      leak,
      split,
      ctlDiffers,
      ctlHost,
      dupIp,
      oldBeat,
      unmapped,
      uncabled,
      noVlan,
      byHost(hosts[1]!),
    ])
      expect(broken, p.name).toContain(p.name)
    expect(r.full.find(d => d.ref === legDown.name)?.warnings.map(w => w.cause)).toEqual(['nic-down'])
    // Scoped runs agree too.
    expectSame(bothPaths({az: lastAz}))
    expectSame(bothPaths({state: 'ACTIVE_ACTIVE'}))
  })

  it('a leftover VLAN on a leaf (a warning for every port of that network): the full path', () => {
    const p = ports(`h.role != 'baremetal'`)[0]!
    const leaf = one<{switch: string}>('SELECT switch FROM cabling WHERE host = ? ORDER BY nic LIMIT 1', p.host).switch
    const vlan = one<{vlan: number}>('SELECT vlan FROM networks WHERE name = ?', p.network).vlan
    const running = store.leafRunning(leaf)!
    // An interface of the leaf whose host has no port of the network carries its VLAN.
    const iface = Object.keys(running.interfaces).find(i => !running.interfaces[i]!.vlans.includes(vlan))!
    running.interfaces[iface]!.vlans.push(vlan)
    store.sql('UPDATE leaf_configs SET running = ? WHERE leaf = ?').run(JSON.stringify(running), leaf)
    const r = bothPaths()
    expectSame(r)
    expect(r.full.filter(d => d.warnings.some(w => w.cause === 'leftover-config')).length).toBeGreaterThan(0)
  })

  it('a network filled to its last address (no fault row): a warning for its ports, the full path', () => {
    const net = one<{name: string; cidr: string}>(
      `SELECT n.name, n.cidr FROM networks n WHERE n.name LIKE '%suba-prod' ORDER BY n.name LIMIT 1`,
    )
    const used = new Set(store.sql('SELECT ip_num FROM ports WHERE network = ?').pluck().all(net.name) as number[])
    const [base, bits] = net.cidr.split('/')
    const first = base!.split('.').reduce((a, o) => a * 256 + Number(o), 0)
    const gw = one<{gateway: string}>('SELECT gateway FROM networks WHERE name = ?', net.name).gateway
    const ins =
      store.sql(`INSERT INTO ports(id, name, network, ip, ip_num, mac, host, instance, underlay, overlay, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, 'DOWN', 'DOWN', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`)
    const ip = (k: number) => [k >>> 24, (k >>> 16) & 255, (k >>> 8) & 255, k & 255].join('.')
    let k = 0
    for (let a = first + 1; a < first + 2 ** (32 - Number(bits)) - 1; a++) {
      if (used.has(a) || ip(a) === gw) continue
      k++
      ins.run(
        `00000000-0000-4000-8000-${String(k).padStart(12, '0')}`,
        `filler-${k}`,
        net.name,
        ip(a),
        a,
        `fa:16:3e:ee:00:${k.toString(16).padStart(2, '0')}`,
      )
    }
    const r = bothPaths()
    expectSame(r)
    const full = r.full.filter(d => d.warnings.some(w => w.cause === 'network-exhausted'))
    expect(full.length).toBeGreaterThan(0)
  })

  it('a hierarchical fabric: no port is taken as clean (no leaf overlay to prove), the verdicts agree', async () => {
    store.close()
    await open('hierarchical')
    const r = bothPaths()
    expect(r.clean).toBe(0)
    expectSame(r)
  })
})
