import {beforeAll, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/cli.js'
import {assertMatchesSchema} from '../helpers/schema.js'
import {LAB_CONFIG, labSkipNote, labSsh, useLab} from './lab.js'

// Live trace against the lab (test/lab): real Neutron, hosts with OVS over SSH, FRR leaves.
const lab = await useLab()

const env = {FABRICCTL_CONFIG: LAB_CONFIG, FABRICCTL_CONTEXT: 'lab', NO_COLOR: '1'}
async function ssh(node: string, cmd: string): Promise<string> {
  const r = await labSsh(node, cmd)
  if (r.exitCode !== 0) throw new Error(`ssh ${node} ${cmd}: exit ${r.exitCode}: ${r.stderr}`)
  return r.stdout
}

describe.skipIf(!lab)(`fabricctl trace on the live lab${labSkipNote()}`, () => {
  let src: {name: string; host: string; portId: string; network: string}
  let dst: {name: string; host: string; portId: string; network: string}
  let qbr: {name: string; host: string; portId: string; network: string} | undefined
  beforeAll(() => {
    const inst = lab!.instances
    src = inst[0]!
    dst = inst.find(i => i.host !== src.host && i.network === src.network)!
    const legacy = new Set(lab!.hosts.filter(h => h.plugging === 'qbr').map(h => h.name))
    qbr = inst.find(i => legacy.has(i.host) && i.host !== src.host)
    expect(dst, 'the lab has two hosts on one network').toBeDefined()
  })

  it('between instances on two hosts: the real device names read from those hosts, delivered', async () => {
    const r = await runCli(['trace', src.name, dst.name, '--json'], {env})
    expect(r.exitCode, r.stderr).toBe(0)
    assertMatchesSchema(r.json)
    expect(r.json).toMatchObject({backend: 'live', route: 'bridged', disposition: {result: 'delivered'}})
    const hops = r.json.hops as {
      node: string
      device: string
      kind: string
      segment: string
      evidence: string | null
      encap: {vlan: number | null}
    }[]
    for (const [end, inst] of [
      ['src-end', src],
      ['dst-end', dst],
    ] as const) {
      // The device the OVS agent put on br-int for this port, and its local VLAN tag, as the host itself says.
      const name = (
        await ssh(inst.host, `ovs-vsctl --bare --columns=name find Interface external_ids:iface-id=${inst.portId}`)
      ).trim()
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
  }, 270_000) // 1 CLI run, ~18 ssh/HTTP/process calls

  it('legacy plugging on a lab host: qbr, qvb and qvo named as they exist on the host', async () => {
    expect(qbr, 'the lab has a qbr host').toBeDefined()
    if (!qbr) return
    const r = await runCli(['trace', src.name, qbr.name, '--json'], {env})
    expect(r.exitCode, r.stderr).toBe(0)
    const devices = (r.json.hops as {segment: string; device: string}[])
      .filter(h => h.segment === 'dst-end')
      .map(h => h.device)
    const links = await ssh(qbr.host, 'ip -br link')
    expect(r.json.dst.plugging).toBe('qbr')
    expect(r.json.summary.hostHops).toBe(21)
    for (const prefix of ['qbr', 'qvb', 'qvo', 'tap']) {
      const dev = devices.find(d => d.startsWith(prefix))
      expect(dev, `${prefix} device on the path`).toBeDefined()
      expect(links).toContain(dev)
    }
  }, 150_000) // 1 CLI run, ~6 ssh/HTTP/process calls

  it('breaks at the right hop when a leaf loses the VLAN (bridge membership) on the host port, and recovers', async () => {
    const before = await runCli(['trace', src.name, dst.name, '--json'], {env})
    const port = (before.json.hops as {n: number; node: string; device: string; kind: string; segment: string}[]).find(
      h => h.segment === 'dst-end' && h.kind === 'switch-port',
    )!
    const links = JSON.parse(await ssh(port.node, 'bridge -j link show')) as {ifname: string; master?: string}[]
    const master = links.find(l => l.ifname === port.device)?.master
    expect(master, `${port.device} on ${port.node} is in a bridge`).toMatch(/^br\d+$/)
    try {
      await ssh(port.node, `ip link set ${port.device} nomaster`)
      const r = await runCli(['trace', src.name, dst.name, '--json'], {env})
      expect(r.exitCode).toBe(1)
      assertMatchesSchema(r.json)
      expect(r.json.disposition).toMatchObject({
        result: 'dropped',
        hop: port.n,
        node: port.node,
        device: port.device,
        cause: 'LEAF_VLAN_MISSING',
      })
      const table = await runCli(['trace', src.name, dst.name, '--format', 'table'], {env})
      expect(table.stdout).toContain(`DROPPED at hop ${port.n} (${port.node} ${port.device}): LEAF_VLAN_MISSING`)
    } finally {
      await ssh(port.node, `ip link set ${port.device} master ${master}`)
    }
    const after = await runCli(['trace', src.name, dst.name, '--json'], {env})
    expect(after.json.disposition.result).toBe('delivered')
  }, 300_000) // 4 CLI runs, ~3 ssh/HTTP/process calls
})
