import {randomBytes} from 'node:crypto'
import {afterAll, beforeAll, expect, it} from 'vitest'

import {runCli} from '../helpers/cli.js'
import {assertMatchesSchema} from '../helpers/schema.js'
import {describeOnLabs, type LabInventory, type MatrixLab, useLabMatrix} from './lab.js'

/**
 * Ports against each lab's real Neutron (native: no mechanism driver, so bindings fail; prod: the ML2
 * openvswitch driver binds through the real OVS agents, and there is no data_plane_status extension).
 * The test makes its own two small tagged networks (a unique label, 3 addresses each) so exhaustion
 * is quick and the lab's networks are untouched; everything it creates is deleted in afterAll.
 */
const labs = await useLabMatrix<LabInventory>(['native', 'prod'], 'ports tests against the Neutron without extras')
afterAll(async () => {
  for (const l of labs) await l.release()
}, 300_000)

describeOnLabs(labs, "ports on the lab's Neutron", (matrix: MatrixLab<LabInventory>) => {
  const lab = matrix.inv
  const tag = `p5live-${randomBytes(3).toString('hex')}`
  const env = {...matrix.env, NO_COLOR: '1'}
  const cli = async (args: string[]) => {
    const r = await runCli([...args, '--json'], {env, timeoutMs: 180_000})
    if (r.json) assertMatchesSchema(r.json)
    return r
  }

  async function neutron<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${lab!.neutron.url}${path}`, {
      method,
      headers: {'Content-Type': 'application/json', 'X-Project-Id': lab!.neutron.projectId},
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(60_000),
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`)
    return (text ? JSON.parse(text) : {}) as T
  }

  const nets: {id: string; name: string; cidr: string}[] = []
  const portsOn = async () =>
    (await neutron<{ports: any[]}>('GET', `/v2.0/ports?${nets.map(n => `network_id=${n.id}`).join('&')}`)).ports

  beforeAll(async () => {
    const physnet = lab!.networks[0]!.physnet
    for (const k of [1, 2]) {
      const vlan = 3000 + Math.floor(Math.random() * 900) + k
      const {network} = await neutron('POST', '/v2.0/networks', {
        network: {
          name: `${tag}-net${k}`,
          project_id: lab!.neutron.projectId,
          'provider:network_type': 'vlan',
          'provider:physical_network': physnet,
          'provider:segmentation_id': vlan,
        },
      })
      const cidr = `198.51.${100 + k}.0/29`
      await neutron('POST', '/v2.0/subnets', {
        subnet: {
          network_id: network.id,
          project_id: lab!.neutron.projectId,
          ip_version: 4,
          cidr,
          gateway_ip: `198.51.${100 + k}.1`,
          enable_dhcp: false,
          allocation_pools: [{start: `198.51.${100 + k}.2`, end: `198.51.${100 + k}.4`}],
        },
      })
      await neutron('PUT', `/v2.0/networks/${network.id}/tags/${tag}`)
      nets.push({id: network.id, name: network.name, cidr})
    }
  })

  afterAll(async () => {
    if (!lab) return
    for (const p of await portsOn().catch(() => [])) await neutron('DELETE', `/v2.0/ports/${p.id}`).catch(() => {})
    for (const n of nets) await neutron('DELETE', `/v2.0/networks/${n.id}`).catch(() => {})
  })

  // prod: the hosts' leaf ports sit in bridges laid out by hand, which fabricctl may not change
  const handMadeLeaves = !!(lab as {handMade?: unknown[]} | null)?.handMade?.length

  it('allocates by label (a Neutron tag) and returns the same port for the same name', async () => {
    const r = await cli(['port', 'allocate', '--label', tag, '--name', `${tag}-pod-1`, '--host', lab!.hosts[0]!.name])
    let p: any
    if (handMadeLeaves) {
      // The host's leaf port is in a bridge built by hand: the push is refused as `leaf push` refuses it
      // (LEAF_UNMANAGED, exit 4) and the plan undoes the port it had created: Neutron holds no such port.
      expect([r.exitCode, r.json.error?.code], r.stdout).toEqual([4, 'LEAF_UNMANAGED'])
      expect(r.json.error.message).toMatch(/interface swp\d+ is in \S+, which fabricctl does not manage/)
      expect((await neutron('GET', `/v2.0/ports?name=${tag}-pod-1`)).ports).toHaveLength(0)
      const plain = await cli(['port', 'allocate', '--label', tag, '--name', `${tag}-pod-1`])
      expect(plain.exitCode, plain.stdout).toBe(0)
      p = plain.json.ports[0]
      expect(p).toMatchObject({name: `${tag}-pod-1`, created: true, host: null})
    } else {
      // Bound at creation; no L2 agent, so Neutron reports binding_failed (underlay ERROR). The host's leaves are
      // pushed, but a native-profile leaf port carries one untagged VLAN and this host already has one: the push is
      // refused before anything is applied, and the overlay is recorded as ERROR. Not ACTIVE_ACTIVE: exit 1.
      expect(r.exitCode).toBe(1)
      p = r.json.ports[0]
      expect(p).toMatchObject({name: `${tag}-pod-1`, created: true, host: lab!.hosts[0]!.name, state: 'ERROR_ERROR'})
      expect(r.json.leaves.map((l: any) => l.leaf).sort()).toEqual(lab!.leaves.map(l => l.name).sort())
      for (const l of r.json.leaves)
        expect(l).toMatchObject({ok: false, changed: false, error: expect.stringMatching(/native profile/)})
    }
    const bound = (await neutron('GET', `/v2.0/ports/${p.id}`)).port
    expect(nets.map(n => n.name)).toContain(p.network)
    const again = await cli(['port', 'allocate', '--label', tag, '--name', `${tag}-pod-1`])
    expect(again.exitCode).toBe(0)
    expect(again.json.ports[0]).toMatchObject({id: p.id, ip: p.ip, mac: p.mac, created: false})
    expect((await neutron('GET', `/v2.0/ports?name=${tag}-pod-1`)).ports).toHaveLength(1)
    expect(
      (await cli(['port', 'allocate', '--label', tag, '--name', `${tag}-pod-1`, '--fail-if-exists'])).exitCode,
    ).toBe(4)
    const shown = await cli(['port', 'show', p.ip])
    expect(shown.json.port).toMatchObject({id: p.id, neutron: {vifType: bound['binding:vif_type']}})
  }, 570_000) // 8 CLI runs, ~6 ssh/HTTP/process calls

  it('bulk: --count N in one request, all or nothing; a bulk that cannot fit creates nothing', async () => {
    const r = await cli(['port', 'allocate', '--label', tag, '--count', '3', '--name-template', `${tag}-bulk-{i}`])
    expect(r.exitCode).toBe(0)
    expect(r.json.created).toBe(3)
    const ips = r.json.ports.map((p: any) => p.ip)
    expect(new Set(ips).size).toBe(3)
    expect((await portsOn()).length).toBe(4)
    // 2 addresses left across the label: a bulk of 3 fails naming the label and both networks, and creates nothing.
    const tooBig = await cli(['port', 'allocate', '--label', tag, '--count', '3', '--name-template', `${tag}-big-{i}`])
    expect(tooBig.exitCode).toBe(1)
    expect(tooBig.json.error.code).toBe('IPAM_EXHAUSTED')
    expect(tooBig.json.error.message).toContain(`label "${tag}"`)
    for (const n of nets) expect(tooBig.json.error.message).toContain(n.name)
    expect((await portsOn()).length).toBe(4)
    // The last two fit (one in each network, or both in one), then the label is exhausted.
    const last = await cli(['port', 'allocate', '--label', tag, '--count', '2', '--name-template', `${tag}-last-{i}`])
    expect(last.exitCode).toBe(0)
    expect((await portsOn()).length).toBe(6)
    const none = await cli(['port', 'allocate', '--label', tag, '--name', `${tag}-none`])
    expect(none.exitCode).toBe(1)
    expect(none.json.error.details.networks.every((n: any) => n.free === 0)).toBe(true)
    // No reserved address was handed out.
    for (const p of await portsOn()) expect(p.fixed_ips[0].ip_address).not.toMatch(/\.(0|1|7)$/)
    const rel = await cli(['port', 'release', `${tag}-last-1`, `${tag}-last-2`])
    expect(rel.json.released).toHaveLength(2)
  }, 630_000) // 10 CLI runs

  it('--ip: a taken address is refused as IP_IN_USE and nothing is created', async () => {
    const taken = (await portsOn())[0].fixed_ips[0].ip_address
    const r = await cli(['port', 'allocate', '--label', tag, '--name', `${tag}-fixed`, '--ip', taken])
    expect(r.exitCode).toBe(2)
    expect(r.json.error.code).toBe('IP_IN_USE')
    expect((await neutron('GET', `/v2.0/ports?name=${tag}-fixed`)).ports).toHaveLength(0)
  }, 120_000) // 1 CLI run, ~1 ssh/HTTP/process call

  it('migrate keeps IP and MAC and moves binding:host_id (prod: refused where the leaves are hand-made, Neutron unchanged)', async () => {
    const [h1, h2] = lab!.hosts
    let before = (await cli(['port', 'show', `${tag}-pod-1`])).json.port
    // prod: the port was created unbound; bind it the way the deployment's own tooling would, in Neutron
    if (!before.host) {
      await neutron('PUT', `/v2.0/ports/${before.id}`, {port: {'binding:host_id': h1!.name}})
      before = (await cli(['port', 'show', `${tag}-pod-1`])).json.port
    }
    const r = await cli(['port', 'migrate', `${tag}-pod-1`, '--to-host', h2!.name])
    const p = (await neutron('GET', `/v2.0/ports/${before.id}`)).port
    if (handMadeLeaves) {
      // the new host's leaf port is hand-made: refused (exit 4) and the binding put back
      expect([r.exitCode, r.json.error?.code], r.stdout).toEqual([4, 'LEAF_UNMANAGED'])
      expect(p['binding:host_id']).toBe(h1!.name)
    } else {
      expect([0, 1]).toContain(r.exitCode) // 1: the lab's Neutron cannot bind (no agent), see the state
      expect(r.json).toMatchObject({
        changed: true,
        before: {host: h1!.name, ip: before.ip, mac: before.mac},
        after: {host: h2!.name, ip: before.ip, mac: before.mac},
      })
      expect(p['binding:host_id']).toBe(h2!.name)
    }
    expect(p.fixed_ips[0].ip_address).toBe(before.ip)
    expect(p.mac_address).toBe(before.mac)
    expect((await cli(['port', 'migrate', `${tag}-pod-1`, '--to-host', 'no-such-host'])).exitCode).toBe(2)
    const other = p['binding:host_id'] === h1!.name ? h2! : h1!
    expect((await cli(['port', 'bind', `${tag}-pod-1`, '--host', other.name])).json.error.code).toBe(
      'PORT_BOUND_ELSEWHERE',
    )
  }, 300_000) // 4 CLI runs, ~1 ssh/HTTP/process call

  it('port list pages through Neutron with a label filter', async () => {
    const names: string[] = []
    let after: string | undefined
    for (let i = 0; i < 10; i++) {
      const r = await cli(['port', 'list', '--label', tag, '--limit', '2', ...(after ? ['--after', after] : [])])
      names.push(...r.json.ports.map((p: any) => p.name))
      after = r.json.next ?? undefined
      if (!after) break
    }
    expect(names.sort()).toEqual((await portsOn()).map((p: any) => p.name).sort())
  }, 90_000) // 1 CLI run

  it('network label add/remove is the Neutron tags API', async () => {
    const extra = `${tag}-x`
    const add = await cli(['network', 'label', 'add', nets[0]!.name, extra])
    expect(add.json).toMatchObject({changed: true})
    expect((await neutron('GET', `/v2.0/networks/${nets[0]!.id}`)).network.tags).toContain(extra)
    expect((await cli(['network', 'label', 'add', nets[0]!.name, extra])).json.changed).toBe(false)
    await cli(['network', 'label', 'remove', nets[0]!.name, extra])
    expect((await neutron('GET', `/v2.0/networks/${nets[0]!.id}`)).network.tags).not.toContain(extra)
  }, 240_000) // 3 CLI runs, ~2 ssh/HTTP/process calls

  it("names Neutron duplicated behind fabricctl's back are refused and reported by ipam check", async () => {
    const name = `${tag}-dup`
    // Two free addresses are left in the label (4 of 6 used): put both duplicates where they fit.
    const used = await portsOn()
    const targets = nets
      .flatMap(n => Array.from({length: 3 - used.filter((p: any) => p.network_id === n.id).length}, () => n.id))
      .slice(0, 2)
    expect(targets).toHaveLength(2)
    for (const networkId of targets)
      await neutron('POST', '/v2.0/ports', {port: {name, network_id: networkId, project_id: lab!.neutron.projectId}})
    const dups = (await neutron('GET', `/v2.0/ports?name=${name}`)).ports
    expect(dups).toHaveLength(2)
    const r = await cli(['port', 'allocate', '--label', tag, '--name', name])
    expect(r.exitCode).toBe(1)
    expect(r.json.error.code).toBe('PORT_NAME_DUPLICATE')
    const check = await cli(['ipam', 'check'])
    expect(check.exitCode).toBe(1)
    expect(
      check.json.checks.find((c: any) => c.name === 'duplicate-names').findings.map((f: any) => f.subject),
    ).toContain(name)
    for (const p of dups) await neutron('DELETE', `/v2.0/ports/${p.id}`)
  }, 450_000) // 4 CLI runs, ~18 ssh/HTTP/process calls

  it('release deletes the ports (by name, IP or id)', async () => {
    const ps = await portsOn()
    const refs = ps.map((p: any, i: number) => (i % 3 === 0 ? p.name : i % 3 === 1 ? p.fixed_ips[0].ip_address : p.id))
    const r = await cli(['port', 'release', ...refs])
    expect(r.exitCode).toBe(0)
    expect(r.json.released).toHaveLength(ps.length)
    expect(await portsOn()).toEqual([])
    expect((await cli(['port', 'release', `${tag}-pod-1`])).exitCode).toBe(2)
  }, 150_000) // 2 CLI runs
})
