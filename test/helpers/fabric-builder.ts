import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import type {LeafConfig} from '../../src/lib/model/types.js'
import {PROFILES, type ProfileName} from '../../src/lib/sim/profiles.js'
import {generateFabric} from '../../src/lib/sim/generator.js'
import {openDb} from '../../src/lib/store/db.js'
import {FabricStore} from '../../src/lib/store/fabric-store.js'
import {type CliResult, makeHome, runCli, type RunOptions, type TestHome} from './cli.js'

/**
 * A simulated fabric of its own for one test, put in exactly the state the test needs — instead of
 * editing a shared fabric with SQL and putting it back in `finally`.
 *
 *   const fx = await buildFabric()                      // small profile, seed 1 (what `sim init` makes)
 *   onTestFinished(() => fx.cleanup())
 *   fx.movePort(port.id, {network: 'prod-b'}).emptyLeaf('az1-leaf01a').fault('agent-down', 'az1-h03')
 *   const r = await fx.cli('leaf', 'diff', 'az1-leaf01a', '--json')
 *
 * The fabric is generated once per profile and seed per test file, then copied (a file copy is
 * ~100× faster than generating). `fx.store` reads and writes the same database the CLI uses.
 */
export interface FabricFixture {
  home: TestHome
  /** The sim context's database ($FABRICCTL_HOME/sim.db). */
  file: string
  store: FabricStore
  /** Run fabricctl (in-process) against this fabric. */
  cli(...args: string[]): Promise<CliResult>
  /** Run fabricctl with more options (env, input, timeout). */
  run(args: string[], opts?: Omit<RunOptions, 'home'>): Promise<CliResult>
  /** Any change, in one transaction. */
  edit(fn: (store: FabricStore) => void): this
  /** Move a port to another network and/or host (`host: null` unbinds it). */
  movePort(id: string, to: {network?: string; host?: string | null}): this
  /** Move every port of `from` to host `to`. */
  moveHostPorts(from: string, to: string): this
  /** Set a leaf's running configuration (drift); `emptyLeaf` is the common case. */
  setRunning(leaf: string, config: LeafConfig): this
  emptyLeaf(leaf: string): this
  /** Record a fault directly (no world change), as `sim fault inject` records one. */
  fault(kind: string, target: string, params?: Record<string, unknown>): this
  /** Take a host's cabling down (every NIC link). */
  cablingDown(host: string): this
  cleanup(): void
}

export interface BuildOptions {
  profile?: ProfileName
  seed?: number
  topology?: 'spine-leaf' | 'hierarchical'
}

const templates = new Map<string, Promise<string>>()
let templateDir: string | undefined

async function template(opts: Required<BuildOptions>): Promise<string> {
  const key = `${opts.profile}-${opts.seed}-${opts.topology}`
  let t = templates.get(key)
  if (!t) {
    t = (async () => {
      if (!templateDir) {
        templateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabricctl-fixture-'))
        process.once('exit', () => fs.rmSync(templateDir!, {recursive: true, force: true}))
      }
      const file = path.join(templateDir, `${key}.db`)
      const db = await openDb(file)
      db.pragma('journal_mode = DELETE')
      const store = new FabricStore(db)
      try {
        store.tx(() =>
          generateFabric(store, {profile: PROFILES[opts.profile], seed: opts.seed, topology: opts.topology}),
        )
      } finally {
        store.close()
      }
      return file
    })()
    templates.set(key, t)
  }
  return t
}

export async function buildFabric(opts: BuildOptions = {}): Promise<FabricFixture> {
  const full = {
    profile: opts.profile ?? 'small',
    seed: opts.seed ?? 1,
    topology: opts.topology ?? 'spine-leaf',
  } as const
  const src = await template(full)
  const home = makeHome('fabricctl-fixture-')
  const file = path.join(home.dir, 'sim.db')
  fs.copyFileSync(src, file)
  const db = await openDb(file)
  db.pragma('journal_mode = WAL')
  const store = new FabricStore(db)
  // The template was generated earlier in the file's run: agents heartbeat now, as after `sim init`.
  store.tx(() => store.sql('UPDATE hosts SET agent_heartbeat_at = ? WHERE agent_alive = 1').run(store.now()))
  const fx: FabricFixture = {
    home,
    file,
    store,
    cli: (...args) => runCli(args, {home}),
    run: (args, o = {}) => runCli(args, {...o, home}),
    edit(fn) {
      store.tx(() => fn(store))
      return this
    },
    movePort(id, to) {
      return this.edit(s => {
        if (!s.port(id)) throw new Error(`fabric-builder: no port ${id}`)
        if (to.network !== undefined) {
          if (!s.network(to.network)) throw new Error(`fabric-builder: no network ${to.network}`)
          s.sql('UPDATE ports SET network = ? WHERE id = ?').run(to.network, id)
        }
        if (to.host !== undefined) s.sql('UPDATE ports SET host = ? WHERE id = ?').run(to.host, id)
      })
    },
    moveHostPorts(from, to) {
      return this.edit(s => s.sql('UPDATE ports SET host = ? WHERE host = ?').run(to, from))
    },
    setRunning(leaf, config) {
      return this.edit(s => {
        const r = s.sql('UPDATE leaf_configs SET running = ? WHERE leaf = ?').run(JSON.stringify(config), leaf)
        if (r.changes !== 1) throw new Error(`fabric-builder: no leaf ${leaf}`)
      })
    },
    emptyLeaf(leaf) {
      return this.setRunning(leaf, {vnis: {}, vrfs: {}, interfaces: {}})
    },
    fault(kind, target, params = {}) {
      return this.edit(s =>
        s
          .sql('INSERT INTO faults(kind, target, params, created_at) VALUES (?, ?, ?, ?)')
          .run(kind, target, JSON.stringify(params), s.now()),
      )
    },
    cablingDown(host) {
      return this.edit(s => s.sql('UPDATE cabling SET up = 0 WHERE host = ?').run(host))
    },
    cleanup() {
      store.close()
      home.cleanup()
    },
  }
  return fx
}
