import fs from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BUILTIN_CLASSES} from '../src/lib/capacity/limits.js'
import {type FabricStore} from '../src/lib/store/fabric-store.js'
import {makeHome, runCli, type TestHome} from './helpers/cli.js'
import {simHome} from './helpers/sim-home.js'

// leaf capacity (issue 17 §3): predicted table use per leaf, against limits by ASIC class, and the
// --check-capacity gate of port allocate / migrate that refuses before anything is created.

let home: TestHome
const {cli, withStore} = simHome(() => home)
interface Row {
  leaf: string
  class: string | null
  reason: string | null
  counts: {macs: number; neighbors: number; hostRoutes: number; vnis: number; vrfs: number}
  tables: {table: string; used: number; limit: number | null; status: string}[]
  status: string
}
const rows = async (...extra: string[]) =>
  ((await cli('leaf', 'capacity', '--all', '--json', ...extra)).json as {leaves: Row[]}).leaves
const writeLimits = (name: string, doc: unknown) => {
  const file = path.join(home.dir, name)
  fs.writeFileSync(file, JSON.stringify(doc))
  return file
}

/** A limits file with one class per leaf, each with the limits `at` derives from the leaf's current counts. */
async function limitsAtCurrent(
  name: string,
  leaves: readonly string[],
  at: (c: Row['counts']) => {macs?: number; hostTable?: number},
): Promise<{file: string}> {
  const current = await rows()
  const classes: Record<string, Record<string, unknown>> = {}
  const map: Record<string, string> = {}
  for (const l of leaves) {
    const lim = at(current.find(r => r.leaf === l)!.counts)
    classes[`at-${l}`] = {
      description: 'at its current count',
      macs: lim.macs ?? null,
      hostTable: lim.hostTable ?? null,
      vnis: null,
      vrfs: null,
      source: 'test',
    }
    map[l] = `at-${l}`
  }
  return {file: writeLimits(name, {schemaVersion: 1, classes, leaves: map})}
}

beforeAll(async () => {
  home = makeHome('fabricctl-capacity-')
  expect((await runCli(['sim', 'init', '--json'], {home})).exitCode).toBe(0)
})
afterAll(() => home.cleanup())

/** The same counts, brute force, from the leaves' running configuration and every host's ports. */
function expected(store: FabricStore, leaf: string) {
  const running = store.leafRunning(leaf)!
  const nets = new Map(store.networks().map(n => [n.name, n]))
  const vrfOf = new Map(store.tenants().map(t => [t.name, t.vrf]))
  const local = new Set(store.hostsOnSwitch(leaf).map(c => c.host))
  const vniNets = new Set(Object.values(running.vnis).map(v => v.network))
  const vrfs = new Set(Object.keys(running.vrfs))
  let macs = 0
  let hostRoutes = 0
  for (const h of store.hosts())
    for (const p of store.portsOnHost(h.name)) {
      if (vniNets.has(p.network)) macs++
      if (vrfs.has(vrfOf.get(nets.get(p.network)!.tenant)!) && !local.has(h.name)) hostRoutes++
    }
  return {macs, neighbors: macs, hostRoutes, vnis: vniNets.size + vrfs.size, vrfs: vrfs.size}
}

describe('leaf capacity', () => {
  it('counts what each leaf carries: the same figures as a brute-force count over the running configs and ports', async () => {
    const got = await rows()
    expect(got.length).toBeGreaterThan(1)
    await withStore(store => {
      for (const r of got) expect(r.counts, r.leaf).toEqual(expected(store, r.leaf))
    })
    expect(got.some(r => r.counts.hostRoutes > 0)).toBe(true)
  })

  it('without a limits file every limit is unknown, with the reason, and the exit is 0', async () => {
    const r = await cli('leaf', 'capacity', '--all')
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toContain('limits unknown: no limits file given')
    for (const row of await rows()) {
      expect(row.status).toBe('unknown')
      expect(row.reason).toMatch(/--limits/)
    }
  })

  it('maps leaves to built-in classes by glob; the first match wins; a table at its limit is full (exit 1)', async () => {
    const [first] = await rows()
    const leaf = first!.leaf
    const file = writeLimits('limits.json', {
      schemaVersion: 1,
      classes: {
        tight: {description: 'test', macs: first!.counts.macs, hostTable: null, vnis: null, vrfs: null, source: 'test'},
      },
      leaves: {[leaf]: 'tight', '*': 'trident3-default'},
    })
    const got = await rows('--limits', file)
    const mine = got.find(r => r.leaf === leaf)!
    expect(mine.class).toBe('tight')
    expect(mine.status).toBe('full')
    expect(mine.tables.find(t => t.table === 'macs')).toMatchObject({
      used: first!.counts.macs,
      limit: first!.counts.macs,
    })
    const other = got.find(r => r.leaf !== leaf)!
    expect(other.class).toBe('trident3-default')
    expect(other.tables.find(t => t.table === 'macs')!.limit).toBe(BUILTIN_CLASSES['trident3-default']!.macs)
    expect(other.status).toBe('ok')
    const human = await cli('leaf', 'capacity', '--all', '--limits', file)
    expect(human.exitCode).toBe(1)
    expect(human.stdout).toMatch(
      new RegExp(`${leaf}\\s+tight\\s+${first!.counts.macs} / ${first!.counts.macs} \\(100%\\)`),
    )
  })

  it('refuses a limits file that is not valid, naming the key (exit 2)', async () => {
    const file = writeLimits('bad.json', {schemaVersion: 1, classes: {x: {macs: -1}}})
    const r = await cli('leaf', 'capacity', '--all', '--limits', file, '--json')
    expect(r.exitCode).toBe(2)
    expect(r.json).toMatchObject({error: {code: 'LIMITS_FILE_INVALID'}})
    expect((r.json as {error: {message: string}}).error.message).toMatch(/classes\.x/)
  })
})

describe('--check-capacity on port allocate and migrate', () => {
  /** A host, its network with ports, and a limits file whose MAC limit is the host's leaves' current count. */
  async function tightSetup() {
    const {host, network} = await withStore(store => {
      const h = store.hosts().find(x => store.portsOnHost(x.name).length > 0)!
      return {host: h.name, network: store.portsOnHost(h.name)[0]!.network}
    })
    const leaves = await withStore(store =>
      store
        .hosts()
        .find(h => h.name === host)!
        .nics.map(n => n.switch),
    )
    const {file} = await limitsAtCurrent('tight.json', leaves, c => ({macs: c.macs}))
    return {host, network, leaves, file}
  }
  const portCount = async (network: string) =>
    ((await cli('port', 'list', '--network', network, '--limit', '10000', '--json')).json as {ports: unknown[]}).ports
      .length

  it('with the limit at the current count, the next allocate on a host behind that leaf exits 4 and creates nothing', async () => {
    const {host, network, file} = await tightSetup()
    const before = await portCount(network)
    const r = await cli(
      'port',
      'allocate',
      '--network',
      network,
      '--host',
      host,
      '--check-capacity',
      '--limits',
      file,
      '--json',
    )
    expect(r.exitCode).toBe(4)
    expect(r.json).toMatchObject({error: {code: 'LEAF_TABLE_FULL', details: {table: 'macs'}}})
    expect(await portCount(network)).toBe(before)
    // the same allocate without the gate goes through (the gate, not something else, refused it)
    const ok = await cli('port', 'allocate', '--network', network, '--host', host, '--json')
    expect(ok.exitCode).toBe(0)
    expect(await portCount(network)).toBe(before + 1)
  })

  it('a context can make the check the default; --no-check-capacity turns it off for one run', async () => {
    const {host, network, file} = await tightSetup()
    fs.writeFileSync(
      home.env.FABRICCTL_CONFIG!,
      `apiVersion: fabricctl/v1\nkind: Config\ncurrent-context: sim\ncontexts:\n  - name: sim\n    backend: sim\n    capacity: {limits: ${path.basename(file)}, check: true}\n`,
    )
    try {
      const refused = await cli('port', 'allocate', '--network', network, '--host', host, '--json')
      expect(refused.exitCode).toBe(4)
      expect(refused.json).toMatchObject({error: {code: 'LEAF_TABLE_FULL'}})
      const allowed = await cli(
        'port',
        'allocate',
        '--network',
        network,
        '--host',
        host,
        '--no-check-capacity',
        '--json',
      )
      expect(allowed.exitCode).toBe(0)
    } finally {
      fs.rmSync(home.env.FABRICCTL_CONFIG!, {force: true})
    }
  })

  it('--check-capacity without limits is bad input (exit 2), not a silent pass', async () => {
    const r = await cli('port', 'allocate', '--network', 'prod-a', '--host', 'az1-h01', '--check-capacity', '--json')
    expect(r.exitCode).toBe(2)
    expect(r.json).toMatchObject({error: {code: 'LIMITS_MISSING'}})
  })

  it("migrate is refused when the old host's leaves would pass their host table (the moved port becomes a remote /32 there)", async () => {
    // Moving a port within a VNI both leaf pairs already carry changes no MAC count (EVPN already
    // learned it everywhere), but the old leaves now route to it: one more /32 host route there.
    const {mover, target, oldLeaves} = await withStore(store => {
      const hosts = store.hosts()
      for (const a of hosts)
        for (const b of hosts) {
          const la = a.nics.map(n => n.switch)
          if (a.az !== b.az || b.nics.some(n => la.includes(n.switch))) continue
          const p = store.portsOnHost(a.name)[0]
          if (p) return {mover: p, target: b.name, oldLeaves: la}
        }
      throw new Error('no two hosts of one AZ behind different leaf pairs')
    })
    const {file} = await limitsAtCurrent('host-table.json', oldLeaves, c => ({
      hostTable: c.neighbors + c.hostRoutes,
    }))
    const r = await cli(
      'port',
      'migrate',
      mover.name,
      '--to-host',
      target,
      '--check-capacity',
      '--limits',
      file,
      '--json',
    )
    expect(r.exitCode).toBe(4)
    expect(r.json).toMatchObject({error: {code: 'LEAF_TABLE_FULL', details: {table: 'hostTable'}}})
    const after = ((await cli('port', 'show', mover.name, '--json')).json as {port: {host: string}}).port
    expect(after.host).toBe(mover.host)
    // and with room for one more route it goes through
    const {file: roomy} = await limitsAtCurrent('host-table-roomy.json', oldLeaves, c => ({
      hostTable: c.neighbors + c.hostRoutes + 1,
    }))
    const moved = await cli(
      'port',
      'migrate',
      mover.name,
      '--to-host',
      target,
      '--check-capacity',
      '--limits',
      roomy,
      '--json',
    )
    expect(moved.exitCode).toBe(0)
  })
})
