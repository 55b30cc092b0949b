import {randomBytes} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/cli.js'
import {assertMatchesSchema} from '../helpers/schema.js'
import {LAB_CONFIG, LAB_RUN, type LabInventory, labSkipNote, labSsh, run, useLab} from './lab.js'

/**
 * Drift fencing of `port migrate` on the lab (issue 17 part 2): real Neutron, real OVS on the lab
 * hosts, real FRR leaves. The test makes its own tagged network and one port, bound to the first
 * host; it stops that host's sshd (by PID, restarted the way the lab starts it), and plugs devices
 * with the port's iface-id on the old host by hand (`ovs-vsctl add-port`). Everything it makes is
 * removed in afterAll, and sshd is running again whatever happens.
 */
const lab: LabInventory | null = await useLab()
const tag = `fence-${randomBytes(3).toString('hex')}`
const env = {FABRICCTL_CONFIG: LAB_CONFIG, FABRICCTL_CONTEXT: 'lab', NO_COLOR: '1'}
const cli = async (args: string[]) => {
  const r = await runCli([...args, '--json'], {env, timeoutMs: 180_000})
  if (r.json) assertMatchesSchema(r.json)
  return r
}

async function neutron<T = any>(method: string, p: string, body?: unknown): Promise<T> {
  const res = await fetch(`${lab!.neutron.url}${p}`, {
    method,
    headers: {'Content-Type': 'application/json', 'X-Project-Id': lab!.neutron.projectId},
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(60_000),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text.slice(0, 300)}`)
  return (text ? JSON.parse(text) : {}) as T
}

// --- the lab host's sshd, by PID (test/lab/lib.sh node_sshd / adopt_pidfile) ---------------------
const nodeId = (host: string) => lab!.nodes.find(n => n.name === host)!.ns.replace(/^fab[lfp]-/, '')
const procStart = (pid: number) => {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19]!
  } catch {
    return null
  }
}
const alive = (pid: number, start: string) => procStart(pid) === start
const sshdRecord = (id: string) => path.join(LAB_RUN, 'pids', `sshd-${id}.pid`)

function readRecord(id: string): {pid: number; start: string} {
  const [pid, start] = fs.readFileSync(sshdRecord(id), 'utf8').trim().split(/\s+/)
  return {pid: Number(pid), start: start!}
}

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms
  while (Date.now() < until) {
    if (await ok()) return
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  throw new Error(`timed out waiting for ${what}`)
}

async function stopSshd(id: string): Promise<void> {
  const {pid, start} = readRecord(id)
  expect(alive(pid, start), `sshd of ${id} (pid ${pid}) runs before the test`).toBe(true)
  process.kill(pid, 'SIGTERM')
  await waitFor(`sshd ${pid} to exit`, () => !alive(pid, start))
}

/** Start sshd as node_sshd does (in the node's namespaces, its own config), and record its PID as adopt_pidfile does. */
async function startSshd(id: string): Promise<void> {
  const {pid, start} = readRecord(id)
  if (alive(pid, start)) return
  const dir = path.join(LAB_RUN, 'nodes', id, 'ssh')
  const holder = Number(
    fs
      .readFileSync(path.join(LAB_RUN, 'pids', `holder-${id}.pid`), 'utf8')
      .trim()
      .split(/\s+/)[0],
  )
  const pidFile = path.join(dir, 'sshd.pid')
  fs.rmSync(pidFile, {force: true})
  const r = await run('nsenter', [
    '-t',
    String(holder),
    '-m',
    '-u',
    '-n',
    '--',
    '/usr/sbin/sshd',
    '-f',
    path.join(dir, 'sshd_config'),
    '-E',
    path.join(dir, 'sshd.log'),
  ])
  expect(r.exitCode, r.stderr).toBe(0)
  await waitFor('the sshd pid file', () => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').trim() !== '')
  const fresh = Number(fs.readFileSync(pidFile, 'utf8').trim())
  fs.writeFileSync(sshdRecord(id), `${fresh} ${procStart(fresh)}\n`)
}

// --- devices plugged by hand on a lab host ----------------------------------------------------------
const devicesWith = async (host: string, portId: string) =>
  (
    await labSsh(host, `ovs-vsctl --timeout=10 --bare --columns=name find Interface external_ids:iface-id=${portId}`)
  ).stdout
    .split('\n')
    .map(s => s.trim())
    .filter(Boolean)
    .sort()
async function plug(host: string, dev: string, ids: Record<string, string>): Promise<void> {
  const set = Object.entries(ids)
    .map(([k, v]) => `external_ids:${k}=${v}`)
    .join(' ')
  const r = await labSsh(
    host,
    `ovs-vsctl --timeout=10 add-port br-int ${dev} -- set Interface ${dev} type=internal ${set}`,
  )
  expect(r.exitCode, r.stderr).toBe(0)
}
const plugged: {host: string; dev: string}[] = []

let port: {id: string; name: string; ip: string; mac: string}
let net: {id: string} | undefined
let h1: string
let h2: string

describe.skipIf(!lab)(`port migrate drift fencing on the lab${labSkipNote()}`, () => {
  beforeAll(async () => {
    ;[h1, h2] = [lab!.hosts[0]!.name, lab!.hosts[1]!.name]
    const physnet = lab!.networks[0]!.physnet
    const vlan = 3000 + Math.floor(Math.random() * 900)
    const {network} = await neutron('POST', '/v2.0/networks', {
      network: {
        name: `${tag}-net`,
        project_id: lab!.neutron.projectId,
        'provider:network_type': 'vlan',
        'provider:physical_network': physnet,
        'provider:segmentation_id': vlan,
      },
    })
    net = network
    await neutron('POST', '/v2.0/subnets', {
      subnet: {
        network_id: network.id,
        project_id: lab!.neutron.projectId,
        ip_version: 4,
        cidr: '198.51.110.0/29',
        gateway_ip: '198.51.110.1',
        enable_dhcp: false,
      },
    })
    await neutron('PUT', `/v2.0/networks/${network.id}/tags/${tag}`)
    const r = await cli(['port', 'allocate', '--label', tag, '--name', `${tag}-pod`, '--host', h1])
    // Bound to h1; the lab has no L2 agent (binding_failed) and the native leaves refuse a second untagged VLAN: exit 1.
    expect(r.json.ports?.[0]?.host, JSON.stringify(r.json)).toBe(h1)
    port = r.json.ports[0]
  }, 300_000)

  afterAll(async () => {
    if (!lab) return
    for (const host of [h1, h2]) if (host) await startSshd(nodeId(host)).catch(() => {})
    for (const d of plugged)
      await labSsh(d.host, `ovs-vsctl --timeout=10 --if-exists del-port ${d.dev}`).catch(() => {})
    if (port) await neutron('DELETE', `/v2.0/ports/${port.id}`).catch(() => {})
    if (net) await neutron('DELETE', `/v2.0/networks/${net.id}`).catch(() => {})
  }, 120_000)

  it("the old host's sshd stopped: the move is refused (exit 4) and Neutron is unchanged", async () => {
    const before = (await neutron('GET', `/v2.0/ports/${port.id}`)).port
    const id = nodeId(h1)
    await stopSshd(id)
    try {
      const t0 = performance.now()
      const r = await cli(['port', 'migrate', port.name, '--to-host', h2])
      console.log(`[fence figures] refused migrate (old host's sshd stopped): ${Math.round(performance.now() - t0)} ms`)
      expect(r.exitCode).toBe(4)
      expect(r.json.error.code).toBe('OLD_HOST_UNREACHABLE')
      expect(r.json.error.message).toContain(h1)
      expect(r.json.error.hint).toContain('--fence-unreachable')
      const after = (await neutron('GET', `/v2.0/ports/${port.id}`)).port
      expect(after['binding:host_id']).toBe(h1)
      expect(after.revision_number).toBe(before.revision_number)
    } finally {
      await startSshd(id)
    }
    expect((await labSsh(h1, 'true')).exitCode).toBe(0)
  }, 300_000)

  it('a device plugged for the port left on the old host is removed; one not plugged for it is left and reported (exit 3)', async () => {
    // The port's own device on h1 (iface-id and attached-mac), as Nova/os-vif or a CNI plugs it.
    const ours = `fo${randomBytes(3).toString('hex')}`
    await plug(h1, ours, {'iface-id': port.id, 'attached-mac': port.mac, 'iface-status': 'active'})
    plugged.push({host: h1, dev: ours})
    expect(await devicesWith(h1, port.id)).toEqual([ours])
    let t0 = performance.now()
    const r = await cli(['port', 'migrate', port.name, '--to-host', h2, '--fence-wait', '2s'])
    console.log(
      `[fence figures] migrate with the stale device removed: ${Math.round(performance.now() - t0)} ms (fence: read before ${r.json.fence.elapsedMs.before} ms, old host after ${r.json.fence.elapsedMs.oldHost} ms, leaves ${r.json.fence.elapsedMs.leaves} ms; ${r.json.fence.leaves.seen.length} MAC entries seen)`,
    )
    expect([0, 1], JSON.stringify(r.json?.fence)).toContain(r.exitCode) // 1: not ACTIVE_ACTIVE (no agent in the lab)
    expect(r.json.after).toMatchObject({host: h2, ip: port.ip, mac: port.mac})
    expect(r.json.fence.before).toMatchObject({read: true, devices: [ours]})
    expect(r.json.fence.status).toBe('unwired')
    expect(r.json.fence.devices).toEqual([expect.objectContaining({device: ours, ours: true, action: 'unplugged'})])
    expect(await devicesWith(h1, port.id)).toEqual([])
    // The leaves were read (both FRR leaves) and never learned the MAC on h1's ports.
    expect(r.json.fence.leaves.unread).toEqual([])
    expect(r.json.fence.leaves.seen.filter((s: any) => s.where === 'old-host')).toEqual([])
    expect(r.json.fence.leaves.status).toBe('clean')

    // Now a device with the port's iface-id but no attached-mac on h2 (plugged by hand, not for this port): left, reported.
    const foreign = `ff${randomBytes(3).toString('hex')}`
    await plug(h2, foreign, {'iface-id': port.id})
    plugged.push({host: h2, dev: foreign})
    t0 = performance.now()
    const back = await cli(['port', 'migrate', port.name, '--to-host', h1, '--fence-wait', '0'])
    console.log(
      `[fence figures] migrate reporting OLD_HOST_STILL_WIRED: ${Math.round(performance.now() - t0)} ms (fence: ${JSON.stringify(back.json.fence.elapsedMs)})`,
    )
    expect(back.exitCode).toBe(3)
    expect(back.json.after.host).toBe(h1)
    expect(back.json.fence.status).toBe('still-wired')
    expect(back.json.fence.codes).toContain('OLD_HOST_STILL_WIRED')
    expect(back.json.fence.devices).toEqual([
      expect.objectContaining({device: foreign, ours: false, action: 'left', attachedMac: null}),
    ])
    expect(back.json.fence.reason).toContain(foreign)
    expect(await devicesWith(h2, port.id)).toEqual([foreign])
  }, 400_000)
})
