import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {execa} from 'execa'
import {render} from 'ink-testing-library'
import {createElement} from 'react'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {orderStates, simPortStates, summarise, type PortStatesResult} from '../src/lib/diagnose/states.js'
import {StatesView} from '../src/lib/diagnose/watch.js'
import {generateFabric} from '../src/lib/sim/generator.js'
import {PROFILES} from '../src/lib/sim/profiles.js'
import {openDb} from '../src/lib/store/db.js'
import {FabricStore} from '../src/lib/store/fabric-store.js'
import {BIN, makeHome, runCli, type TestHome} from './helpers/cli.js'
import {assertMatchesSchema} from './helpers/schema.js'

let dir: string
let store: FabricStore
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabricctl-states-'))
  store = new FabricStore(await openDb(path.join(dir, 'f.db')))
  store.tx(() => generateFabric(store, {profile: PROFILES.small, seed: 1, topology: 'spine-leaf'}))
  // Break a few ports' records: two ERROR overlays on az1-h01, one BUILD_BUILD on az1-h06, one unbound.
  const on = (host: string) =>
    (store.sql('SELECT id FROM ports WHERE host = ? ORDER BY name').all(host) as {id: string}[]).map(r => r.id)
  const [e1, e2] = on('az1-h01')
  store.setPortState(e1!, 'ACTIVE', 'ERROR')
  store.setPortState(e2!, 'ACTIVE', 'ERROR')
  store.setPortState(on('az1-h06')[0]!, 'BUILD', 'BUILD')
  store.sql(`UPDATE ports SET host = NULL, underlay = 'DOWN', overlay = 'DOWN' WHERE id = ?`).run(on('az1-h08')[0]!)
})
afterAll(() => {
  store.close()
  fs.rmSync(dir, {recursive: true, force: true})
})

describe('port states (lib)', () => {
  it('orders states: any ERROR first, then BUILD, then DOWN, ACTIVE_ACTIVE last', () => {
    expect(
      orderStates([
        'ACTIVE_ACTIVE',
        'DOWN_DOWN',
        'ACTIVE_BUILD',
        'ERROR_ERROR',
        'ACTIVE_ERROR',
        'BUILD_BUILD',
        'DOWN_ACTIVE',
      ]),
    ).toEqual([
      'ERROR_ERROR',
      'ACTIVE_ERROR',
      'BUILD_BUILD',
      'ACTIVE_BUILD',
      'DOWN_DOWN',
      'DOWN_ACTIVE',
      'ACTIVE_ACTIVE',
    ])
  })

  it('groups by az, host, network and leaf; totals are distinct ports', () => {
    const count = (sql: string) => (store.sql(sql).get() as {n: number}).n
    const total = count('SELECT count(*) AS n FROM ports')
    for (const by of ['az', 'host', 'network', 'leaf'] as const) {
      const r = simPortStates(store, by)
      expect(r.total).toBe(total)
      expect(r.totals).toEqual({ACTIVE_ERROR: 2, BUILD_BUILD: 1, DOWN_DOWN: 1, ACTIVE_ACTIVE: total - 4})
      expect(r.states).toEqual(['ACTIVE_ERROR', 'BUILD_BUILD', 'DOWN_DOWN', 'ACTIVE_ACTIVE'])
      expect(r.unhealthy).toBe(4)
      // Each group's states add up to its total; the least healthy group comes first.
      for (const g of r.groups) expect(Object.values(g.states).reduce((a, b) => a + b, 0)).toBe(g.total)
      for (let i = 1; i < r.groups.length; i++)
        expect(r.groups[i - 1]!.unhealthy).toBeGreaterThanOrEqual(r.groups[i]!.unhealthy)
      const sum = r.groups.reduce((a, g) => a + g.total, 0)
      if (by === 'leaf')
        expect(sum).toBe(total * 2 - 1) // bound ports under both leaves of their pair, the unbound one once
      else expect(sum).toBe(total)
    }
    const byHost = simPortStates(store, 'host')
    expect(byHost.groups[0]).toMatchObject({key: 'az1-h01', unhealthy: 2, states: {ACTIVE_ERROR: 2}})
    expect(byHost.groups.find(g => g.key === '(unbound)')).toMatchObject({total: 1, states: {DOWN_DOWN: 1}})
    const byLeaf = simPortStates(store, 'leaf')
    expect(
      byLeaf.groups
        .slice(0, 2)
        .map(g => g.key)
        .sort(),
    ).toEqual(['az1-leaf01a', 'az1-leaf01b'])
    expect(byLeaf.note).toMatch(/both leaves of a pair/)
    const byNet = simPortStates(store, 'network')
    const perNet = store.sql('SELECT network, count(*) AS n FROM ports GROUP BY network').all() as {
      network: string
      n: number
    }[]
    for (const r of perNet) expect(byNet.groups.find(g => g.key === r.network)!.total).toBe(r.n)
  })
})

describe('the --watch view (ink)', () => {
  const sample = (n: number): PortStatesResult =>
    summarise(
      'az',
      [
        {key: 'az1', state: 'ACTIVE_ACTIVE', count: 100 + n},
        {key: 'az1', state: 'ACTIVE_ERROR', count: 3},
        {key: 'az2', state: 'ACTIVE_ACTIVE', count: 50},
      ],
      {ACTIVE_ACTIVE: 150 + n, ACTIVE_ERROR: 3},
      new Date(0).toISOString(),
      null,
    )

  it('renders the panel, refreshes on the interval, and quits on q', async () => {
    let calls = 0
    const load = async () => sample(calls++)
    const app = render(createElement(StatesView, {load, intervalMs: 50, title: 'Port states by az (test)'}))
    const until = async (pred: () => boolean, ms = 3000) => {
      const end = Date.now() + ms
      while (!pred() && Date.now() < end) await new Promise(r => setTimeout(r, 20))
      return pred()
    }
    expect(await until(() => /refreshed [3-9]×/.test(app.lastFrame() ?? ''))).toBe(true)
    const frame = app.lastFrame()!
    expect(frame).toMatch(/Port states by az \(test\) — \d+ ports, 3 not ACTIVE_ACTIVE/)
    const lines = frame.split('\n')
    const header = lines.find(l => l.startsWith('AZ'))!
    // Non-healthy state columns first.
    expect(header.indexOf('ACTIVE_ERROR')).toBeLessThan(header.indexOf('ACTIVE_ACTIVE'))
    expect(lines.findIndex(l => l.startsWith('az1'))).toBeLessThan(lines.findIndex(l => l.startsWith('az2')))
    expect(lines.find(l => l.startsWith('all'))).toMatch(/all\s+\d+\s+3\s+\d+/)
    app.stdin.write('q')
    await new Promise(r => setTimeout(r, 100))
    const after = calls
    await new Promise(r => setTimeout(r, 300))
    expect(calls).toBe(after) // unmounted: no more refreshes
    app.cleanup()
  })

  it('shows a refresh error without dying', async () => {
    let calls = 0
    const app = render(
      createElement(StatesView, {
        load: async () => {
          if (calls++ > 0) throw new Error('store is locked')
          return sample(0)
        },
        intervalMs: 50,
        title: 't',
      }),
    )
    const end = Date.now() + 3000
    while (!/refresh failed: store is locked/.test(app.lastFrame() ?? '') && Date.now() < end)
      await new Promise(r => setTimeout(r, 20))
    expect(app.lastFrame()).toMatch(/refresh failed: store is locked/)
    expect(app.lastFrame()).toMatch(/ACTIVE_ERROR/)
    app.cleanup()
  })
})

describe('port states (CLI)', () => {
  let home: TestHome
  beforeEach(() => {
    home = makeHome()
  })
  afterEach(() => home.cleanup())

  it('prints the table and the PortStates JSON; refuses --watch without a terminal', async () => {
    await runCli(['sim', 'init'], {home})
    const human = await runCli(['port', 'states', '--by', 'leaf'], {home})
    expect(human.exitCode).toBe(0)
    expect(human.stdout).toMatch(/^LEAF\s+TOTAL\s+NOT-OK\s+ACTIVE_ACTIVE/m)
    expect(human.stdout).toMatch(/^all\s+40\s+0\s+40$/m)
    const json = await runCli(['port', 'states', '--by', 'network', '--json'], {home})
    assertMatchesSchema(json.json)
    expect(json.json).toMatchObject({kind: 'PortStates', by: 'network', total: 40, unhealthy: 0})
    const watch = await runCli(['port', 'states', '--watch'], {home})
    expect(watch.exitCode).toBe(2)
    expect(watch.stderr).toMatch(/--watch needs a terminal/)
    expect((await runCli(['port', 'states', '--watch', '--json'], {home})).exitCode).toBe(2)
    expect((await runCli(['port', 'states', '--by', 'rack'], {home})).exitCode).toBe(2)
  })

  it('--watch in a real terminal (tmux): draws the panel and quits on q', {timeout: 120_000}, async () => {
    const tmux = await execa('tmux', ['-V'], {reject: false})
    if (tmux.exitCode !== 0) return // no tmux here: the ink-testing-library test above covers the view
    await runCli(['sim', 'init'], {home})
    const sock = path.join(home.dir, 'tmux.sock')
    const t = (...args: string[]) => execa('tmux', ['-S', sock, ...args], {reject: false})
    const envs = Object.entries(home.env).map(([k, v]) => `${k}=${v}`)
    // A person's terminal: without CI set (ink draws only the final frame when it sees CI, as in .ci/run).
    await t(
      'new-session',
      '-d',
      '-x',
      '160',
      '-y',
      '40',
      'env',
      '-u',
      'CI',
      ...envs,
      process.execPath,
      BIN,
      'port',
      'states',
      '--watch',
      '--interval',
      '1',
      '--by',
      'host',
    )
    try {
      // Bounded by count and by time: generous, because CI runs this while it boots the live lab.
      let pane = ''
      const drawn = Date.now() + 45_000
      for (let i = 0; i < 300 && Date.now() < drawn && !/refreshed [2-9]×/.test(pane); i++) {
        await new Promise(r => setTimeout(r, 150))
        pane = (await t('capture-pane', '-p')).stdout
      }
      expect(pane).toMatch(/Port states by host \(sim\) — 40 ports/)
      expect(pane).toMatch(/az1-h\d\d\s+\d+/)
      await t('send-keys', 'q')
      let alive = true
      const quit = Date.now() + 20_000
      for (let i = 0; i < 200 && Date.now() < quit && alive; i++) {
        await new Promise(r => setTimeout(r, 100))
        alive = (await t('has-session')).exitCode === 0
      }
      expect(alive).toBe(false)
    } finally {
      await t('kill-server')
    }
  })
})
