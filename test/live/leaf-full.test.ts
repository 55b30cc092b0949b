// The FRR driver's full profile (src/lib/leaf/frr/full.ts) against the full lab's real
// User-Mode-Linux leaves (test/lab/up --profile full, context lab-full): the reader and renderer
// agree with the running state the lab built from its reference renderer; a Neutron port of
// another tenant's network bound to a host makes its leaves carry a new VRF (L3 VNI), the L2 VNI
// and the host's tagged VLAN (proven by `bridge -j vlan show`, `show evpn vni json`, `ip -j vrf
// show`); rollback restores the running configuration byte for byte; migrate moves the VLAN;
// removal takes it all back. Runs only with FABRICCTL_LAB_PROFILE=full (like lab-full.test.ts);
// everything changed is put back in afterAll.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {FrrRaw} from '../../src/lib/leaf/frr/driver.js'
import {liveLeafService} from '../../src/lib/backends/live/leaf-service.js'
import {loadConfig} from '../../src/lib/context/config.js'
import type {LiveContext} from '../../src/lib/context/schema.js'
import {runCli} from '../helpers/cli.js'
import {assertMatchesSchema} from '../helpers/schema.js'
import {FULL_SSH_CONFIG, FULL_STATE, run, useFullLab} from './lab.js'

const CONFIG = path.join(FULL_STATE, 'fabricctl.yaml')
const SSH_CONFIG = FULL_SSH_CONFIG

const full = await useFullLab('full-profile leaf tests')
const skip = full.skip
const inv = full.inv

const ssh = (node: string, command: string) => run('ssh', ['-n', '-F', SSH_CONFIG, node, command], {timeoutMs: 30_000})

describe.skipIf(!!skip)(
  `leaf config on the full lab's UML leaves (VRF, VLAN-aware bridge, tagged ports, symmetric IRB)${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    // created only when the tests run (a skipped file must not leave an empty directory behind)
    const home = skip ? '' : fs.mkdtempSync(path.join(os.tmpdir(), 'fabricctl-leaf-full-'))
    const env = {FABRICCTL_HOME: home, FABRICCTL_CONFIG: CONFIG, FABRICCTL_CONTEXT: 'lab-full', NO_COLOR: '1'}
    const cli = async (...args: string[]) => {
      const r = await runCli(args, {env, timeoutMs: 240_000})
      if (r.json) assertMatchesSchema(r.json)
      return r
    }
    const leaves = () => inv!.leaves.map(l => l.name)
    const sh = async (leaf: string, cmd: string) => {
      const r = await ssh(leaf, cmd)
      expect(r.exitCode, `${leaf}: ${cmd}: ${r.stderr}`).toBe(0)
      return r.stdout
    }
    const json = async (leaf: string, cmd: string): Promise<any> => JSON.parse(await sh(leaf, cmd))
    const neutron = async (method: string, p: string, body?: unknown) => {
      const res = await fetch(`${inv!.neutron.url}${p}`, {
        method,
        headers: {'content-type': 'application/json', 'x-project-id': inv!.neutron.projectId},
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      })
      const text = await res.text()
      if (!res.ok) throw new Error(`neutron ${method} ${p}: ${res.status} ${text.slice(0, 300)}`)
      return text ? JSON.parse(text) : null
    }
    const net3 = () => inv!.networks.find(n => n.name === 'lab-net3')!
    const tagged = async (leaf: string, iface: string) =>
      ((await json(leaf, 'bridge -j vlan show')) as {ifname: string; vlans?: {vlan: number; flags?: string[]}[]}[])
        .find(b => b.ifname === iface)
        ?.vlans?.filter(v => !(v.flags ?? []).includes('Egress Untagged'))
        .map(v => v.vlan) ?? []
    let config: Awaited<ReturnType<typeof loadConfig>> | undefined
    const ctx = () => config!.contexts.find(c => c.name === 'lab-full') as LiveContext
    /** The driver's raw reading (running-config bytes + managed kernel devices) of a leaf. */
    const rawOf = async (leaf: string): Promise<FrrRaw> => {
      const svc = liveLeafService(ctx(), {snapshotsRoot: path.join(home, 'probe')})
      const d = await svc.openDriver(leaf)
      try {
        return (await d.read()).snapshot.raw as FrrRaw
      } finally {
        d.close()
      }
    }

    const orig = new Map<string, {running: string; file: string; raw: FrrRaw}>()
    let portId: string | undefined

    beforeAll(async () => {
      config = await loadConfig(CONFIG)
      for (const leaf of leaves())
        orig.set(leaf, {
          running: await sh(leaf, `vtysh -c 'show running-config'`),
          file: await sh(leaf, 'cat /etc/frr/frr.conf'),
          raw: await rawOf(leaf),
        })
    }, 120_000)

    afterAll(async () => {
      if (skip) return
      try {
        if (portId) await neutron('DELETE', `/v2.0/ports/${portId}`).catch(() => undefined)
        const p = await cli('leaf', 'push', '--all')
        if (p.exitCode !== 0) process.stderr.write(`leaf-full test: restoring push failed: ${p.stdout}${p.stderr}\n`)
        for (const leaf of leaves()) {
          const o = orig.get(leaf)
          if (!o) continue
          const now = (await ssh(leaf, `vtysh -c 'show running-config'`)).stdout
          if (now !== o.running)
            process.stderr.write(`leaf-full test: ${leaf} running-config differs from before the test\n`)
          await ssh(leaf, `printf %s '${Buffer.from(o.file).toString('base64')}' | base64 -d >/etc/frr/frr.conf`)
        }
      } finally {
        fs.rmSync(home, {recursive: true, force: true})
        await full.release()
      }
    }, 400_000)

    it('the leaves as the lab built them are in sync: the full-profile reader and renderer agree with the running state', async () => {
      for (const leaf of leaves()) expect(orig.get(leaf)!.raw.profile).toBe('full')
      for (const leaf of leaves())
        expect(orig.get(leaf)!.raw.full, `${leaf} must be read with the full model`).toBeDefined()
      const d = await cli('leaf', 'diff', '--all', '--json')
      expect(d.exitCode, d.stdout).toBe(0)
      expect(d.json.totals).toMatchObject({leaves: 2, inSync: 2, differ: 0, unreachable: 0})
      const c = await cli('leaf', 'config', leaves()[0]!, '--json')
      expect(c.exitCode, c.stdout).toBe(0)
      expect(c.json.config.vrfs).toEqual({'vrf-prod': {l3Vni: 19001}})
      expect(Object.values(c.json.config.vnis).map((v: any) => [v.vni, v.vlan, v.vrf])).toEqual([
        [10101, 101, 'vrf-prod'],
        [10102, 102, 'vrf-prod'],
      ])
      const frr = await cli('leaf', 'config', leaves()[0]!, '--format', 'frr')
      expect(frr.stdout).toContain('# profile: full')
      expect(frr.stdout).toContain('router bgp 65011 vrf vrf-prod')
      expect(frr.stdout).toMatch(/# --- kernel \(iproute2\), running → desired ---\n# \(no change\)/)
      const v = await cli('leaf', 'verify', '--all', '--json')
      expect(v.exitCode, v.stdout).toBe(0)
    }, 300_000)

    it("a port of another tenant's network bound to a host: its leaves get the VRF, L3 VNI, L2 VNI and the tagged VLAN; rollback restores byte for byte; re-push is unchanged", async () => {
      const {port} = await neutron('POST', '/v2.0/ports', {
        port: {
          name: 'fabricctl-leaf-full-test',
          network_id: net3().id,
          project_id: inv!.neutron.projectId,
          'binding:host_id': 'lab-h1',
        },
      })
      portId = port.id as string
      const diff = await cli('leaf', 'diff', '--all')
      expect(diff.exitCode).toBe(1)
      for (const l of [
        '+vrf vrf-test',
        '+  l3-vni 19002',
        `+vni ${net3().vni}`,
        '+  vrf vrf-test',
        `+  allowed-vlan ${net3().vlan}`,
      ])
        expect(diff.stdout).toContain(l)
      const dry = await cli('leaf', 'push', '--port', portId, '--dry-run', '--json')
      expect(dry.exitCode, dry.stdout).toBe(0)
      expect(dry.json.leaves.map((l: any) => l.status)).toEqual(['planned', 'planned'])
      expect(await tagged(leaves()[0]!, 'swp1')).toEqual([101, 102]) // dry run changed nothing

      const p = await cli('leaf', 'push', '--port', portId, '--json')
      expect(p.exitCode, p.stdout).toBe(0)
      expect(p.json.leaves.map((l: any) => [l.leaf, l.status])).toEqual(leaves().map(l => [l, 'applied']))
      for (const l of p.json.leaves)
        expect(l.summary).toEqual([
          'add VRF vrf-test (L3 VNI 19002)',
          `add VNI ${net3().vni} (VLAN ${net3().vlan}, lab-net3, vrf vrf-test, rt 65000:${net3().vni}, gw ${net3().gateway}/24)`,
          `allow VLAN ${net3().vlan} on swp1`,
        ])
      for (const leaf of leaves()) {
        expect(await tagged(leaf, 'swp1')).toEqual([101, 102, 103])
        expect(await tagged(leaf, 'swp2')).toEqual([101, 102])
        const bv = (await json(leaf, 'bridge -j vlan show')) as {
          ifname: string
          vlans: {vlan: number; flags?: string[]}[]
        }[]
        expect(bv.find(b => b.ifname === 'vxlan10103')!.vlans).toEqual([
          {vlan: 103, flags: ['PVID', 'Egress Untagged']},
        ])
        expect(bv.find(b => b.ifname === 'vxlan19002')!.vlans).toEqual([
          {vlan: 4002, flags: ['PVID', 'Egress Untagged']},
        ])
        const evpn = await json(leaf, `vtysh -c 'show evpn vni json'`)
        expect(evpn['10103']).toMatchObject({vni: 10103, type: 'L2', vxlanIf: 'vxlan10103', tenantVrf: 'vrf-test'})
        expect(evpn['19002']).toMatchObject({vni: 19002, type: 'L3', vxlanIf: 'vxlan19002', tenantVrf: 'vrf-test'})
        expect(evpn['19001']).toMatchObject({type: 'L3', tenantVrf: 'vrf-prod'})
        expect(await json(leaf, 'ip -j vrf show')).toEqual([
          {name: 'vrf-prod', table: 1001},
          {name: 'vrf-test', table: 1002},
        ])
        expect(await sh(leaf, 'ip -br addr show vlan103')).toContain(`${net3().gateway}/24`)
        expect(await sh(leaf, 'ip -br link show vlan103')).toContain('44:38:39:ff:00:01')
        // the other leaf is a remote VTEP of the new VNI (EVPN type-3 exchanged)
        const other = inv!.leaves.find(l => l.name !== leaf)!.vtep
        expect(evpn['10103'].remoteVteps ?? []).toContain(other)
        expect(await sh(leaf, 'cat /etc/frr/frr.conf')).toContain('router bgp')
      }
      const again = await cli('leaf', 'push', '--all', '--json')
      expect(again.json.totals.unchanged).toBe(2)
      expect((await cli('leaf', 'verify', '--all')).exitCode).toBe(0)

      // rollback --to previous: the running configuration and the managed kernel devices as before the push
      for (const leaf of leaves()) {
        const rb = await cli('leaf', 'rollback', leaf, '--to', 'previous', '--json')
        expect(rb.exitCode, rb.stdout).toBe(0)
        expect(rb.json.status).toBe('restored')
        expect(await sh(leaf, `vtysh -c 'show running-config'`)).toBe(orig.get(leaf)!.running)
        expect(await sh(leaf, 'cat /etc/frr/frr.conf')).toBe(orig.get(leaf)!.file)
        expect((await rawOf(leaf)).full).toEqual(orig.get(leaf)!.raw.full)
      }
      // the port is still bound: the leaves differ from the desired state again, and a push puts it back
      expect((await cli('leaf', 'diff', '--all')).exitCode).toBe(1)
      const re = await cli('leaf', 'push', '--all', '--json')
      expect(re.exitCode, re.stdout).toBe(0)
      expect(re.json.totals.applied).toBe(2)
      expect((await cli('leaf', 'push', '--all', '--json')).json.totals.unchanged).toBe(2)
    }, 600_000)

    it('migrating the port moves the tagged VLAN between host ports; removing it takes VNI and VRF off the leaves', async () => {
      expect(portId).toBeDefined()
      await neutron('PUT', `/v2.0/ports/${portId}`, {port: {'binding:host_id': 'lab-h2'}})
      const m = await cli('leaf', 'push', '--all', '--json')
      expect(m.exitCode, m.stdout).toBe(0)
      for (const l of m.json.leaves)
        expect(l.summary).toEqual([`remove VLAN ${net3().vlan} from swp1`, `allow VLAN ${net3().vlan} on swp2`])
      for (const leaf of leaves()) {
        expect(await tagged(leaf, 'swp1')).toEqual([101, 102])
        expect(await tagged(leaf, 'swp2')).toEqual([101, 102, 103])
      }
      await neutron('DELETE', `/v2.0/ports/${portId}`)
      portId = undefined
      const r = await cli('leaf', 'push', '--all', '--json')
      expect(r.exitCode, r.stdout).toBe(0)
      for (const l of r.json.leaves)
        expect(l.summary).toEqual([
          `remove VLAN ${net3().vlan} from swp2`,
          `remove VNI ${net3().vni} (VLAN ${net3().vlan}, lab-net3)`,
          'remove VRF vrf-test (L3 VNI 19002)',
        ])
      for (const leaf of leaves()) {
        expect(await json(leaf, 'ip -j vrf show')).toEqual([{name: 'vrf-prod', table: 1001}])
        const evpn = await json(leaf, `vtysh -c 'show evpn vni json'`)
        expect(Object.keys(evpn).sort()).toEqual(['10101', '10102', '19001'])
        expect((await rawOf(leaf)).full).toEqual(orig.get(leaf)!.raw.full)
      }
      expect((await cli('leaf', 'diff', '--all')).exitCode).toBe(0)
    }, 600_000)
  },
)
