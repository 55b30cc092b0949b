// Proves each piece of the lab (test/lab) is the real thing: Neutron on PostgreSQL, OVS hosts
// (one on Debian 11's OVS 2.15.0, one with qbr/qvb/qvo plugging, one with bpffs) reachable over
// SSH, FRR leaves with BGP EVPN, and a working VXLAN data plane between instances.
import fs from 'node:fs'
import {parse} from 'yaml'
import {describe, expect, it} from 'vitest'
import {LAB_CONFIG, LAB_DIR, labSkipNote, labSsh, run, useLab, type LabInventory} from './lab.js'

const lab = await useLab()

function inCidr(ip: string, cidr: string): boolean {
  const [net, bits] = cidr.split('/')
  const n = (a: string) => a.split('.').reduce((acc, o) => (acc << 8) + Number(o), 0) >>> 0
  const mask = bits === '0' ? 0 : (~0 << (32 - Number(bits))) >>> 0
  return (n(ip) & mask) >>> 0 === (n(net) & mask) >>> 0
}

async function neutron(inv: LabInventory, method: string, p: string, body?: unknown) {
  const res = await fetch(inv.neutron.url + p, {
    method,
    headers: {'content-type': 'application/json', 'x-project-id': inv.neutron.projectId},
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  })
  const text = await res.text()
  return {status: res.status, body: text ? JSON.parse(text) : null}
}

const node = (inv: LabInventory, name: string) => inv.nodes.find(n => n.name === name)!

describe.skipIf(!lab)(`the lab is real${labSkipNote()}`, () => {
  const inv = lab!

  it('writes a fabricctl context file in the docs/contexts.md format', () => {
    const cfg = parse(fs.readFileSync(LAB_CONFIG, 'utf8'))
    expect(cfg.apiVersion).toBe('fabricctl/v1')
    expect(cfg.kind).toBe('Config')
    expect(cfg['current-context']).toBe('lab')
    const ctx = cfg.contexts.find((c: any) => c.name === 'lab')
    expect(ctx.backend).toBe('live')
    expect(ctx.neutron).toEqual({
      url: inv.neutron.url,
      auth: {type: 'noauth', projectId: 'fake_project_id'},
      timeoutMs: 30000,
    })
    for (const f of [ctx.ssh.identityFile, ctx.ssh.knownHostsFile]) {
      expect(f.startsWith('/')).toBe(true)
      expect(fs.existsSync(f)).toBe(true)
    }
    expect(ctx.inventory.hosts.length).toBeGreaterThanOrEqual(3)
    expect(ctx.inventory.leaves.map((l: any) => l.name)).toEqual(['lab-leaf1', 'lab-leaf2'])
    for (const h of ctx.inventory.hosts) expect(h.nics.map((n: any) => n.leaf)).toEqual(['lab-leaf1', 'lab-leaf2'])
    for (const i of ctx.inventory.instances) expect(i.portId).toMatch(/^[0-9a-f-]{36}$/)
  }, 60_000) // file reads

  it('Neutron holds the seeded VLAN networks with their labels as tags', async () => {
    const {status, body} = await neutron(inv, 'GET', '/v2.0/networks')
    expect(status).toBe(200)
    const byName = new Map(body.networks.map((n: any) => [n.name, n]))
    for (const want of inv.networks) {
      const got: any = byName.get(want.name)
      expect(got, want.name).toBeDefined()
      expect(got['provider:network_type']).toBe('vlan')
      expect(got['provider:physical_network']).toBe('physnet1')
      expect(got['provider:segmentation_id']).toBe(want.vlan)
      expect([...got.tags].sort()).toEqual([...want.tags].sort())
    }
    const prod = (await neutron(inv, 'GET', '/v2.0/networks?tags=prod-env')).body.networks
    expect(prod.length).toBe(2)
  }, 150_000) // ~12 ssh/HTTP/process calls

  it('Neutron answers a port create with an IP from its subnet, and deletes it', async () => {
    const net = inv.networks[0]
    const created = await neutron(inv, 'POST', '/v2.0/ports', {
      port: {network_id: net.id, name: `lab-test-${process.pid}`, project_id: inv.neutron.projectId},
    })
    expect(created.status).toBe(201)
    const port = created.body.port
    try {
      expect(port.fixed_ips).toHaveLength(1)
      expect(port.fixed_ips[0].subnet_id).toBe(net.subnetId)
      expect(inCidr(port.fixed_ips[0].ip_address, net.cidr)).toBe(true)
      expect(port.mac_address).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/)
    } finally {
      expect((await neutron(inv, 'DELETE', `/v2.0/ports/${port.id}`)).status).toBe(204)
    }
    expect((await neutron(inv, 'GET', `/v2.0/ports/${port.id}`)).status).toBe(404)
  }, 60_000) // ~3 ssh/HTTP/process calls

  it('every instance port is in Neutron, bound to its host', async () => {
    for (const i of inv.instances) {
      const {status, body} = await neutron(inv, 'GET', `/v2.0/ports/${i.portId}`)
      expect(status, i.name).toBe(200)
      expect(body.port['binding:host_id']).toBe(i.host)
      expect(body.port.fixed_ips[0].ip_address).toBe(i.ip)
      expect(body.port.name).toBe(i.name)
    }
  }, 90_000) // ~6 ssh/HTTP/process calls

  it('ssh with the lab key and known_hosts reaches every host and leaf, and hostname matches', async () => {
    for (const n of inv.nodes) {
      const r = await labSsh(n.name, 'hostname; cat /etc/hostname')
      expect(r.exitCode, `${n.name}: ${r.stderr}`).toBe(0)
      expect(r.stdout.trim().split('\n')).toEqual([n.name, n.name])
    }
  }, 90_000) // ~6 ssh/HTTP/process calls

  it('host keys are checked: an empty known_hosts is refused', async () => {
    const h = inv.hosts[0]
    const r = await run('ssh', [
      '-n',
      '-F',
      '/dev/null',
      '-i',
      inv.ssh.identityFile,
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'ConnectTimeout=10',
      `root@${h.address}`,
      'true',
    ])
    expect(r.exitCode).not.toBe(0)
    expect(r.stderr).toMatch(/Host key verification failed/)
  }, 60_000) // ~1 ssh/HTTP/process call

  it("the old host runs Debian 11's Open vSwitch 2.15.0, the others the system's", async () => {
    const old = inv.nodes.find(n => n.ovs === 'debian11')!
    expect(old).toBeDefined()
    const r = await labSsh(
      old.name,
      'ovs-vsctl --version; ovs-vswitchd --version; ovs-vsctl get Open_vSwitch . ovs_version; ovs-appctl version',
    )
    expect(r.exitCode, r.stderr).toBe(0)
    const lines = r.stdout.split('\n')
    expect(lines[0]).toBe('ovs-vsctl (Open vSwitch) 2.15.0')
    expect(r.stdout).toMatch(/ovs-vswitchd \(Open vSwitch\) 2\.15\.0/)
    expect(r.stdout).toMatch(/^"2\.15\.0"$/m)
    expect(r.stdout).toMatch(/ovs-vswitchd \(Open vSwitch\) 2\.15\.0$/m) // the running daemon answers
    for (const h of inv.nodes.filter(n => n.role === 'host' && n.ovs === 'system')) {
      const v = await labSsh(h.name, 'ovs-vsctl --version | head -1')
      expect(v.stdout).toMatch(/^ovs-vsctl \(Open vSwitch\) \d+\.\d+\.\d+/)
      expect(v.stdout).not.toMatch(/2\.15\.0/)
    }
  }, 150_000) // ~12 ssh/HTTP/process calls

  it('each host has br-int, br-bond, the patch pair and a bond of two NICs on the userspace datapath', async () => {
    for (const h of inv.nodes.filter(n => n.role === 'host')) {
      const r = await labSsh(
        h.name,
        'ovs-vsctl list-br; ovs-vsctl get Bridge br-int datapath_type; ovs-vsctl get Interface int-br-bond options:peer; ovs-vsctl get Interface phy-br-bond options:peer; ovs-appctl bond/show bond0',
      )
      expect(r.exitCode, `${h.name}: ${r.stderr}`).toBe(0)
      expect(r.stdout).toMatch(/^br-bond\nbr-int\nnetdev\n"?phy-br-bond"?\n"?int-br-bond"?\n/)
      expect(r.stdout).toMatch(/bond_mode: active-backup/)
      expect(r.stdout).toMatch(/member eth0|slave eth0/)
      expect(r.stdout).toMatch(/member eth1|slave eth1/)
    }
  }, 90_000) // ~6 ssh/HTTP/process calls

  it('instance ports on br-int carry iface-id = Neutron port id, attached-mac and the local VLAN tag', async () => {
    for (const h of inv.nodes.filter(n => n.role === 'host')) {
      for (const i of h.instances!) {
        const dev = inv.instances.find(x => x.name === i.name)!.device
        const r = await labSsh(
          h.name,
          `ovs-vsctl get Interface ${dev} external_ids:iface-id external_ids:attached-mac; ovs-vsctl get Port ${dev} tag; ovs-vsctl port-to-br ${dev}`,
        )
        expect(r.exitCode, `${h.name} ${dev}: ${r.stderr}`).toBe(0)
        expect(r.stdout.split('\n').slice(0, 4)).toEqual([`"${i.id}"`, `"${i.mac}"`, String(h.localVlan), 'br-int'])
      }
    }
  }, 90_000) // ~6 ssh/HTTP/process calls

  it('the qbr host shows tap -> qbr -> qvb <-> qvo plugging with an iptables rule per port', async () => {
    const q = inv.nodes.find(n => n.plugging === 'qbr')!
    const links = await labSsh(q.name, 'ip -j link show')
    expect(links.exitCode).toBe(0)
    const byName = new Map<string, any>(JSON.parse(links.stdout).map((l: any) => [l.ifname, l]))
    const ipt = await labSsh(q.name, 'iptables -S FORWARD')
    for (const i of q.instances!) {
      const s = i.id.slice(0, 11)
      expect(byName.get(`qbr${s}`)?.linkinfo ?? byName.get(`qbr${s}`), `qbr${s}`).toBeDefined()
      expect(byName.get(`tap${s}`)?.master).toBe(`qbr${s}`)
      expect(byName.get(`qvb${s}`)?.master).toBe(`qbr${s}`)
      expect(byName.get(`qvo${s}`), `qvo${s}`).toBeDefined()
      expect((await labSsh(q.name, `ovs-vsctl port-to-br qvo${s}`)).stdout.trim()).toBe('br-int')
      expect(ipt.stdout).toContain(`--physdev-out tap${s}`)
    }
    const br = await labSsh(q.name, 'bridge -j link show')
    const ports = JSON.parse(br.stdout).map((p: any) => `${p.ifname}@${p.master}`)
    for (const i of q.instances!) expect(ports).toContain(`qvb${i.id.slice(0, 11)}@qbr${i.id.slice(0, 11)}`)
  }, 270_000) // ~24 ssh/HTTP/process calls

  it('one host has a bpffs mounted at /sys/fs/bpf (in its own mount namespace only)', async () => {
    const b = inv.nodes.find(n => n.bpffs)!
    expect((await labSsh(b.name, 'stat -f -c %T /sys/fs/bpf')).stdout.trim()).toBe('bpf_fs')
    const other = inv.nodes.find(n => n.role === 'host' && !n.bpffs)!
    expect((await labSsh(other.name, 'stat -f -c %T /sys/fs/bpf')).stdout.trim()).not.toBe('bpf_fs')
  }, 60_000) // ~2 ssh/HTTP/process calls

  it('FRR on each leaf reports its VNIs with a remote VTEP (show evpn vni json)', async () => {
    for (const l of inv.nodes.filter(n => n.role === 'leaf')) {
      const r = await labSsh(l.name, "vtysh -c 'show evpn vni json'")
      expect(r.exitCode, r.stderr).toBe(0)
      const vnis = JSON.parse(r.stdout)
      expect(Object.keys(vnis).map(Number).sort()).toEqual([...l.vnis!].sort())
      for (const v of l.vnis!) {
        expect(vnis[String(v)].vxlanIf).toBe(`vxlan${v}`)
        expect(vnis[String(v)].numRemoteVteps).toBeGreaterThanOrEqual(1)
      }
      const bgp = JSON.parse((await labSsh(l.name, "vtysh -c 'show bgp l2vpn evpn summary json'")).stdout)
      expect(JSON.stringify(bgp)).toContain('"state":"Established"')
    }
  }, 150_000) // ~12 ssh/HTTP/process calls

  it('instances on two hosts behind different leaves reach each other over VXLAN/EVPN', async () => {
    // lab-h1 (bond active on eth0 -> lab-leaf1) and lab-h3 (active on eth1 -> lab-leaf2) share lab-net1
    const a = node(inv, 'lab-h1').instances![0]
    const b = node(inv, 'lab-h3').instances![0]
    expect(node(inv, 'lab-h1').bondActive).not.toBe(node(inv, 'lab-h3').bondActive)
    const ping = await run('ip', ['netns', 'exec', a.ns, 'ping', '-c', '3', '-W', '2', '-i', '0.3', b.ip], {
      timeoutMs: 30_000,
    })
    expect(ping.exitCode, ping.stdout + ping.stderr).toBe(0)
    const macs = JSON.parse((await labSsh('lab-leaf1', `vtysh -c 'show evpn mac vni ${a.vni} json'`)).stdout)
    expect(macs.macs[b.mac]?.type, JSON.stringify(macs).slice(0, 500)).toBe('remote')
    expect(macs.macs[b.mac]?.remoteVtep).toBe('198.19.255.12')
  }, 60_000) // ~2 ssh/HTTP/process calls

  it('status reports the lab healthy', async () => {
    const r = await run(`${LAB_DIR}/status`, ['--wait', '30'], {timeoutMs: 120_000})
    expect(r.exitCode, r.stdout).toBe(0)
    expect(r.stdout).toMatch(/lab: healthy/)
  }, 60_000) // ~1 ssh/HTTP/process call
})

// up -> checks -> down -> nothing left, on a lab of its own: only when asked (it takes the shared
// lab down for a minute). The globalSetup teardown checks the same after a run that started the lab.
describe.runIf(!!lab && process.env.FABRICCTL_LAB_SELFTEST === '1')('lab selftest (FABRICCTL_LAB_SELFTEST=1)', () => {
  it('test/lab/selftest: up, checks, down leaves no namespace, process or mount, up again', async () => {
    const r = await run(`${LAB_DIR}/selftest`, [], {timeoutMs: 900_000})
    expect(r.exitCode, (r.stdout + r.stderr).slice(-3000)).toBe(0)
  }, 900_000)
})
