import path from 'node:path'
import Database from 'better-sqlite3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {makeHome, runCli, type TestHome} from './helpers/cli.js'
import {assertMatchesSchema} from './helpers/schema.js'
import {storeFingerprint} from './helpers/store-fingerprint.js'

/**
 * Drift fencing of `port migrate` (issue 17 part 2) on the simulated fabric: the old host is read
 * before and after the move (its devices with the port's iface-id), a device left there is removed
 * only when it was plugged for the port, an unreadable old host refuses the move, and the leaves
 * must learn the MAC only on the new host's interfaces.
 */
let home: TestHome
let db: Database.Database
const cli = async (...args: string[]) => {
  const r = await runCli([...args, '--json'], {home})
  if (r.json) assertMatchesSchema(r.json)
  return r
}
const all = <T>(sql: string, ...args: unknown[]) => db.prepare(sql).all(...args) as T[]
const fingerprint = () => storeFingerprint(db)
const devicesOf = (portId: string) =>
  all<{host: string; device: string}>('SELECT host, device FROM ovs_ports WHERE port_id = ? ORDER BY host', portId)
/** The leaf interfaces a host is cabled to, from the cabling table (not from the code under test). */
const cablingOf = (host: string) =>
  all<{sw: string; iface: string}>(
    'SELECT switch AS sw, interface AS iface FROM cabling WHERE host = ? ORDER BY switch',
    host,
  ).map(c => `${c.sw}:${c.iface}`)

let a: string
let b: string
const NET = 'suba-prod'

beforeAll(async () => {
  home = makeHome()
  expect((await runCli(['sim', 'init'], {home})).exitCode).toBe(0)
  db = new Database(path.join(home.dir, 'sim.db'), {readonly: true})
  // Two container hosts behind different leaf pairs, neither holding a port of NET.
  const hosts = all<{host: string; leaf: string}>(
    `SELECT m.host, m.leaf FROM controller_host_map m JOIN hosts h ON h.name = m.host
     WHERE h.role = 'container' AND NOT EXISTS (SELECT 1 FROM ports p WHERE p.host = h.name AND p.network = ?) ORDER BY m.leaf, m.host`,
    NET,
  )
  a = hosts[0]!.host
  b = hosts.find(x => !x.leaf.startsWith(hosts[0]!.leaf.slice(0, -1)))!.host
  expect(a).not.toBe(b)
})
afterAll(() => {
  db.close()
  home.cleanup()
})

const fenceIds = (r: any) => r.json.plan.steps.map((s: any) => s.id).filter((id: string) => id.startsWith('fence'))

describe('port migrate: drift fencing (sim)', () => {
  it('a clean move: the old host has no device left, the leaves learn the MAC only on the new host', async () => {
    const p = (await cli('port', 'allocate', '--label', 'sub-a-prod', '--name', 'fence-clean', '--host', a)).json
      .ports[0]
    const onA = devicesOf(p.id)
    expect(onA.map(d => d.host)).toEqual([a])
    const r = await cli('port', 'migrate', 'fence-clean', '--to-host', b, '--fence-wait', '0')
    expect(r.exitCode).toBe(0)
    expect(r.json.fence).toMatchObject({oldHost: a, newHost: b, status: 'clean', codes: [], warnings: []})
    expect(r.json.fence.before).toMatchObject({read: true, devices: [onA[0]!.device]})
    expect(devicesOf(p.id)).toEqual([{host: b, device: expect.any(String)}])
    expect(r.json.fence.leaves.status).toBe('clean')
    const seen = r.json.fence.leaves.seen.map((s: any) => `${s.leaf}:${s.interface}`).sort()
    expect(seen).toEqual(cablingOf(b))
    expect(r.json.fence.leaves.seen.every((s: any) => s.where === 'new-host')).toBe(true)
    expect(fenceIds(r)).toEqual([`fence-read:${a}`, `fence-unwire:${a}`, 'fence-leaves'])
    await cli('port', 'release', 'fence-clean')
  }, 120_000)

  it('dry run: the plan shows the fence steps around the move and nothing changes', async () => {
    await cli('port', 'allocate', '--label', 'sub-a-prod', '--name', 'fence-dry', '--host', a)
    const before = fingerprint()
    const r = await cli('port', 'migrate', 'fence-dry', '--to-host', b, '--dry-run')
    expect(r.exitCode).toBe(0)
    expect(r.json.fence.status).toBe('planned')
    const ids = r.json.plan.steps.map((s: any) => s.id)
    expect(ids[0]).toBe(`fence-read:${a}`)
    expect(ids.slice(-2)).toEqual([`fence-unwire:${a}`, 'fence-leaves'])
    expect(fingerprint()).toBe(before)
    const human = await runCli(['port', 'migrate', 'fence-dry', '--to-host', b, '--dry-run'], {home})
    expect(human.stdout).toContain(`fencing (old host ${a}): planned`)
    expect(human.stdout).toContain(`read ${a}'s OVS`)
    await cli('port', 'release', 'fence-dry')
  }, 120_000)

  it('a stale device plugged for the port is removed from the old host', async () => {
    const p = (await cli('port', 'allocate', '--label', 'sub-a-prod', '--name', 'fence-stale', '--host', a)).json
      .ports[0]
    expect((await cli('sim', 'fault', 'inject', 'stale-device', '--target', 'fence-stale')).exitCode).toBe(0)
    const r = await cli('port', 'migrate', 'fence-stale', '--to-host', b, '--fence-wait', '0')
    expect(r.exitCode).toBe(0)
    expect(r.json.fence.status).toBe('unwired')
    expect(r.json.fence.devices).toEqual([
      expect.objectContaining({ours: true, action: 'unplugged', bridge: 'br-int', attachedMac: p.mac}),
    ])
    expect(devicesOf(p.id).map(d => d.host)).toEqual([b])
    expect(r.json.fence.leaves.status).toBe('clean')
    await cli('sim', 'fault', 'clear', 'all')
    await cli('port', 'release', 'fence-stale')
  }, 120_000)

  it('a device not plugged for the port is left and reported: OLD_HOST_STILL_WIRED, exit 3; the MAC on the old leaf port too', async () => {
    const p = (await cli('port', 'allocate', '--label', 'sub-a-prod', '--name', 'fence-foreign', '--host', a)).json
      .ports[0]
    // Another port of the network stays on the old host: its leaf port keeps the VLAN, so the stale device's MAC is learned there.
    await cli('port', 'allocate', '--label', 'sub-a-prod', '--name', 'fence-anchor', '--host', a)
    expect((await cli('sim', 'fault', 'inject', 'stale-foreign-device', '--target', 'fence-foreign')).exitCode).toBe(0)
    const r = await cli('port', 'migrate', 'fence-foreign', '--to-host', b, '--fence-wait', '1s')
    expect(r.exitCode).toBe(3)
    expect(r.json.after).toMatchObject({host: b, ip: p.ip, mac: p.mac})
    expect(r.json.fence.status).toBe('still-wired')
    expect(r.json.fence.codes).toEqual(['OLD_HOST_STILL_WIRED', 'OLD_HOST_MAC_ON_LEAF'])
    expect(r.json.fence.devices).toEqual([expect.objectContaining({ours: false, action: 'left', attachedMac: null})])
    expect(r.json.fence.reason).toContain(a)
    // Left alone: the device is still on the old host.
    expect(
      devicesOf(p.id)
        .map(d => d.host)
        .sort(),
    ).toEqual([a, b].sort())
    expect(r.json.fence.leaves.status).toBe('stale')
    const stale = r.json.fence.leaves.seen
      .filter((s: any) => s.where === 'old-host')
      .map((s: any) => `${s.leaf}:${s.interface}`)
    expect(stale.sort()).toEqual(cablingOf(a))
    expect(r.json.fence.leaves.waitedMs).toBeGreaterThanOrEqual(900)
    await cli('sim', 'fault', 'clear', 'all')
    await cli('port', 'release', 'fence-foreign', 'fence-anchor')
  }, 120_000)

  it('an unreachable old host refuses the move (exit 4, nothing changed); --fence-unreachable moves it with a warning', async () => {
    const p = (await cli('port', 'allocate', '--label', 'sub-a-prod', '--name', 'fence-cut', '--host', a)).json.ports[0]
    expect((await cli('sim', 'fault', 'inject', 'old-host-unreachable', '--target', a)).exitCode).toBe(0)
    const before = fingerprint()
    const refused = await cli('port', 'migrate', 'fence-cut', '--to-host', b)
    expect(refused.exitCode).toBe(4)
    expect(refused.json.error.code).toBe('OLD_HOST_UNREACHABLE')
    expect(refused.json.error.message).toContain('Nothing was changed')
    expect(refused.json.error.hint).toContain('--fence-unreachable')
    expect(fingerprint()).toBe(before)
    const dry = await cli('port', 'migrate', 'fence-cut', '--to-host', b, '--dry-run')
    expect(dry.exitCode).toBe(4)

    const r = await cli('port', 'migrate', 'fence-cut', '--to-host', b, '--fence-unreachable', '--fence-wait', '0')
    expect(r.exitCode).toBe(0)
    expect(r.json.after.host).toBe(b)
    expect(r.json.fence).toMatchObject({status: 'unknown', fenceUnreachable: true, codes: ['OLD_HOST_UNREAD']})
    expect(r.json.fence.before.read).toBe(false)
    expect(r.json.fence.warnings.join(' ')).toContain('--fence-unreachable')
    // The cut-off host keeps its device: exactly the risk the flag documents.
    expect(
      devicesOf(p.id)
        .map(d => d.host)
        .sort(),
    ).toEqual([a, b].sort())
    await cli('sim', 'fault', 'clear', 'all')
    await cli('port', 'release', 'fence-cut')
  }, 120_000)
})
