// The lab's full profile (test/lab/up --profile full): FRR leaves inside User-Mode-Linux guests
// with the full model — a VRF per tenant with its L3 VNI, one VLAN-aware bridge, 802.1Q-tagged
// host ports, symmetric IRB. Runs only with FABRICCTL_LAB_PROFILE=full (it boots two UML guests
// and a second Neutron: ~20 s, ~1 GiB). The full lab coexists with the native lab (own state dir
// test/lab/state/full, namespaces fabf-*, management 198.18.1.0/24, Neutron on 127.0.0.1:19697),
// so this file neither needs nor touches the native lab. It reuses a healthy full lab, else brings
// one up, and takes down only a full lab it started (not with FABRICCTL_LAB_KEEP=1).
import fs from 'node:fs'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {FULL_SSH_CONFIG, FULL_STATE, run, type LabInventory, useFullLab} from './lab.js'

const SSH_CONFIG = FULL_SSH_CONFIG

const full = await useFullLab<LabInventory & {tenants?: {vrf: string; table: number; l3vni: number; l3vlan: number}[]}>(
  'full-profile lab tests',
)
const skip = full.skip
const inv = full.inv

const ssh = (node: string, command: string) => run('ssh', ['-n', '-F', SSH_CONFIG, node, command], {timeoutMs: 30_000})
async function sshJson(node: string, command: string): Promise<any> {
  const r = await ssh(node, command)
  expect(r.exitCode, `${node}: ${command}: ${r.stderr}`).toBe(0)
  return JSON.parse(r.stdout)
}

afterAll(() => full.release(), 300_000)

describe.skipIf(!!skip)(
  `full-profile lab: FRR leaves in User-Mode-Linux guests${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    const leaves = () => inv!.nodes.filter(n => n.role === 'leaf') as any[]

    it('writes the leaves into the inventory like the native lab, with their own context', () => {
      expect(inv!.profile).toBe('full')
      expect(inv!.leaves.map(l => [l.name, l.driver, l.port])).toEqual([
        ['lab-leaf1', 'frr', 22],
        ['lab-leaf2', 'frr', 22],
      ])
      for (const l of inv!.leaves) expect(l.address).toMatch(/^198\.18\.1\.\d+$/)
      const yaml = fs.readFileSync(path.join(FULL_STATE, 'fabricctl.yaml'), 'utf8')
      expect(yaml).toMatch(/^current-context: lab-full$/m)
      for (const n of leaves()) expect(n.uml).toBe(true)
    }, 60_000) // file reads

    it('each leaf is a UML guest whose kernel has VRF, 802.1Q and VLAN-aware bridges (what the leaf driver checks)', async () => {
      for (const l of leaves()) {
        const cpu = await ssh(l.name, 'grep -m1 vendor_id /proc/cpuinfo; hostname')
        expect(cpu.stdout).toContain('User Mode Linux')
        expect(cpu.stdout).toContain(l.name)
        // the exact probe of src/lib/leaf/frr/driver.ts detectProfile()
        const cfg = await ssh(
          l.name,
          `zcat /proc/config.gz 2>/dev/null | grep -E '^CONFIG_(NET_VRF|VLAN_8021Q|BRIDGE_VLAN_FILTERING)=' || true`,
        )
        const have = new Set(
          cfg.stdout
            .split('\n')
            .filter(x => /=(y|m)$/.test(x))
            .map(x => x.split('=')[0]),
        )
        expect([...have].sort()).toEqual(['CONFIG_BRIDGE_VLAN_FILTERING', 'CONFIG_NET_VRF', 'CONFIG_VLAN_8021Q'])
        const [br] = await sshJson(l.name, 'ip -j -d link show br0')
        expect(br.linkinfo.info_kind).toBe('bridge')
        expect(br.linkinfo.info_data.vlan_filtering).toBe(1)
        expect(br.address).toBe(l.routerMac)
      }
    }, 210_000) // ~18 ssh/HTTP/process calls

    it('the tenant VRF exists with its table (ip -j vrf show, vtysh show vrf)', async () => {
      for (const l of leaves()) {
        const vrfs = await sshJson(l.name, 'ip -j vrf show')
        expect(vrfs).toContainEqual({name: 'vrf-prod', table: 1001})
        const show = await ssh(l.name, `vtysh -c 'show vrf'`)
        expect(show.stdout).toMatch(/vrf vrf-prod id \d+ table 1001/)
      }
    }, 150_000) // ~12 ssh/HTTP/process calls

    it('show evpn vni json lists the L2 VNIs and the L3 VNI of the VRF, with the other leaf as remote VTEP', async () => {
      for (const l of leaves()) {
        const other = inv!.leaves.find(x => x.name !== l.name)!
        const vnis = await sshJson(l.name, `vtysh -c 'show evpn vni json'`)
        expect(Object.keys(vnis).sort()).toEqual(['10101', '10102', '19001'])
        for (const v of ['10101', '10102']) {
          expect(vnis[v]).toMatchObject({type: 'L2', vxlanIf: `vxlan${v}`, tenantVrf: 'vrf-prod'})
          expect(vnis[v].remoteVteps).toContain(other.vtep)
        }
        expect(vnis['19001']).toMatchObject({type: 'L3', vxlanIf: 'vxlan19001', tenantVrf: 'vrf-prod'})
      }
    }, 90_000) // ~6 ssh/HTTP/process calls

    it('a host port carries two 802.1Q-tagged VLANs on the VLAN-aware bridge (bridge -j vlan show)', async () => {
      for (const l of leaves()) {
        const table = await sshJson(l.name, 'bridge -j vlan show')
        for (const p of l.ports) {
          const entry = table.find((e: any) => e.ifname === p.iface)
          expect(entry, `${l.name} ${p.iface}`).toBeDefined()
          expect(entry.vlans.map((v: any) => v.vlan).sort()).toEqual([101, 102])
          for (const v of entry.vlans) expect(v.flags ?? []).not.toContain('Egress Untagged')
        }
        const vx = table.find((e: any) => e.ifname === 'vxlan19001')
        expect(vx.vlans).toEqual([{vlan: 4001, flags: ['PVID', 'Egress Untagged']}])
      }
    }, 90_000) // ~6 ssh/HTTP/process calls

    it('instances reach each other over the tagged ports: bridged within a network, routed across networks and leaves', async () => {
      const all = inv!.nodes.filter(n => n.role === 'host').flatMap(h => h.instances!.map(i => ({...i, host: h.name})))
      const from = all.find(i => i.name === 'lab-h1-i1')!
      // h1 and h3 hang off different leaves (bond-primary eth0 vs eth1): same network = L2 VNI, other network = L3 VNI
      const targets = [
        all.find(i => i.name === 'lab-h3-i1')!,
        all.find(i => i.name === 'lab-h3-i2')!,
        all.find(i => i.name === 'lab-h2-i2')!,
      ]
      for (const t of targets) {
        let res = {exitCode: 1, stdout: '', stderr: ''}
        for (let attempt = 0; attempt < 3 && res.exitCode !== 0; attempt++) {
          // first packets may wait for ARP/EVPN type-2
          res = await run('ip', ['netns', 'exec', from.ns, 'ping', '-c', '2', '-W', '2', '-q', t.ip], {
            timeoutMs: 15_000,
          })
        }
        expect(res.exitCode, `${from.name} -> ${t.name} ${t.ip}: ${res.stdout}`).toBe(0)
        expect(res.stdout).toMatch(/ 0% packet loss/)
        expect(res.stdout).not.toMatch(/duplicates/)
      }
      // symmetric IRB: leaf1 routes to lab-h3-i2 (behind leaf2, other network) over the L3 VNI's SVI
      // to leaf2's VTEP, with leaf2's router MAC learned from EVPN
      const [leaf1, leaf2] = leaves()
      const far = targets[1]
      const routes = await sshJson(leaf1.name, `ip -j route show vrf vrf-prod ${far.ip}`)
      expect(routes).toContainEqual(
        expect.objectContaining({dst: far.ip, gateway: leaf2.vtep ?? inv!.leaves[1].vtep, dev: 'vlan4001'}),
      )
      const rmac = await sshJson(leaf1.name, `vtysh -c 'show evpn rmac vni 19001 json'`)
      expect(rmac[leaf2.routerMac]).toEqual({routerMac: leaf2.routerMac, vtepIp: inv!.leaves[1].vtep})
    }, 210_000) // ~18 ssh/HTTP/process calls
  },
)
