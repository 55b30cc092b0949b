// The lab's shape per profile (test/lab/topology.mjs) and the files write-config.mjs makes from it,
// checked without a lab: the prod profile's own numbering, host shapes and hand-made leaf config,
// and its fabricctl.yaml, which fabricctl's own context loader must accept while it declares no
// fact a device could tell (issue 14). The native profile's files keep what they had.
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {loadConfig} from '../src/lib/context/config.js'

const LAB = path.resolve(import.meta.dirname, 'lab')
const {topology} = (await import(path.join(LAB, 'topology.mjs'))) as {topology: (o: object) => any}
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fabricctl-lab-profiles-'))
afterAll(() => fs.rmSync(tmp, {recursive: true, force: true}))

/** write-config.mjs over a topology and a made-up seed (what neutron.mjs seed would return). */
function writeConfig(profile: string) {
  const dir = path.join(tmp, profile)
  fs.mkdirSync(path.join(dir, 'run'), {recursive: true})
  const topo = topology({hosts: 3, profile})
  let k = 0
  const ports = topo.hosts.flatMap((h: any) =>
    h.instances.map((i: any) => {
      k++
      const net = topo.networks.find((n: any) => n.name === i.network)
      return {
        instance: i.name,
        host: h.name,
        network: net.name,
        id: `${String(k).padStart(8, '0')}-1111-2222-3333-444444444444`,
        mac: `fa:16:3e:00:00:${String(k).padStart(2, '0')}`,
        ip: `198.19.${net.vlan - 100}.${10 + k}`,
        prefix: 24,
        gateway: net.gateway,
        vlan: net.vlan,
        vni: net.vni,
        networkId: `net-${net.vlan}`,
      }
    }),
  )
  const seed = {
    networks: topo.networks.map((n: any) => ({...n, id: `net-${n.vlan}`, subnetId: `sub-${n.vlan}`})),
    ports,
  }
  fs.writeFileSync(path.join(dir, 'topology.json'), JSON.stringify(topo))
  fs.writeFileSync(path.join(dir, 'seed.json'), JSON.stringify(seed))
  if (profile === 'prod') {
    fs.writeFileSync(
      path.join(dir, 'run', 'local-vlans'),
      ports.map((p: any, i: number) => `${p.id} ${1 + (i % 2)}`).join('\n'),
    )
    fs.writeFileSync(
      path.join(dir, 'run', 'unknown-devices'),
      'h2 tapdeadbeef0 0badc0de-0000-0000-0000-000000000000\nh2 vnet-probe0 -\n',
    )
  }
  execFileSync(process.execPath, [
    path.join(LAB, 'write-config.mjs'),
    path.join(dir, 'topology.json'),
    path.join(dir, 'seed.json'),
    dir,
    path.join(dir, 'run'),
  ])
  return {
    dir,
    yaml: fs.readFileSync(path.join(dir, 'fabricctl.yaml'), 'utf8'),
    inv: JSON.parse(fs.readFileSync(path.join(dir, 'inventory.json'), 'utf8')),
  }
}

describe('lab profiles (topology.mjs, write-config.mjs)', () => {
  it('prod: its own prefix, management subnet and Neutron port; native and full unchanged', () => {
    const p = topology({hosts: 3, profile: 'prod'})
    expect([p.lab.mgmtBridge, p.lab.mgmtGateway, p.lab.neutronPort, p.lab.context]).toEqual([
      'fabp-mgmt',
      '198.18.2.1',
      19698,
      'lab',
    ])
    expect(p.hosts.map((h: any) => h.ns)).toEqual(['fabp-h1', 'fabp-h2', 'fabp-h3'])
    expect(topology({hosts: 3, profile: 'native'}).hosts[0].ns).toBe('fabl-h1')
    expect(topology({hosts: 3, profile: 'full'}).hosts[0].ns).toBe('fabf-h1')
    expect(() => topology({hosts: 3, profile: 'bogus'})).toThrow(/native, full or prod/)
  })

  it('prod: the host shapes and the hand-made configuration of the shared leaf', () => {
    const p = topology({hosts: 4, profile: 'prod'})
    const [h1, h2, h3, h4] = p.hosts
    expect(h1.bond).toEqual({mode: 'balance-tcp', lacp: 'active'})
    expect(h2.instances.map((i: any) => i.plugging)).toEqual(['qbr', 'direct'])
    expect(h2.unknownDevices).toBe(true)
    expect(h3.nics.map((n: any) => `${n.leaf}:${n.interface}`)).toEqual(['lab-leaf1:swp3', 'lab-leaf1:swp13'])
    expect(h4.bond.mode).toBe('active-backup')
    // the agent picks local VLANs: the topology does not invent them
    for (const h of p.hosts) for (const i of h.instances) expect(i).not.toHaveProperty('localVlan')
    const leaf1 = p.leaves[0]
    expect(leaf1.ports.map((x: any) => x.iface)).toEqual(['swp1', 'swp2', 'swp3', 'swp13', 'swp4'])
    expect(leaf1.handMade.bridges[0]).toMatchObject({name: 'br100', vlan: 100, ports: ['swp20']})
    expect(leaf1.handMade.vnis[0]).toMatchObject({vni: 10150, bridge: 'br10150', vxlan: 'vxlan10150'})
    // no Neutron network backs the hand-made VLAN or VNI
    expect(p.networks.map((n: any) => n.vlan)).not.toContain(100)
    expect(p.networks.map((n: any) => n.vni)).not.toContain(10150)
    expect(p.leaves[1].handMade).toBeUndefined()
  })

  it('prod: fabricctl.yaml loads with fabricctl context schema and declares no fact a device could tell', async () => {
    const {dir, yaml, inv} = writeConfig('prod')
    const cfg = await loadConfig(path.join(dir, 'fabricctl.yaml'))
    const ctx = cfg.contexts.find(c => c.name === 'lab')!
    expect(ctx.backend).toBe('live')
    for (const made of ['vtep:', 'asn:', 'plugging:', 'speedMbps:', 'instances:', 'anycastMac:', 'tenants:'])
      expect(yaml, made).not.toContain(made)
    expect(yaml).toContain('url: http://127.0.0.1:19698')
    expect(yaml).toContain('{ name: eth1, leaf: lab-leaf1, interface: swp13 }')
    // inventory.json keeps the lab's facts for the tests
    expect(inv.profile).toBe('prod')
    expect(inv.handMade).toEqual([
      expect.objectContaining({leaf: 'lab-leaf1', bridges: [expect.objectContaining({name: 'br100'})]}),
    ])
    expect(inv.unknownDevices).toEqual([
      {host: 'lab-h2', device: 'tapdeadbeef0', ifaceId: '0badc0de-0000-0000-0000-000000000000'},
      {host: 'lab-h2', device: 'vnet-probe0', ifaceId: null},
    ])
    const h2 = inv.nodes.find((n: any) => n.name === 'lab-h2')
    expect(h2.instances.map((i: any) => i.localVlan)).toEqual([1, 2])
    expect(inv.instances.filter((i: any) => i.host === 'lab-h2').map((i: any) => i.device.slice(0, 3))).toEqual([
      'qvo',
      'tap',
    ])
  })

  it('native: fabricctl.yaml still declares what it did (vtep, plugging, instances)', async () => {
    const {dir, yaml, inv} = writeConfig('native')
    await loadConfig(path.join(dir, 'fabricctl.yaml'))
    for (const kept of ['vtep:', 'asn:', 'plugging:', 'speedMbps:', 'instances:', 'anycastMac:'])
      expect(yaml, kept).toContain(kept)
    expect(inv).not.toHaveProperty('handMade')
  })
})
