import path from 'node:path'
import Database from 'better-sqlite3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {SimPortService} from '../../src/lib/backends/sim/ports.js'
import {openDb} from '../../src/lib/store/db.js'
import {FabricStore} from '../../src/lib/store/fabric-store.js'
import {makeHome, runCli, runCliProcess, type TestHome} from '../helpers/cli.js'
import {assertMatchesSchema} from '../helpers/schema.js'

/**
 * The seed-profile fabric (4 AZs, 43,600 ports; label prod-env has ~29,000 free addresses in 30
 * networks): concurrent allocation from separate processes, an atomic bulk that cannot fit, the
 * AZ guard on migrate, and keyset paging at 100,000 ports.
 */
let home: TestHome
let file: string
const sql = <T>(q: string, ...args: unknown[]): T[] => {
  const db = new Database(file, {readonly: true})
  try {
    return db.prepare(q).all(...args) as T[]
  } finally {
    db.close()
  }
}

beforeAll(async () => {
  home = makeHome()
  expect((await runCli(['sim', 'init', '--profile', 'seed'], {home})).exitCode).toBe(0)
  file = path.join(home.dir, 'sim.db')
})
afterAll(() => home.cleanup())

describe('concurrency and atomicity on the seed fabric', () => {
  it('8 fabricctl processes allocating 1,000 ports each from one label: zero duplicate IPs, zero lost allocations', async () => {
    const before = sql<{n: number}>('SELECT count(*) AS n FROM ports')[0]!.n
    // Separate processes (not the in-process runner): the point is SQLite locking between processes.
    const runs = await Promise.all(
      Array.from({length: 8}, (_, k) =>
        runCliProcess(
          ['port', 'allocate', '--label', 'prod-env', '--count', '1000', '--name-template', `conc${k}-{i}`, '--json'],
          {home, timeoutMs: 180_000},
        ),
      ),
    )
    for (const r of runs) {
      expect(r.exitCode, r.stderr).toBe(0)
      assertMatchesSchema(r.json)
      expect(r.json.created).toBe(1000)
    }
    // Every port each process was told about is in the store, with the IP and network it was told.
    const returned = runs.flatMap(r => r.json.ports as {id: string; name: string; ip: string; network: string}[])
    expect(returned).toHaveLength(8000)
    const stored = new Map(
      sql<{id: string; ip: string; network: string}>(`SELECT id, ip, network FROM ports WHERE name LIKE 'conc%'`).map(
        p => [p.id, p],
      ),
    )
    expect(stored.size).toBe(8000)
    for (const p of returned) expect(stored.get(p.id)).toEqual({id: p.id, ip: p.ip, network: p.network})
    expect(sql<{n: number}>('SELECT count(*) AS n FROM ports')[0]!.n).toBe(before + 8000)
    // No address handed out twice: not within a network, not across the label's networks.
    expect(sql('SELECT network, ip_num FROM ports GROUP BY network, ip_num HAVING count(*) > 1')).toEqual([])
    expect(
      sql(
        `SELECT ip FROM ports WHERE network IN (SELECT network FROM network_labels WHERE label = 'prod-env') GROUP BY ip HAVING count(*) > 1`,
      ),
    ).toEqual([])
    expect(new Set(returned.map(p => `${p.network}/${p.ip}`)).size).toBe(8000)
    // Every new port has its controller record, and none got a reserved address.
    expect(
      sql<{n: number}>(
        `SELECT count(*) AS n FROM ports p JOIN controller_ports c ON c.port_id = p.id WHERE p.name LIKE 'conc%'`,
      )[0]!.n,
    ).toBe(8000)
    expect(
      sql(
        `SELECT p.name FROM ports p JOIN networks n ON n.name = p.network WHERE p.name LIKE 'conc%' AND p.ip = n.gateway`,
      ),
    ).toEqual([])
    const check = await runCli(['ipam', 'check', '--json'], {home})
    expect(check.exitCode).toBe(0)
  })

  it('a bulk that cannot fit in the label changes nothing', async () => {
    const snapshot = () =>
      JSON.stringify([
        sql('SELECT count(*) AS n, max(updated_at) AS u FROM ports'),
        sql('SELECT count(*) AS n FROM controller_ports'),
        sql('SELECT count(*) AS n FROM ovs_ports'),
      ])
    const free = (await runCli(['ipam', 'usage', '--by', 'label', '--json'], {home})).json.rows.find(
      (r: any) => r.name === 'prod-env',
    ).free as number
    const before = snapshot()
    const r = await runCli(
      [
        'port',
        'allocate',
        '--label',
        'prod-env',
        '--count',
        String(free + 1),
        '--name-template',
        'toomany-{i}',
        '--host',
        'az1-h0004',
        '--json',
      ],
      {home},
    )
    expect(r.exitCode).toBe(1)
    assertMatchesSchema(r.json)
    expect(r.json.error.code).toBe('IPAM_EXHAUSTED')
    expect(r.json.error.details).toMatchObject({label: 'prod-env', wanted: free + 1})
    // With --host the candidates are the host's AZ only, and the error says so.
    expect(r.json.error.details.networks.every((n: any) => n.az === 'az1')).toBe(true)
    const all = await runCli(
      [
        'port',
        'allocate',
        '--label',
        'prod-env',
        '--count',
        String(free + 1),
        '--name-template',
        'toomany-{i}',
        '--json',
      ],
      {home},
    )
    expect(all.exitCode).toBe(1)
    expect(all.json.error.details.free).toBe(free)
    expect(all.json.error.details.networks).toHaveLength(30)
    expect(snapshot()).toBe(before)
    expect(sql(`SELECT 1 FROM ports WHERE name LIKE 'toomany-%'`)).toEqual([])
  })

  it('migrate refuses a host in another AZ, changing nothing', async () => {
    const port = sql<{name: string; host: string}>(
      `SELECT p.name, p.host FROM ports p JOIN networks n ON n.name = p.network WHERE n.az = 'az1' AND p.host IS NOT NULL LIMIT 1`,
    )[0]!
    const r = await runCli(['port', 'migrate', port.name, '--to-host', 'az2-h0001', '--json'], {home})
    expect(r.exitCode).toBe(2)
    expect(r.json.error.code).toBe('HOST_AZ_MISMATCH')
    expect(r.json.error.message).toContain('az2')
    expect(sql<{host: string}>('SELECT host FROM ports WHERE name = ?', port.name)[0]!.host).toBe(port.host)
  })
})

describe('paging at 100,000 ports', () => {
  // How fast a page is, is measured by bench/ports.bench.mjs (`npm run bench`), not asserted here.
  it('keyset pages are right at the start, the middle and the end of 100K ports, with filters', async () => {
    const store = new FabricStore(await openDb(file))
    const svc = new SimPortService(store)
    try {
      // Fill up to 100,000 ports, label by label (bulk allocations through the service).
      let have = (store.sql('SELECT count(*) AS n FROM ports').get() as {n: number}).n
      for (const row of await svc.usage('label')) {
        if (have >= 100_000) break
        const n = Math.min(row.free - 5, 100_000 - have)
        if (n <= 0) continue
        const r = await svc.allocate({
          label: row.name,
          count: n,
          nameTemplate: `zz-${row.name}-{i}`,
          failIfExists: false,
          dryRun: false,
        })
        have += r.created
      }
      expect(have).toBeGreaterThanOrEqual(100_000)
      const first = await svc.list({limit: 1000})
      const middle = await svc.list({limit: 1000, after: 'search'})
      const last = await svc.list({limit: 1000, after: 'zz-test-env-9'})
      const host = await svc.list({limit: 100, host: 'az1-h0004'})
      const label = await svc.list({limit: 500, label: 'dev-env', after: 'zz-dev-env-5'})
      const state = await svc.list({limit: 100, state: 'DOWN_*', after: 'zz-sub'})
      expect(first.ports).toHaveLength(1000)
      expect(middle.ports[0]!.name > 'search').toBe(true)
      for (const page of [first, middle, last, host, label, state]) {
        const names = page.ports.map(p => p.name)
        expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))
      }
      expect(host.ports.length).toBeGreaterThan(0)
      expect(host.ports.every(p => p.host === 'az1-h0004')).toBe(true)
      expect(label.ports.length).toBeGreaterThan(0)
      expect(label.ports.every(p => p.network.includes('-dev-') && p.name > 'zz-dev-env-5')).toBe(true)
      expect(state.ports.every(p => p.state.startsWith('DOWN_') && p.name > 'zz-sub')).toBe(true)
      // Walk every page of one label: the pages join to exactly its ports.
      let after: string | undefined
      let seen = 0
      for (let i = 0; i < 100; i++) {
        const p = await svc.list({limit: 1000, label: 'sub-b-prod', after})
        seen += p.ports.length
        if (!p.next) break
        after = p.next
      }
      const want = (
        store
          .sql(
            `SELECT count(*) AS n FROM ports WHERE network IN (SELECT network FROM network_labels WHERE label = 'sub-b-prod')`,
          )
          .get() as {n: number}
      ).n
      expect(seen).toBe(want)
    } finally {
      store.close()
    }
    const cli = await runCli(['port', 'list', '--limit', '50', '--after', 'zz-prod-env-20000', '--json'], {home})
    expect(cli.exitCode).toBe(0)
    assertMatchesSchema(cli.json)
    expect(cli.json.ports).toHaveLength(50)
  })
})
