import fs from 'node:fs'
import path from 'node:path'
import {execa} from 'execa'
import {beforeAll, describe, expect, it} from 'vitest'

import {ROOT, runCli} from '../helpers/cli.js'
import {assertMatchesSchema} from '../helpers/schema.js'

// Live trace against the lab (test/lab): real Neutron, hosts with OVS over SSH, FRR leaves.
const STATE = path.join(ROOT, 'test', 'lab', 'state')
const CONFIG = path.join(STATE, 'fabricctl.yaml')
const SSH_CONFIG = path.join(STATE, 'run', 'ssh', 'ssh_config')

async function labReady(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'the lab needs root'
  if (!fs.existsSync(CONFIG) || !fs.existsSync(SSH_CONFIG)) return `the lab is not up (no ${path.relative(ROOT, CONFIG)}); run test/lab/up`
  const st = await execa(path.join(ROOT, 'test', 'lab', 'status'), ['--quiet', '--wait', '30'], {reject: false, timeout: 60_000})
  return st.exitCode === 0 ? null : `test/lab/status says the lab is not healthy: ${st.stdout.slice(-300)}`
}

const skipReason = await labReady()
if (skipReason && process.env.FABRICCTL_REQUIRE_LIVE === '1') throw new Error(`live trace tests required but: ${skipReason}`)

const env = {FABRICCTL_CONFIG: CONFIG, FABRICCTL_CONTEXT: 'lab', NO_COLOR: '1'}
const ssh = async (node: string, cmd: string) => (await execa('ssh', ['-F', SSH_CONFIG, node, cmd], {timeout: 30_000})).stdout
const inventory = () => JSON.parse(fs.readFileSync(path.join(STATE, 'inventory.json'), 'utf8')) as {
  instances: {name: string; host: string; portId: string; network: string}[]
  hosts: {name: string; plugging: string}[]
}

describe.skipIf(skipReason !== null)(`fabricctl trace on the live lab${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let src: {name: string; host: string; portId: string; network: string}
  let dst: {name: string; host: string; portId: string; network: string}
  let qbr: {name: string; host: string; portId: string; network: string} | undefined
  beforeAll(() => {
    const inst = inventory().instances
    src = inst[0]!
    dst = inst.find(i => i.host !== src.host && i.network === src.network)!
    const legacy = new Set(inventory().hosts.filter(h => h.plugging === 'qbr').map(h => h.name))
    qbr = inst.find(i => legacy.has(i.host) && i.host !== src.host)
    expect(dst, 'the lab has two hosts on one network').toBeDefined()
  })

  it('between instances on two hosts: the real device names read from those hosts, delivered', async () => {
    const r = await runCli(['trace', src.name, dst.name, '--json'], {env})
    expect(r.exitCode, r.stderr).toBe(0)
    assertMatchesSchema(r.json)
    expect(r.json).toMatchObject({backend: 'live', route: 'bridged', disposition: {result: 'delivered'}})
    const hops = r.json.hops as {node: string; device: string; kind: string; segment: string; evidence: string | null; encap: {vlan: number | null}}[]
    for (const [end, inst] of [['src-end', src], ['dst-end', dst]] as const) {
      // The device the OVS agent put on br-int for this port, and its local VLAN tag, as the host itself says.
      const name = (await ssh(inst.host, `ovs-vsctl --bare --columns=name find Interface external_ids:iface-id=${inst.portId}`)).trim()
      const tag = Number((await ssh(inst.host, `ovs-vsctl get Port ${name} tag`)).trim())
      expect(name).toMatch(/^(tap|qvo)/)
      const mine = hops.filter(h => h.segment === end)
      expect(mine.map(h => h.device)).toContain(name)
      const brInt = mine.find(h => h.device === 'br-int')!
      expect(brInt.encap.vlan).toBe(tag)
      expect(brInt.evidence).toMatch(/ovs-appctl ofproto\/trace (br-int|br-bond) in_port=\d+/)
      expect(brInt.evidence).toMatch(/Datapath actions: /)
      // The member NIC is the bond's active member on that host.
      const bond = await ssh(inst.host, 'ovs-appctl bond/show bond0')
      const active = /member (\S+): enabled\n\s+active member/.exec(bond)?.[1]
      expect(mine.find(h => h.kind === 'nic')!.device).toBe(active)
    }
  })

  it('legacy plugging on a lab host: qbr, qvb and qvo named as they exist on the host', async () => {
    expect(qbr, 'the lab has a qbr host').toBeDefined()
    if (!qbr) return
    const r = await runCli(['trace', src.name, qbr.name, '--json'], {env})
    expect(r.exitCode, r.stderr).toBe(0)
    const devices = (r.json.hops as {segment: string; device: string}[]).filter(h => h.segment === 'dst-end').map(h => h.device)
    const links = await ssh(qbr.host, 'ip -br link')
    expect(r.json.dst.plugging).toBe('qbr')
    expect(r.json.summary.hostHops).toBe(21)
    for (const prefix of ['qbr', 'qvb', 'qvo', 'tap']) {
      const dev = devices.find(d => d.startsWith(prefix))
      expect(dev, `${prefix} device on the path`).toBeDefined()
      expect(links).toContain(dev)
    }
  })

  it('breaks at the right hop when a leaf loses the VLAN (bridge membership) on the host port, and recovers', async () => {
    const before = await runCli(['trace', src.name, dst.name, '--json'], {env})
    const port = (before.json.hops as {n: number; node: string; device: string; kind: string; segment: string}[]).find(h => h.segment === 'dst-end' && h.kind === 'switch-port')!
    const links = JSON.parse(await ssh(port.node, 'bridge -j link show')) as {ifname: string; master?: string}[]
    const master = links.find(l => l.ifname === port.device)?.master
    expect(master, `${port.device} on ${port.node} is in a bridge`).toMatch(/^br\d+$/)
    try {
      await ssh(port.node, `ip link set ${port.device} nomaster`)
      const r = await runCli(['trace', src.name, dst.name, '--json'], {env})
      expect(r.exitCode).toBe(1)
      assertMatchesSchema(r.json)
      expect(r.json.disposition).toMatchObject({result: 'dropped', hop: port.n, node: port.node, device: port.device, cause: 'LEAF_VLAN_MISSING'})
      const table = await runCli(['trace', src.name, dst.name, '--format', 'table'], {env})
      expect(table.stdout).toContain(`DROPPED at hop ${port.n} (${port.node} ${port.device}): LEAF_VLAN_MISSING`)
    } finally {
      await ssh(port.node, `ip link set ${port.device} master ${master}`)
    }
    const after = await runCli(['trace', src.name, dst.name, '--json'], {env})
    expect(after.json.disposition.result).toBe('delivered')
  })
})

