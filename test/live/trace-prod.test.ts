import {afterAll, expect, it} from 'vitest'

import {runCli} from '../helpers/cli.js'
import {assertMatchesSchema} from '../helpers/schema.js'
import {describeOnLabs, run, useLabMatrix, type LabInventory} from './lab.js'

// Trace on the production-shaped lab, where the real OVS agents installed the flows (not fabricctl):
// the host part of each path must be what OVS itself computes, `ovs-appctl ofproto/trace` run here by
// the test on the same packet — the NIC it leaves by and the VLAN on the wire.
const [lab] = await useLabMatrix<LabInventory>(['prod'], 'trace on the real OVS agents')
afterAll(() => lab!.release(), 300_000)

describeOnLabs([lab!], 'fabricctl trace against the OVS agents’ own flows', lab => {
  const inv = () => lab.inv!
  async function ssh(node: string, command: string): Promise<string> {
    const r = await run('ssh', ['-n', '-F', lab.paths.sshConfig, node, command], {timeoutMs: 30_000})
    expect(r.exitCode, `${node}: ${command}: ${r.stderr}`).toBe(0)
    return r.stdout
  }

  it('every cross-host pair: the NIC and wire VLAN of the trace are those of ofproto/trace on the source host', async () => {
    const pairs = inv().instances.flatMap(a =>
      inv()
        .instances.filter(b => b.network === a.network && b.host !== a.host)
        .map(b => [a, b] as const),
    )
    expect(pairs.length).toBeGreaterThan(0)
    for (const [src, dst] of pairs.slice(0, 4)) {
      const r = await runCli(['trace', src.name, dst.name, '--json'], {env: lab.env, timeoutMs: 120_000})
      expect(r.exitCode, r.stdout.slice(0, 2000)).toBe(0)
      assertMatchesSchema(r.json)
      expect(r.json.disposition.result).toBe('delivered')
      const hops = r.json.hops as {node: string; device: string; kind: string; encap: {vlan: number | null}}[]
      const nic = hops.find(h => h.node === src.host && h.kind === 'nic')!
      expect(nic, JSON.stringify(hops)).toBeDefined()

      // The same packet through the host's own OVS: its datapath actions name the VLAN and the port.
      const macOf = async (host: string, dev: string) =>
        (await ssh(host, `ovs-vsctl get Interface ${dev} external_ids:attached-mac`)).trim().replace(/"/g, '')
      const ip = (i: {ip?: string}) => i.ip ?? ''
      const ofport = (await ssh(src.host, `ovs-vsctl get Interface ${src.device} ofport`)).trim()
      const flow = `in_port=${ofport},dl_src=${await macOf(src.host, src.device)},dl_dst=${await macOf(dst.host, dst.device)},dl_type=0x0800,nw_src=${ip(src)},nw_dst=${ip(dst)}`
      const out = await ssh(src.host, `ovs-appctl ofproto/trace br-int ${flow}`)
      const actions = /Datapath actions: (.*)$/m.exec(out)?.[1] ?? ''
      // Each output port with the VLAN it leaves with (push_vlan/pop_vlan in order; an unlearned MAC floods).
      const dpif = await ssh(src.host, 'ovs-appctl dpif/show')
      const nameOf = new Map([...dpif.matchAll(/^\s+(\S+) [\d-]+\/(\d+):/gm)].map(m => [m[2]!, m[1]!]))
      const outputs = new Map<string, number | null>()
      let vlan: number | null = null
      for (const a of actions.split(/,(?![^(]*\))/)) {
        const push = /^push_vlan\(vid=(\d+)/.exec(a)
        if (push) vlan = Number(push[1])
        else if (a === 'pop_vlan') vlan = null
        else if (/^\d+$/.test(a)) outputs.set(nameOf.get(a) ?? `dp${a}`, vlan)
      }
      expect(outputs.has(nic.device), `${src.name} → ${dst.name}: ${actions} (${[...outputs.keys()]})`).toBe(true)
      expect(outputs.get(nic.device), `${src.name} → ${dst.name}: VLAN on ${nic.device}`).toBe(nic.encap.vlan)
    }
  }, 600_000)
})
