import path from 'node:path'
import Database from 'better-sqlite3'
import {afterAll, beforeAll, describe, expect, it, onTestFinished} from 'vitest'

import {makeHome, runCli, type TestHome} from './helpers/cli.js'
import {buildFabric} from './helpers/fabric-builder.js'
import {assertMatchesSchema} from './helpers/schema.js'
import {storeFingerprint} from './helpers/store-fingerprint.js'

/** Port workflow on the simulated small fabric (one AZ, 4 leaves, 10 hosts), as a user runs it. */
let home: TestHome
let db: Database.Database
const cli = async (args: string[]) => {
  const r = await runCli([...args, '--json'], {home})
  if (r.json) assertMatchesSchema(r.json)
  return r
}
const one = <T>(sql: string, ...args: unknown[]) => db.prepare(sql).get(...args) as T
const all = <T>(sql: string, ...args: unknown[]) => db.prepare(sql).all(...args) as T[]
const portCount = () => one<{n: number}>('SELECT count(*) AS n FROM ports').n
const fingerprint = () => storeFingerprint(db)
const hostsByRole = (role: string) =>
  all<{name: string; plugging: string}>('SELECT name, plugging FROM hosts WHERE role = ? ORDER BY name', role)

beforeAll(async () => {
  home = makeHome()
  expect((await runCli(['sim', 'init'], {home})).exitCode).toBe(0)
  db = new Database(path.join(home.dir, 'sim.db'), {readonly: true})
})
afterAll(() => {
  db.close()
  home.cleanup()
})

describe('port allocate', () => {
  it('by label picks the network with the most free addresses, never a reserved address, and is idempotent by name', async () => {
    const usage = (await cli(['ipam', 'usage'])).json.rows as {name: string; free: number}[]
    const prod = usage
      .filter(r => ['prod-a', 'prod-b'].includes(r.name))
      .sort((a, b) => b.free - a.free || a.name.localeCompare(b.name))
    const r = await cli(['port', 'allocate', '--label', 'prod-env', '--name', 'cni-pod-1'])
    expect(r.exitCode).toBe(0)
    expect(r.json).toMatchObject({kind: 'PortAllocation', created: 1, existing: 0, dryRun: false})
    const p = r.json.ports[0]
    expect(p).toMatchObject({name: 'cni-pod-1', network: prod[0]!.name, state: 'DOWN_DOWN', created: true, host: null})
    const net = one<{cidr: string; gateway: string}>('SELECT cidr, gateway FROM networks WHERE name = ?', p.network)
    expect(p.ip).not.toBe(net.gateway)
    expect(p.ip.endsWith('.0') || p.ip.endsWith('.255')).toBe(false)
    expect(one<{n: number}>('SELECT count(*) AS n FROM controller_ports WHERE port_id = ?', p.id).n).toBe(1)
    // A CNI retry gets the same port back, unchanged.
    const again = await cli(['port', 'allocate', '--label', 'prod-env', '--name', 'cni-pod-1'])
    expect(again.exitCode).toBe(0)
    expect(again.json.ports[0]).toMatchObject({id: p.id, ip: p.ip, mac: p.mac, created: false})
    expect(again.json).toMatchObject({created: 0, existing: 1})
    const strict = await cli(['port', 'allocate', '--label', 'prod-env', '--name', 'cni-pod-1', '--fail-if-exists'])
    expect(strict.exitCode).toBe(4)
    expect(strict.json.error.code).toBe('PORT_EXISTS')
    // The same name asked from another label is a conflict, not a silent return.
    const other = await cli(['port', 'allocate', '--label', 'test-env', '--name', 'cni-pod-1'])
    expect(other.exitCode).toBe(2)
    expect(other.json.error.code).toBe('PORT_NAME_CONFLICT')
  })

  it('never hands out network, broadcast or gateway addresses, even when filling a network', async () => {
    const r = await cli(['port', 'allocate', '--network', 'suba-prod', '--count', '55', '--name-template', 'fill-{i}'])
    expect(r.exitCode).toBe(0)
    const net = one<{cidr: string; gateway: string}>('SELECT cidr, gateway FROM networks WHERE name = ?', 'suba-prod')
    const [base, prefix] = net.cidr.split('/')
    const b = base!.split('.').map(Number)
    const size = 2 ** (32 - Number(prefix))
    const first = ((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!
    const reserved = new Set([
      first,
      first + size - 1,
      (() => {
        const g = net.gateway.split('.').map(Number)
        return ((g[0]! << 24) >>> 0) + (g[1]! << 16) + (g[2]! << 8) + g[3]!
      })(),
    ])
    const nums = all<{ip_num: number}>('SELECT ip_num FROM ports WHERE network = ?', 'suba-prod').map(x => x.ip_num)
    expect(nums.length).toBe(61) // a /26 has 61 usable addresses: now full
    expect(nums.some(n => reserved.has(n))).toBe(false)
    const full = await cli(['port', 'allocate', '--network', 'suba-prod', '--name', 'one-too-many'])
    expect(full.exitCode).toBe(1)
    expect(full.json.error.code).toBe('IPAM_EXHAUSTED')
    expect(full.json.error.message).toContain('suba-prod (61/61 used, 0 free)')
    const released = await cli(['port', 'release', ...Array.from({length: 55}, (_, i) => `fill-${i + 1}`)])
    expect(released.exitCode).toBe(0)
    expect(released.json.released).toHaveLength(55)
  })

  it('--count is one atomic batch; a batch that cannot fit changes nothing and names the label, networks and usage', async () => {
    const before = fingerprint()
    const r = await cli(['port', 'allocate', '--label', 'prod-env', '--count', '600', '--name-template', 'big-{i}'])
    expect(r.exitCode).toBe(1)
    expect(r.json.error.code).toBe('IPAM_EXHAUSTED')
    expect(r.json.error.message).toMatch(
      /label "prod-env".*Networks tried: prod-[ab] \(\d+\/253 used, \d+ free\), prod-[ab] \(\d+\/253 used/,
    )
    expect(r.json.error.details.networks.map((n: any) => n.name).sort()).toEqual(['prod-a', 'prod-b'])
    expect(fingerprint()).toBe(before)
    // One name in the batch already exists and --fail-if-exists: nothing at all is created.
    const mixed = await cli([
      'port',
      'allocate',
      '--label',
      'prod-env',
      '--count',
      '3',
      '--name-template',
      'cni-pod-{i}',
      '--fail-if-exists',
    ])
    expect(mixed.exitCode).toBe(4)
    expect(fingerprint()).toBe(before)
    // Without it: the existing one comes back, the others are created, in order.
    const ok = await cli(['port', 'allocate', '--label', 'prod-env', '--count', '3', '--name-template', 'cni-pod-{i}'])
    expect(ok.exitCode).toBe(0)
    expect(ok.json.ports.map((p: any) => [p.name, p.created])).toEqual([
      ['cni-pod-1', false],
      ['cni-pod-2', true],
      ['cni-pod-3', true],
    ])
    expect(new Set(ok.json.ports.map((p: any) => p.ip)).size).toBe(3)
  })

  it('--dry-run shows the network and IPs it would use and changes nothing; the real run then uses them', async () => {
    const before = fingerprint()
    const dry = await cli([
      'port',
      'allocate',
      '--label',
      'prod-env',
      '--count',
      '4',
      '--name-template',
      'dry-{i}',
      '--dry-run',
    ])
    expect(dry.exitCode).toBe(0)
    expect(dry.json.dryRun).toBe(true)
    expect(dry.json.ports.every((p: any) => p.id === null && p.mac === null && /^10\./.test(p.ip))).toBe(true)
    expect(fingerprint()).toBe(before)
    const real = await cli(['port', 'allocate', '--label', 'prod-env', '--count', '4', '--name-template', 'dry-{i}'])
    expect(real.json.ports.map((p: any) => [p.network, p.ip])).toEqual(
      dry.json.ports.map((p: any) => [p.network, p.ip]),
    )
    await cli(['port', 'release', 'dry-1', 'dry-2', 'dry-3', 'dry-4'])
  })

  it('a network-exhausted fault makes that network count as full', async () => {
    const usage = (await cli(['ipam', 'usage'])).json.rows as {name: string; free: number}[]
    const best = usage
      .filter(r => ['prod-a', 'prod-b'].includes(r.name))
      .sort((a, b) => b.free - a.free || a.name.localeCompare(b.name))[0]!.name
    const other = best === 'prod-a' ? 'prod-b' : 'prod-a'
    expect((await runCli(['sim', 'fault', 'inject', 'network-exhausted', '--target', best], {home})).exitCode).toBe(0)
    try {
      const r = await cli(['port', 'allocate', '--label', 'prod-env', '--name', 'steered'])
      expect(r.json.ports[0].network).toBe(other)
      expect(r.json.candidates.find((c: any) => c.name === best)).toMatchObject({free: 0, exhausted: true})
      const direct = await cli(['port', 'allocate', '--network', best, '--name', 'refused'])
      expect(direct.exitCode).toBe(1)
      expect(direct.json.error.message).toContain('exhausted')
      expect((await cli(['ipam', 'usage'])).json.rows.find((r: any) => r.name === best)).toMatchObject({
        free: 0,
        exhausted: 1,
      })
    } finally {
      await runCli(['sim', 'fault', 'clear', '--all'], {home})
    }
    await cli(['port', 'release', 'steered'])
  })

  it('--ip: a free address is taken as given; reserved, in-use or foreign addresses are refused (exit 2)', async () => {
    const net = one<{cidr: string; gateway: string}>('SELECT cidr, gateway FROM networks WHERE name = ?', 'test-a')
    const base = net.cidr.split('/')[0]!.split('.').slice(0, 3).join('.')
    const used = new Set(all<{ip: string}>('SELECT ip FROM ports WHERE network = ?', 'test-a').map(x => x.ip))
    const free = Array.from({length: 120}, (_, i) => `${base}.${i + 2}`).find(ip => !used.has(ip))!
    const ok = await cli(['port', 'allocate', '--label', 'test-env', '--name', 'fixed-1', '--ip', free])
    expect(ok.exitCode).toBe(0)
    expect(ok.json.ports[0]).toMatchObject({ip: free, network: 'test-a'})
    for (const [ip, code] of [
      [net.gateway, 'IP_RESERVED'],
      [free, 'IP_IN_USE'],
      ['192.0.2.7', 'IP_NOT_IN_NETWORKS'],
      ['10.1.2', 'IP_INVALID'],
    ] as const) {
      const r = await cli(['port', 'allocate', '--label', 'test-env', '--name', `fixed-x-${code}`, '--ip', ip])
      expect(r.exitCode, code).toBe(2)
      expect(r.json.error.code).toBe(code)
    }
    const both = await cli(['port', 'allocate', '--label', 'test-env', '--network', 'test-a'])
    expect(both.json.error.code).toBe('NETWORK_OR_LABEL')
    expect((await cli(['port', 'allocate', '--label', 'nope-env'])).json.error.code).toBe('LABEL_NOT_FOUND')
    expect((await cli(['port', 'allocate', '--label', 'prod-env', '--name', '10.0.0.1'])).json.error.code).toBe(
      'PORT_NAME_AMBIGUOUS',
    )
    await cli(['port', 'release', 'fixed-1'])
  })
})

describe('bind, migrate, release: the agent and controller state machine', () => {
  it('bind: BUILD → ACTIVE_ACTIVE, the device wired on br-int with a local VLAN, the leaves configured', async () => {
    const host = hostsByRole('hypervisor').find(h => h.plugging === 'qbr') ?? hostsByRole('hypervisor')[0]!
    await cli(['port', 'allocate', '--label', 'sub-a-prod', '--name', 'vm-a'])
    const r = await cli(['port', 'bind', 'vm-a', '--host', host.name])
    expect(r.exitCode).toBe(0)
    expect(r.json).toMatchObject({kind: 'PortBinding', host: host.name, before: {host: null, state: 'DOWN_DOWN'}})
    expect(r.json.port.state).toBe('ACTIVE_ACTIVE')
    const id = r.json.port.id as string
    const dev = one<{device: string; local_vlan: number; ofport: number}>(
      'SELECT device, local_vlan, ofport FROM ovs_ports WHERE port_id = ?',
      id,
    )
    expect(dev.device).toBe(`${host.plugging === 'qbr' ? 'qvo' : 'tap'}${id.slice(0, 11)}`)
    expect(dev.ofport).toBeGreaterThan(1)
    expect(one<{host: string}>('SELECT host FROM controller_ports WHERE port_id = ?', id).host).toBe(host.name)
    // The host's leaf interfaces now allow the network's VLAN.
    const vlan = one<{vlan: number}>('SELECT vlan FROM networks WHERE name = ?', 'suba-prod').vlan
    for (const m of all<{leaf: string; interface: string}>(
      'SELECT leaf, interface FROM controller_host_map WHERE host = ?',
      host.name,
    )) {
      const running = JSON.parse(
        one<{running: string}>('SELECT running FROM leaf_configs WHERE leaf = ?', m.leaf).running,
      )
      expect(running.interfaces[m.interface].vlans).toContain(vlan)
    }
    // Binding to another host is refused with the migrate command in the hint.
    const elsewhere = await cli(['port', 'bind', 'vm-a', '--host', hostsByRole('container')[0]!.name])
    expect(elsewhere.exitCode).toBe(2)
    expect(elsewhere.json.error.hint).toContain('port migrate')
  })

  it('faults stop the state machine where they say: agent-down BUILD, ovs-down ERROR, leaf-unreachable overlay ERROR, controller lacking the port overlay BUILD', async () => {
    const hosts = hostsByRole('container')
    const cases: [string, string, string][] = [
      ['agent-down', hosts[0]!.name, 'BUILD_ACTIVE'],
      ['ovs-down', hosts[1]!.name, 'ERROR_ACTIVE'],
    ]
    for (const [kind, host, state] of cases) {
      await cli(['port', 'allocate', '--label', 'test-env', '--name', `f-${kind}`])
      expect((await runCli(['sim', 'fault', 'inject', kind, '--target', host], {home})).exitCode).toBe(0)
      const r = await cli(['port', 'bind', `f-${kind}`, '--host', host])
      expect(r.exitCode, kind).toBe(1)
      expect(r.json.port.state, kind).toBe(state)
      expect(r.json.reasons.join(' ')).toMatch(
        kind === 'agent-down' ? /agent .* is down/ : /ovs-vswitchd is not running/,
      )
      await runCli(['sim', 'fault', 'clear', '--all'], {home})
      // Binding again to the same host after the repair re-runs the agent: ACTIVE_ACTIVE.
      expect((await cli(['port', 'bind', `f-${kind}`, '--host', host])).json.port.state).toBe('ACTIVE_ACTIVE')
    }
    const h = hosts[2]!.name
    const leaf = one<{leaf: string}>(
      'SELECT leaf FROM controller_host_map WHERE host = ? ORDER BY leaf LIMIT 1',
      h,
    ).leaf
    await runCli(['sim', 'fault', 'inject', 'leaf-unreachable', '--target', leaf], {home})
    const r = await cli(['port', 'allocate', '--label', 'test-env', '--name', 'f-leaf', '--host', h])
    expect(r.exitCode).toBe(1)
    expect(r.json.ports[0].state).toBe('ACTIVE_ERROR')
    expect(r.json.leaves.find((l: any) => l.leaf === leaf)).toMatchObject({ok: false, cause: 'LEAF_UNREACHABLE'})
    await runCli(['sim', 'fault', 'clear', '--all'], {home})
    await cli(['port', 'allocate', '--label', 'test-env', '--name', 'f-ctl'])
    await runCli(['sim', 'fault', 'inject', 'controller-missing-port', '--target', 'f-ctl'], {home})
    const c = await cli(['port', 'bind', 'f-ctl', '--host', h])
    expect(c.json.port.state).toBe('ACTIVE_BUILD')
    expect(c.json.reasons.join(' ')).toContain('controller has no record')
    const check = await cli(['ipam', 'check'])
    expect(check.exitCode).toBe(1)
    expect(check.json.checks.find((x: any) => x.name === 'missing-controller-record')).toMatchObject({
      status: 'failed',
      count: 1,
    })
    await runCli(['sim', 'fault', 'clear', '--all'], {home})
    expect((await cli(['ipam', 'check'])).exitCode).toBe(0)
    const bm = hostsByRole('baremetal')[0]!.name
    const b = await cli(['port', 'allocate', '--label', 'test-env', '--name', 'bm-port', '--host', bm])
    expect(b.json.ports[0].state).toBe('ACTIVE_ACTIVE')
    expect(one<{n: number}>('SELECT count(*) AS n FROM ovs_ports WHERE port_id = ?', b.json.ports[0].id).n).toBe(0)
    await cli(['port', 'release', 'f-agent-down', 'f-ovs-down', 'f-leaf', 'f-ctl', 'bm-port'])
  }, 300_000) // ~20 CLI runs against the sim: over 60 s under CI load (load 20 on 2 cores)

  it("migrate keeps IP and MAC, moves the device, and the old host's leaf interface loses the VLAN when no port of the network remains there", async () => {
    // Two container hosts behind different leaf pairs, with no dev ports: a dedicated network is easiest to reason about.
    const pairs = all<{
      host: string
      leaf: string
      interface: string
    }>(`SELECT m.host, m.leaf, m.interface FROM controller_host_map m JOIN hosts h ON h.name = m.host
      WHERE h.role = 'container' AND NOT EXISTS (SELECT 1 FROM ports p WHERE p.host = h.name AND p.network = 'suba-prod') ORDER BY m.leaf, m.host`)
    const a = pairs[0]!
    const b = pairs.find(x => !x.leaf.startsWith(a.leaf.slice(0, -1)))!
    await cli(['port', 'allocate', '--label', 'sub-a-prod', '--name', 'drifter', '--host', a.host])
    const vlan = one<{vlan: number}>('SELECT vlan FROM networks WHERE name = ?', 'suba-prod').vlan
    const leafVlans = (leaf: string, iface: string) =>
      JSON.parse(one<{running: string}>('SELECT running FROM leaf_configs WHERE leaf = ?', leaf).running).interfaces[
        iface
      ]?.vlans ?? []
    expect(leafVlans(a.leaf, a.interface)).toContain(vlan)
    const before = await cli(['port', 'show', 'drifter'])
    const dry = await cli(['port', 'migrate', 'drifter', '--to-host', b.host, '--dry-run'])
    expect(dry.json).toMatchObject({dryRun: true, changed: true})
    expect((await cli(['port', 'show', 'drifter'])).json.port.host).toBe(a.host)
    const r = await cli(['port', 'migrate', before.json.port.ip, '--to-host', b.host])
    expect(r.exitCode).toBe(0)
    expect(r.json.before).toMatchObject({host: a.host, ip: before.json.port.ip, mac: before.json.port.mac})
    expect(r.json.after).toMatchObject({
      host: b.host,
      ip: before.json.port.ip,
      mac: before.json.port.mac,
      state: 'ACTIVE_ACTIVE',
    })
    expect(r.json.leaves.map((l: any) => l.side)).toEqual(expect.arrayContaining(['old', 'new']))
    expect(all('SELECT host FROM ovs_ports WHERE port_id = ?', r.json.port.id)).toEqual([{host: b.host}])
    expect(leafVlans(b.leaf, b.interface)).toContain(vlan)
    expect(leafVlans(a.leaf, a.interface)).not.toContain(vlan)
    // Refusals: unknown host, and no-op on the same host.
    const unknown = await cli(['port', 'migrate', 'drifter', '--to-host', 'no-such-host'])
    expect(unknown.exitCode).toBe(2)
    expect(unknown.json.error.code).toBe('HOST_NOT_FOUND')
    expect((await cli(['port', 'migrate', 'drifter', '--to-host', b.host])).json.changed).toBe(false)
    // Allocating the name again on the new host (the CNI after a drift) returns the same IP.
    expect(
      (await cli(['port', 'allocate', '--label', 'sub-a-prod', '--name', 'drifter', '--host', b.host])).json.ports[0],
    ).toMatchObject({ip: before.json.port.ip, created: false})
    const rel = await cli(['port', 'release', 'drifter'])
    expect(rel.json.released[0]).toMatchObject({host: b.host, device: expect.stringMatching(/^(tap|qvo)/)})
    expect(one<{n: number}>('SELECT count(*) AS n FROM controller_ports WHERE port_id = ?', r.json.port.id).n).toBe(0)
    expect(all('SELECT * FROM ovs_ports WHERE port_id = ?', r.json.port.id)).toEqual([])
    expect((await cli(['ipam', 'check'])).exitCode).toBe(0)
  })

  it('release is all-or-nothing: an unknown PORT releases nothing; a leaf push failure leaves config ipam check reports', async () => {
    const n = portCount()
    const r = await cli(['port', 'release', 'cni-pod-2', 'nope-port'])
    expect(r.exitCode).toBe(2)
    expect(portCount()).toBe(n)
    const host = all<{name: string}>(
      `SELECT name FROM hosts h WHERE role = 'container' AND NOT EXISTS (SELECT 1 FROM ports p WHERE p.host = h.name AND p.network = 'suba-prod') ORDER BY name`,
    ).at(-1)!.name
    await cli(['port', 'allocate', '--label', 'sub-a-prod', '--name', 'lonely', '--host', host])
    const leaf = one<{leaf: string}>(
      'SELECT leaf FROM controller_host_map WHERE host = ? ORDER BY leaf LIMIT 1',
      host,
    ).leaf
    await runCli(['sim', 'fault', 'inject', 'push-fail', '--target', leaf], {home})
    const rel = await cli(['port', 'release', 'lonely'])
    expect(rel.exitCode).toBe(3)
    await runCli(['sim', 'fault', 'clear', '--all'], {home})
    const check = await cli(['ipam', 'check'])
    expect(check.exitCode).toBe(1)
    expect(check.json.checks.find((c: any) => c.name === 'leaf-config-without-port').findings[0].evidence.leaf).toBe(
      leaf,
    )
    // The next push to that leaf (any bind behind it) cleans it up.
    await cli(['port', 'allocate', '--label', 'sub-a-prod', '--name', 'healer', '--host', host])
    await cli(['port', 'release', 'healer'])
    expect((await cli(['ipam', 'check'])).exitCode).toBe(0)
  })
})

describe('port list, show, labels, ipam', () => {
  it('lists with filters and keyset paging: pages join to the full, ordered, duplicate-free set', async () => {
    const total = portCount()
    const names: string[] = []
    let after: string | undefined
    for (let i = 0; i < 100; i++) {
      const r = await cli(['port', 'list', '--limit', '17', ...(after ? ['--after', after] : [])])
      expect(r.exitCode).toBe(0)
      names.push(...r.json.ports.map((p: any) => p.name))
      after = r.json.next ?? undefined
      if (!after) break
    }
    expect(names.length).toBe(total)
    expect(new Set(names).size).toBe(total)
    expect([...names].sort()).toEqual(names)
    const host = hostsByRole('container')[0]!.name
    const byHost = await cli(['port', 'list', '--host', host, '--limit', '1000'])
    expect(byHost.json.ports.length).toBe(one<{n: number}>('SELECT count(*) AS n FROM ports WHERE host = ?', host).n)
    expect((await cli(['port', 'list', '--prefix', 'cni-pod-'])).json.ports.map((p: any) => p.name)).toEqual([
      'cni-pod-1',
      'cni-pod-2',
      'cni-pod-3',
    ])
    {
      // --state with --label: exactly the DOWN_* ports of the label — on a fabric where we made some
      // (two in prod-env, one elsewhere), so an empty or unfiltered answer fails.
      const fx = await buildFabric()
      onTestFinished(() => fx.cleanup())
      const ports = fx.store.sql('SELECT p.id, p.name, p.network FROM ports p ORDER BY p.name').all() as {
        id: string
        name: string
        network: string
      }[]
      const prod = new Set(
        (fx.store.sql(`SELECT network FROM network_labels WHERE label = 'prod-env'`).all() as {network: string}[]).map(
          r => r.network,
        ),
      )
      const inProd = ports.filter(p => prod.has(p.network)).slice(0, 2)
      const outside = ports.find(p => !prod.has(p.network))!
      fx.edit(s => {
        s.setPortState(inProd[0]!.id, 'DOWN', 'DOWN')
        s.setPortState(inProd[1]!.id, 'DOWN', 'ACTIVE')
        s.setPortState(outside.id, 'DOWN', 'DOWN')
      })
      const down = (
        await fx.cli('port', 'list', '--state', 'DOWN_*', '--label', 'prod-env', '--limit', '1000', '--json')
      ).json.ports
      expect(down.map((p: any) => p.name)).toEqual(inProd.map(p => p.name))
      expect(down.every((p: any) => p.underlay === 'DOWN')).toBe(true)
      const downDown = (await fx.cli('port', 'list', '--state', 'DOWN_DOWN', '--limit', '1000', '--json')).json.ports
      expect(downDown.map((p: any) => p.name).sort()).toEqual([inProd[0]!.name, outside.name].sort())
    }
    expect((await cli(['port', 'list', '--state', 'SIDEWAYS'])).exitCode).toBe(2)
    const human = await runCli(['port', 'list', '--limit', '2'], {home})
    expect(human.stdout.split('\n')[0]).toMatch(/^NAME\s+IP\s+NETWORK/)
    expect(human.stderr).toMatch(/-- more: .*--after /)
  })

  it('show accepts a name, an id or an IP', async () => {
    const byName = await cli(['port', 'show', 'cni-pod-2'])
    expect(byName.exitCode).toBe(0)
    for (const ref of [byName.json.port.id, byName.json.port.ip])
      expect((await cli(['port', 'show', ref])).json.port.name).toBe('cni-pod-2')
    expect((await cli(['port', 'show', 'nope'])).exitCode).toBe(2)
  })

  it('network label add/remove change which networks a label allocates from', async () => {
    const add = await cli(['network', 'label', 'add', 'test-a', 'canary'])
    expect(add.json).toMatchObject({kind: 'NetworkLabelChange', changed: true, labels: ['canary', 'test-env']})
    expect((await cli(['network', 'label', 'add', 'test-a', 'canary'])).json.changed).toBe(false)
    expect((await cli(['port', 'allocate', '--label', 'canary', '--name', 'canary-1'])).json.ports[0].network).toBe(
      'test-a',
    )
    const dry = await cli(['network', 'label', 'remove', 'test-a', 'canary', '--dry-run'])
    expect(dry.json).toMatchObject({changed: true, dryRun: true})
    expect(all('SELECT * FROM network_labels WHERE label = ?', 'canary')).toHaveLength(1)
    expect((await cli(['network', 'label', 'remove', 'test-a', 'canary'])).json.labels).toEqual(['test-env'])
    expect((await cli(['port', 'allocate', '--label', 'canary', '--name', 'canary-2'])).json.error.code).toBe(
      'LABEL_NOT_FOUND',
    )
    expect((await cli(['network', 'label', 'add', 'test-a', 'bad,label'])).json.error.code).toBe('LABEL_INVALID')
  })

  it('ipam usage adds up to the store, by network and by label', async () => {
    const byNet = await cli(['ipam', 'usage'])
    expect(byNet.json.totals.used).toBe(portCount())
    for (const r of byNet.json.rows) expect(r.used + r.free).toBe(r.total)
    const byLabel = await cli(['ipam', 'usage', '--by', 'label'])
    expect(byLabel.json.rows.find((r: any) => r.name === 'prod-env')).toMatchObject({
      networks: ['prod-a', 'prod-b'],
      total: 506,
    })
  })

  it('ipam check finds duplicate IPs and ports bound to unknown hosts', async () => {
    const file = path.join(home.dir, 'sim.db')
    const w = new Database(file)
    try {
      w.pragma('foreign_keys = OFF')
      const p = w.prepare(`SELECT * FROM ports WHERE name = 'cni-pod-2'`).get() as any
      // Same IP in another network of the same tenant: an overlap a broken import could create.
      w.prepare(
        `INSERT INTO ports(id, name, network, ip, ip_num, mac, host, instance, underlay, overlay, created_at, updated_at) VALUES ('dup-id', 'dup-port', 'test-a', ?, ?, 'fa:16:3e:ff:00:01', 'ghost-host', NULL, 'ACTIVE', 'ACTIVE', ?, ?)`,
      ).run(p.ip, p.ip_num, p.created_at, p.created_at)
      w.prepare(
        `INSERT INTO controller_ports(port_id, network, host, ip, mac) VALUES ('dup-id', 'test-a', 'ghost-host', ?, 'fa:16:3e:ff:00:01')`,
      ).run(p.ip)
      const r = await cli(['ipam', 'check'])
      expect(r.exitCode).toBe(1)
      const by = Object.fromEntries(r.json.checks.map((c: any) => [c.name, c]))
      expect(by['duplicate-ips']).toMatchObject({status: 'failed', count: 1})
      expect(by['unknown-hosts'].findings[0].message).toContain('ghost-host')
      expect(by['bad-addresses'].status).toBe('failed') // that IP is outside test-a
      const human = await runCli(['ipam', 'check'], {home})
      expect(human.stdout).toContain('IPAM has problems')
    } finally {
      w.prepare(`DELETE FROM controller_ports WHERE port_id = 'dup-id'`).run()
      w.prepare(`DELETE FROM ports WHERE id = 'dup-id'`).run()
      w.close()
    }
  })

  it('every port command has --help with examples', async () => {
    for (const cmd of [
      ['port', 'allocate'],
      ['port', 'bind'],
      ['port', 'migrate'],
      ['port', 'release'],
      ['port', 'show'],
      ['port', 'list'],
      ['network', 'label', 'add'],
      ['network', 'label', 'remove'],
      ['ipam', 'usage'],
      ['ipam', 'check'],
    ]) {
      const r = await runCli([...cmd, '--help'], {home})
      expect(r.exitCode, cmd.join(' ')).toBe(0)
      expect(r.stdout, cmd.join(' ')).toMatch(/EXAMPLES/)
    }
  })
})
