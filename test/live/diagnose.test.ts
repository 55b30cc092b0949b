import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import YAML from 'yaml'

import {ROOT, runCli} from '../helpers/cli.js'
import {assertMatchesSchema} from '../helpers/schema.js'
import {LAB_CONFIG, LAB_SSH_CONFIG, LAB_STATE, labSkipNote, useLab} from './lab.js'

// Live diagnose against the lab (test/lab): real Neutron, hosts with OVS over SSH, FRR leaves.
// Each breaking test restores what it broke in `finally` and checks the port is healthy again.
const STATE = LAB_STATE
const CONFIG = LAB_CONFIG
const SSH_CONFIG = LAB_SSH_CONFIG

// useLab() reuses a healthy lab or brings one up; it throws instead of skipping when FABRICCTL_REQUIRE_LIVE=1.
const skipReason = (await useLab())
  ? null
  : labSkipNote().replace(/^ \(skipped: |\)$/g, '') || 'the lab is not available'

const env = {FABRICCTL_CONFIG: CONFIG, FABRICCTL_CONTEXT: 'lab', NO_COLOR: '1'}
const ssh = async (node: string, cmd: string) =>
  (await execa('ssh', ['-F', SSH_CONFIG, node, cmd], {timeout: 30_000})).stdout.trim()
type Inst = {name: string; host: string; portId: string; network: string; device: string}
const inventory = () =>
  JSON.parse(fs.readFileSync(path.join(STATE, 'inventory.json'), 'utf8')) as {
    instances: Inst[]
    hosts: {name: string; plugging: string; nics: {leaf: string; interface: string}[]}[]
  }
const diagnose = async (ref: string, extraEnv: Record<string, string> = {}) => {
  const r = await runCli(['port', 'diagnose', ref, '--json'], {env: {...env, ...extraEnv}, timeoutMs: 90_000})
  assertMatchesSchema(r.json)
  return r
}
const step = (r: {json: any}, id: string) => r.json.diagnosis.steps.find((s: any) => s.id === id)

describe.skipIf(skipReason !== null)(
  `fabricctl port diagnose on the live lab${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    // lab-h3's first instance: the host other tests use least (its OVS is the old 2.15.0).
    let inst: Inst
    let hostNic: {leaf: string; interface: string}
    beforeAll(() => {
      const inv = inventory()
      inst = inv.instances.filter(i => i.host === inv.hosts.at(-1)!.name)[0]!
      hostNic = inv.hosts.find(h => h.name === inst.host)!.nics[0]!
    })

    it('a healthy port passes every step from real evidence; only what the lab cannot prove is skipped', async () => {
      const r = await diagnose(inst.name)
      expect(r.exitCode, JSON.stringify(r.json.diagnosis?.verdict)).toBe(0)
      const d = r.json.diagnosis
      expect(d.verdict).toMatchObject({state: 'ACTIVE_ACTIVE', ok: true})
      expect(r.json.backend).toBe('live')
      // The lab has no L2 agent and no controller: those steps are skipped, with the reason.
      const skipped = d.steps.filter((s: any) => s.status === 'skipped').map((s: any) => s.id)
      expect(skipped.sort()).toEqual(['agent-alive', 'controller-port', 'overlay-state', 'underlay-state'])
      for (const s of d.steps.filter((x: any) => x.status === 'skipped'))
        expect(s.detail).toMatch(/agent|controller|records/)
      expect(d.steps.filter((s: any) => !['passed', 'skipped'].includes(s.status))).toEqual([])
      // The evidence is what the host and the leaf say themselves.
      const name = await ssh(
        inst.host,
        `ovs-vsctl --bare --columns=name find Interface external_ids:iface-id=${inst.portId}`,
      )
      const tag = Number(await ssh(inst.host, `ovs-vsctl get Port ${name} tag`))
      expect(step(r, 'device-attached').evidence).toMatchObject({device: name, localVlan: tag})
      expect(name).toBe(inst.device)
      const master = JSON.parse(await ssh(hostNic.leaf, `bridge -j link show dev ${hostNic.interface}`))[0]
        .master as string
      expect(step(r, 'leaf-config').detail).toContain(`VNI ${master.replace(/^br/, '')}`)
      expect(step(r, 'leaf-config').evidence.checked).toHaveLength(2)
    }, 270_000) // 1 CLI run, ~18 ssh/HTTP/process calls

    it('ovs-vswitchd stopped on the host → ovs-down (restored with SIGCONT)', async () => {
      const pid = await ssh(inst.host, 'cat /run/openvswitch/ovs-vswitchd.pid')
      expect(pid).toMatch(/^\d+$/)
      try {
        // SIGSTOP keeps the process (and the lab's pid bookkeeping) while it stops serving.
        await ssh(inst.host, `kill -STOP ${pid}`)
        const r = await diagnose(inst.name)
        expect(r.exitCode).toBe(1)
        expect(r.json.diagnosis.verdict).toMatchObject({cause: 'ovs-down', step: 'ovs-running'})
        expect(r.json.diagnosis.evidence.underlay).toBe('ERROR')
      } finally {
        await ssh(inst.host, `kill -CONT ${pid}`)
      }
      expect((await diagnose(inst.name)).exitCode).toBe(0)
    }, 180_000) // 2 CLI runs, ~3 ssh/HTTP/process calls

    it("the port's device detached from br-int → device-missing (re-attached after)", async () => {
      const tag = await ssh(inst.host, `ovs-vsctl get Port ${inst.device} tag`)
      const ids = await ssh(inst.host, `ovs-vsctl get Interface ${inst.device} external_ids`)
      expect(ids).toContain(inst.portId)
      try {
        await ssh(inst.host, `ovs-vsctl del-port br-int ${inst.device}`)
        const r = await diagnose(inst.name)
        expect(r.exitCode).toBe(1)
        expect(r.json.diagnosis.verdict).toMatchObject({cause: 'device-missing', step: 'device-attached'})
        expect(r.json.diagnosis.evidence.underlay).toBe('DOWN')
      } finally {
        await ssh(
          inst.host,
          `ovs-vsctl --may-exist add-port br-int ${inst.device} tag=${tag} -- set Interface ${inst.device} external_ids='${ids}'`,
        )
      }
      expect((await diagnose(inst.name)).exitCode).toBe(0)
    }, 210_000) // 2 CLI runs, ~4 ssh/HTTP/process calls

    it("the host interface removed from the network's bridge on a leaf → config-drift, with the leaf push repair", async () => {
      const master = JSON.parse(await ssh(hostNic.leaf, `bridge -j link show dev ${hostNic.interface}`))[0]
        .master as string
      expect(master).toMatch(/^br\d+$/)
      try {
        await ssh(hostNic.leaf, `ip link set dev ${hostNic.interface} nomaster`)
        const r = await diagnose(inst.name)
        expect(r.exitCode).toBe(1)
        expect(r.json.diagnosis.verdict, JSON.stringify(r.json.diagnosis.verdict)).toMatchObject({
          cause: 'config-drift',
          step: 'leaf-config',
        })
        expect(r.json.diagnosis.verdict.repair).toContain(`fabricctl leaf push ${hostNic.leaf}`)
        expect(r.json.diagnosis.verdict.message).toMatch(
          new RegExp(`${hostNic.leaf}: VLAN \\d+ not on ${hostNic.interface}`),
        )
      } finally {
        await ssh(hostNic.leaf, `ip link set dev ${hostNic.interface} master ${master}`)
      }
      expect((await diagnose(inst.name)).exitCode).toBe(0)
    }, 180_000) // 2 CLI runs, ~3 ssh/HTTP/process calls

    describe('a leaf that does not answer', () => {
      let dir: string
      beforeAll(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabricctl-diag-live-'))
      })
      afterAll(() => fs.rmSync(dir, {recursive: true, force: true}))

      it('→ leaf-unreachable, verdict UNKNOWN, exit 3', async () => {
        // A copy of the lab context whose second leaf points at a closed loopback port.
        const cfg = YAML.parse(fs.readFileSync(CONFIG, 'utf8'))
        const ctx = cfg.contexts.find((c: any) => c.name === 'lab')
        const leaf = ctx.inventory.leaves.at(-1)
        Object.assign(leaf, {address: '127.0.0.1', port: 9})
        const file = path.join(dir, 'config.yaml')
        fs.writeFileSync(file, YAML.stringify(cfg))
        const r = await diagnose(inst.name, {FABRICCTL_CONFIG: file})
        expect(r.exitCode).toBe(3)
        expect(r.json.diagnosis.verdict).toMatchObject({
          state: 'UNKNOWN',
          cause: 'leaf-unreachable',
          step: 'leaves-reachable',
        })
        expect(step(r, 'leaf-config')).toMatchObject({status: 'passed', evidence: {notChecked: [leaf.name]}})
      }, 90_000) // 1 CLI run
    })

    it('--all and port states read the whole lab', async () => {
      const all = await runCli(['port', 'diagnose', '--all', '--json'], {env, timeoutMs: 120_000})
      assertMatchesSchema(all.json)
      // Other live tests may add ports of their own meanwhile: the lab's instances are what must be healthy.
      expect(all.json.total).toBeGreaterThanOrEqual(inventory().instances.length)
      const failing = new Set(all.json.groups.flatMap((g: any) => g.ports))
      for (const i of inventory().instances)
        expect(failing.has(i.name), `${i.name}: ${JSON.stringify(all.json.groups)}`).toBe(false)
      expect(all.json.active).toBeGreaterThanOrEqual(inventory().instances.length)
      const st = await runCli(['port', 'states', '--by', 'host', '--json'], {env})
      expect(st.exitCode).toBe(0)
      assertMatchesSchema(st.json)
      expect(st.json.total).toBeGreaterThanOrEqual(inventory().instances.length)
      expect(st.json.groups.map((g: any) => g.key)).toEqual(expect.arrayContaining(inventory().hosts.map(h => h.name)))
    }, 270_000) // 4 CLI runs
  },
)
