import fs from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {BondEvidence} from '../src/lib/audit/types.js'
import {parsePlatform} from '../src/lib/backends/live/parse/platform.js'
import {BUILTIN_CLASSES, limitsFor} from '../src/lib/capacity/limits.js'
import {localLeaves} from '../src/lib/capacity/placement.js'
import type {Host} from '../src/lib/model/types.js'
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

describe('leaf capacity: where a dual-homed host is local, from its bond', () => {
  const host: Host = {
    name: 'h1',
    az: 'az1',
    role: 'container',
    address: null,
    ovsVersion: null,
    ovsRunning: null,
    plugging: 'direct',
    bond: 'bond0',
    nics: [
      {name: 'eth0', switch: 'leaf-a', interface: 'swp1', speedMbps: 1000, up: true},
      {name: 'eth1', switch: 'leaf-b', interface: 'swp1', speedMbps: 1000, up: true},
    ],
    kernel: {version: 'x', config: null, bpffsMounted: null, jitEnabled: null},
    agentAlive: null,
    agentHeartbeatAt: null,
  } as unknown as Host
  const bond = (b: Partial<BondEvidence>): BondEvidence => ({
    name: 'bond0',
    kind: 'ovs',
    members: ['eth0', 'eth1'],
    mode: 'active-backup',
    lacp: 'off',
    lacpFallbackAb: null,
    lacpDefaulted: [],
    activeMember: 'eth1',
    unknown: {},
    ...b,
  })
  it('active-backup: local only on the active member’s leaf', () => {
    expect(localLeaves(host, bond({}))).toEqual(new Set(['leaf-b']))
    // a Linux bond names its mode as /proc/net/bonding does
    expect(
      localLeaves(host, bond({kind: 'linux', mode: 'fault-tolerance (active-backup)', activeMember: 'eth0'})),
    ).toEqual(new Set(['leaf-a']))
  })
  it('LACP configured but never negotiated, with fallback to active-backup: the active member’s leaf', () => {
    expect(localLeaves(host, bond({mode: 'balance-tcp', lacp: 'configured', lacpFallbackAb: true}))).toEqual(
      new Set(['leaf-b']),
    )
  })
  it('negotiated LACP spans both leaves', () => {
    expect(localLeaves(host, bond({mode: 'balance-tcp', lacp: 'negotiated', activeMember: 'eth0'}))).toEqual(
      new Set(['leaf-a', 'leaf-b']),
    )
  })
  it('unknown with the reason, never a guess: no bond, no active member, unknown mode, hash-pinned MACs', () => {
    expect(localLeaves(host, null)).toMatch(/no bond was read/)
    expect(localLeaves(host, bond({activeMember: null, unknown: {activeMember: 'every member disabled'}}))).toMatch(
      /every member disabled/,
    )
    expect(localLeaves(host, bond({mode: null, unknown: {mode: 'not modelled'}}))).toMatch(/not modelled/)
    expect(localLeaves(host, bond({mode: 'balance-slb', lacp: 'off'}))).toMatch(/by hash/)
    expect(localLeaves(host, bond({activeMember: 'eth9'}))).toMatch(/not a cabled NIC/)
  })
  it('the sim fabric models no bond modes: every leaf reports its hosts as placement unknown, with the reason', async () => {
    const r = await cli('leaf', 'capacity', '--all', '--json')
    const rows = (r.json as {leaves: {placementUnknown: {host: string; reason: string}[]}[]}).leaves
    expect(rows.every(x => x.placementUnknown.length > 0)).toBe(true)
    expect(rows[0]!.placementUnknown[0]!.reason).toMatch(/does not model bond modes/)
    expect(r.stdout).not.toMatch(/placement unknown/) // --json: nothing but the document
    const text = await cli('leaf', 'capacity', '--all')
    expect(text.stdout).toMatch(/bond placement unknown on \d+ host\(s\)/)
  })
})

describe('leaf capacity: limits keyed by the hardware model the leaf reports', () => {
  it('reads ONIE machine.conf (onie_platform, else onie_machine), else DMI; a placeholder or nothing is unknown with the reason', () => {
    const onie =
      '/etc/machine.conf\nonie_version=2019.05\nonie_platform=x86_64-mlnx_msn2700-r0\nonie_machine=mlnx_msn2700\n'
    expect(parsePlatform(onie, '')).toEqual({
      model: 'x86_64-mlnx_msn2700-r0',
      source: '/etc/machine.conf onie_platform',
      reason: null,
    })
    expect(parsePlatform('/host/machine.conf\nonie_machine="accton_as7712_32x"\n', '')).toMatchObject({
      model: 'accton_as7712_32x',
      source: '/host/machine.conf onie_machine',
    })
    expect(parsePlatform('', 'SN2700\n')).toMatchObject({model: 'SN2700', source: '/sys/class/dmi/id/product_name'})
    expect(parsePlatform('', 'To be filled by O.E.M.\n').reason).toMatch(/placeholder/)
    expect(parsePlatform('', '')).toMatchObject({
      model: null,
      reason: expect.stringMatching(/no ONIE machine.conf.*no DMI/),
    })
  })
  it('a leaf name entry overrides the model; a model glob maps the rest; an unknown model says why', () => {
    const file = {
      schemaVersion: 1 as const,
      classes: {},
      models: {'x86_64-mlnx_msn27*': 'spectrum-default', '*as7712*': 'tomahawk-default'},
      leaves: {'leaf9*': 'helix4'},
    }
    const msn = {model: 'x86_64-mlnx_msn2700-r0', source: 'leaf1: /etc/machine.conf onie_platform', reason: null}
    expect(limitsFor('leaf1', msn, file, 'f.yaml').className).toBe('spectrum-default')
    expect(limitsFor('leaf91', msn, file, 'f.yaml').className).toBe('helix4')
    expect(
      limitsFor('leaf2', {model: 'x86_64-accton_as7712_32x-r0', source: 's', reason: null}, file, 'f.yaml').className,
    ).toBe('tomahawk-default')
    const other = limitsFor('leaf3', {model: 'x86_64-dell_s5248f-r0', source: 's', reason: null}, file, 'f.yaml')
    expect(other).toMatchObject({
      className: null,
      reason: expect.stringMatching(/maps no class to this leaf's model "x86_64-dell_s5248f-r0"/),
    })
    const unread = limitsFor(
      'leaf4',
      {model: null, source: null, reason: 'the leaf could not be read: timeout'},
      file,
      'f.yaml',
    )
    expect(unread).toMatchObject({
      className: null,
      reason: expect.stringMatching(/model is unknown: the leaf could not be read/),
    })
  })
  it('on the sim, a file that maps only models leaves every leaf unknown with the reason, never a guessed class', async () => {
    const file = writeLimits('by-model.json', {schemaVersion: 1, models: {'*': 'trident3-default'}})
    const r = await cli('leaf', 'capacity', '--all', '--limits', file, '--json')
    expect(r.exitCode).toBe(0)
    for (const row of (r.json as {leaves: (Row & {model: {name: null; reason: string}})[]}).leaves) {
      expect(row.class).toBeNull()
      expect(row.model).toMatchObject({name: null, reason: 'the simulated fabric does not model switch hardware'})
      expect(row.reason).toMatch(/model is unknown: the simulated fabric does not model switch hardware/)
    }
  })
})
