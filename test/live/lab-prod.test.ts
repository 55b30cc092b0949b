// The lab's prod profile (test/lab/up --profile prod): shaped like a production deployment. The real
// Debian neutron-openvswitch-agent on every host (RabbitMQ on loopback), ML2's openvswitch mechanism
// driver, a Neutron without data_plane_status, devices plugged as Nova/CNI would (fabricctl never
// wires them), a leaf shared with hand-made configuration, and the host shapes operators meet.
// Runs only when FABRICCTL_LAB_PROFILE lists prod (e.g. `full,prod`); coexists with the native and
// full labs (state dir test/lab/state/prod, namespaces fabp-*, management 198.18.2.0/24, Neutron on
// 127.0.0.1:19698, RabbitMQ on 127.0.0.1:5673). These checks need no change in src/; fabricctl's
// read commands are run against the lab and must exit as documented (what they report is in the
// issue's closing note).
import fs from 'node:fs'
import path from 'node:path'
import {afterAll, expect, it} from 'vitest'
import {runCli} from '../helpers/cli.js'
import {LAB_DIR, describeOnLabs, run, useLabMatrix, type LabInventory} from './lab.js'

interface ProdInventory extends LabInventory {
  handMade: {
    leaf: string
    bridges: {name: string; vlan: number; ports: string[]; server: {name: string; ns: string; ip: string}}[]
    vnis: {vni: number; bridge: string; vxlan: string; routeTarget: string}[]
  }[]
  unknownDevices: {host: string; device: string; ifaceId: string | null}[]
}

const [lab] = await useLabMatrix<ProdInventory>(['prod'], 'production-shaped lab tests (real OVS agents)')
afterAll(() => lab!.release(), 300_000)

const HDR = {'X-Project-Id': 'fake_project_id'}
async function neutron(inv: ProdInventory, p: string): Promise<any> {
  const res = await fetch(`${inv.neutron.url}${p}`, {headers: HDR, signal: AbortSignal.timeout(15_000)})
  expect(res.status, `GET ${p}`).toBe(200)
  return res.json()
}
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

describeOnLabs([lab!], 'production-shaped lab: real OVS agents, shared leaf, host shapes', lab => {
  const inv = () => lab.inv!
  const ssh = (node: string, command: string) =>
    run('ssh', ['-n', '-F', lab.paths.sshConfig, node, command], {timeoutMs: 30_000})
  async function sshOk(node: string, command: string): Promise<string> {
    const r = await ssh(node, command)
    expect(r.exitCode, `${node}: ${command}: ${r.stderr}`).toBe(0)
    return r.stdout
  }
  const hosts = () => inv().nodes.filter(n => n.role === 'host')
  const agents = async () =>
    (await neutron(inv(), '/v2.0/agents?agent_type=Open+vSwitch+agent')).agents as {host: string; alive: boolean}[]

  it('the context declares no fact fabricctl could read from the devices', () => {
    expect(inv().profile).toBe('prod')
    const yaml = fs.readFileSync(lab.paths.config, 'utf8')
    expect(yaml).toMatch(/^current-context: lab$/m)
    expect(yaml).toContain('url: http://127.0.0.1:19698')
    for (const made of ['vtep:', 'asn:', 'plugging:', 'speedMbps:', 'instances:', 'anycastMac:'])
      expect(yaml, `fabricctl.yaml must not declare ${made}`).not.toContain(made)
    // the cabling is declared (no device can tell it): lab-h3 has both NICs on lab-leaf1
    expect(yaml).toMatch(/- \{ name: eth1, leaf: lab-leaf1, interface: swp13 \}/)
  }, 60_000) // file reads

  it('Neutron has no data_plane_status but keeps tags; ML2 bound every port vif_type=ovs; ACTIVE from Neutron itself', async () => {
    const aliases = ((await neutron(inv(), '/v2.0/extensions')).extensions as {alias: string}[]).map(e => e.alias)
    expect(aliases).not.toContain('data-plane-status')
    expect(aliases).toContain('standard-attr-tag')
    const ports = (await neutron(inv(), '/v2.0/ports')).ports as any[]
    for (const h of hosts())
      for (const i of h.instances!) {
        const p = ports.find(x => x.id === i.id)
        expect(p, `${i.name}'s port`).toBeTruthy()
        expect([p.status, p['binding:vif_type'], p['binding:host_id']], i.name).toEqual(['ACTIVE', 'ovs', h.name])
        expect(p).not.toHaveProperty('data_plane_status')
      }
  }, 60_000) // 2 HTTP calls

  it('every host reports its agent alive (heartbeat) in /v2.0/agents, with the bridge mapping it runs', async () => {
    const list = (await neutron(inv(), '/v2.0/agents?agent_type=Open+vSwitch+agent')).agents as any[]
    for (const h of hosts()) {
      const a = list.find(x => x.host === h.name)
      expect(a, `agent of ${h.name}`).toBeTruthy()
      expect(a.alive).toBe(true)
      expect(a.configurations.bridge_mappings).toEqual({physnet1: 'br-bond'})
      expect(Date.now() - Date.parse(`${a.heartbeat_timestamp}Z`)).toBeLessThan(60_000)
    }
  }, 60_000) // 1 HTTP call

  it('the host shapes: LACP configured but not negotiated, both NICs on one leaf, mixed plugging, unknown devices', async () => {
    const h1 = await sshOk('lab-h1', 'ovs-appctl bond/show bond0; ovs-appctl lacp/show bond0')
    expect(h1).toMatch(/bond_mode: balance-tcp/)
    expect(h1).toMatch(/lacp_status: configured/) // not "negotiated": the leaf speaks no LACP
    const h3 = inv().hosts.find(h => h.name === 'lab-h3')!
    expect(h3.nics.map(n => n.leaf)).toEqual(['lab-leaf1', 'lab-leaf1'])
    const ports = (await sshOk('lab-h2', 'ovs-vsctl list-ports br-int')).split('\n')
    const h2 = inv().instances.filter(i => i.host === 'lab-h2')
    expect(h2.map(i => i.device.slice(0, 3)).sort()).toEqual(['qvo', 'tap'])
    for (const i of h2) expect(ports).toContain(i.device)
    for (const u of inv().unknownDevices) {
      expect(ports).toContain(u.device)
      if (u.ifaceId) {
        // the agent met a device whose port Neutron does not have: it must not be ACTIVE anywhere
        const found = (await neutron(inv(), `/v2.0/ports?id=${u.ifaceId}`)).ports
        expect(found).toEqual([])
      }
    }
  }, 120_000) // ~5 ssh/HTTP calls

  it('the hand-made configuration of the shared leaf is there: br100 with another server in it, VNI 10150 without a network', async () => {
    expect(inv().handMade.length).toBe(1)
    const nets = ((await neutron(inv(), '/v2.0/networks')).networks as any[]).map(n => n['provider:segmentation_id'])
    for (const m of inv().handMade) {
      for (const b of m.bridges) {
        const members = JSON.parse(await sshOk(m.leaf, `ip -j link show master ${b.name}`)) as {ifname: string}[]
        expect(members.map(x => x.ifname)).toEqual(b.ports)
        expect(nets).not.toContain(b.vlan)
      }
      for (const v of m.vnis) {
        const [vx] = JSON.parse(await sshOk(m.leaf, `ip -j -d link show ${v.vxlan}`))
        expect(vx.linkinfo.info_data.id).toBe(v.vni)
        expect(vx.master).toBe(v.bridge)
        const evpn = JSON.parse(await sshOk(m.leaf, `vtysh -c 'show evpn vni ${v.vni} json'`))
        expect(evpn.vni).toBe(v.vni)
        expect(nets.map(s => 10000 + s)).not.toContain(v.vni)
        expect(await sshOk(m.leaf, 'cat /etc/frr/frr.conf')).toContain(`route-target import ${v.routeTarget}`)
      }
    }
  }, 120_000) // ~7 ssh/HTTP calls

  it("real traffic crosses the agents' flows: lab-h1-i1 pings lab-h3-i1 (VLAN 101 tagged on the wire)", async () => {
    const h3i1 = hosts()
      .find(h => h.name === 'lab-h3')!
      .instances!.find(i => i.name === 'lab-h3-i1')!
    const r = await run('ip', ['netns', 'exec', 'fabp-h1-i1', 'ping', '-c', '3', '-W', '2', '-i', '0.3', h3i1.ip], {
      timeoutMs: 30_000,
    })
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
  }, 60_000) // 1 process

  it('an agent that dies shows alive=false in /v2.0/agents (agent_down_time 20 s), and alive again after a restart', async () => {
    const agent = path.join(LAB_DIR, 'prod', 'agent')
    const t0 = Date.now()
    const stop = await run(agent, ['stop', 'lab-h3'], {timeoutMs: 60_000})
    expect(stop.exitCode, stop.stderr).toBe(0)
    try {
      let dead = -1
      while (Date.now() - t0 < 60_000) {
        if ((await agents()).find(a => a.host === 'lab-h3')?.alive === false) {
          dead = Date.now() - t0
          break
        }
        await sleep(2000)
      }
      expect(dead, 'lab-h3 still alive in /v2.0/agents 60 s after its agent was stopped').toBeGreaterThan(0)
      process.stderr.write(
        `[live:prod] agent death of lab-h3 seen in /v2.0/agents after ${(dead / 1000).toFixed(1)} s\n`,
      )
      // the other agents stay alive
      for (const a of await agents()) if (a.host !== 'lab-h3') expect(a.alive, a.host).toBe(true)
    } finally {
      const start = await run(agent, ['start', 'lab-h3'], {timeoutMs: 60_000})
      expect(start.exitCode, start.stderr).toBe(0)
    }
    const t1 = Date.now()
    let alive = -1
    while (Date.now() - t1 < 90_000) {
      if ((await agents()).find(a => a.host === 'lab-h3')?.alive === true) {
        alive = Date.now() - t1
        break
      }
      await sleep(2000)
    }
    expect(alive, 'lab-h3 not alive again 90 s after its agent was restarted').toBeGreaterThan(0)
    process.stderr.write(`[live:prod] lab-h3 alive again ${(alive / 1000).toFixed(1)} s after the restart\n`)
  }, 240_000) // 2 lab scripts, up to 150 s of polling

  it('fabricctl read commands run against it and exit as documented (topology, host show, audit hosts)', async () => {
    const env = {...lab.env, NO_COLOR: '1'}
    const topo = await runCli(['topology', 'show', '--json'], {env, timeoutMs: 120_000})
    expect(topo.exitCode, topo.stderr).toBe(0)
    const show = await runCli(['host', 'show', 'lab-h2', '--json'], {env, timeoutMs: 120_000})
    expect(show.exitCode, show.stderr).toBe(0)
    const audit = await runCli(['audit', 'hosts', '--json'], {env, timeoutMs: 180_000})
    expect([0, 1], `audit hosts exit ${audit.exitCode}: ${audit.stderr}`).toContain(audit.exitCode)
    expect(audit.json?.kind, audit.stdout.slice(0, 300)).toBeTruthy()
    // what they said, for the closing note (the facts to compare with are in inventory.json)
    const out = path.join(lab.paths.state, 'fabricctl-read-commands.json')
    fs.writeFileSync(out, JSON.stringify({topology: topo.json, hostShow: show.json, audit: audit.json}, null, 2))
    process.stderr.write(`[live:prod] fabricctl read commands' output kept in ${out}\n`)
  }, 240_000) // 3 CLI runs
})

// up -> checks -> down -> nothing left (fabp-* namespaces, RabbitMQ, agents and their privsep and
// ovsdb-client children, socat relays, mounts) -> up again, on the prod lab: only when asked, as for the native
// lab (lab.test.ts), because it takes the shared prod lab down for a few minutes.
describeOnLabs([lab!], 'prod lab selftest (FABRICCTL_LAB_SELFTEST=1)', () => {
  it.runIf(process.env.FABRICCTL_LAB_SELFTEST === '1')(
    'test/lab/selftest --profile prod: up, checks, down leaves nothing behind, up again',
    async () => {
      const r = await run(`${LAB_DIR}/selftest`, ['--profile', 'prod'], {timeoutMs: 1_200_000})
      expect(r.exitCode, (r.stdout + r.stderr).slice(-3000)).toBe(0)
      process.stderr.write(
        `[live:prod] ${r.stdout
          .split('\n')
          .filter(l => l.startsWith('selftest:'))
          .join('; ')}\n`,
      )
    },
    1_200_000, // 3 lab scripts: up (≤ 3 min warm, twice), down, under load
  )
})
