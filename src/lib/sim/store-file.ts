import fs from 'node:fs'
import path from 'node:path'

import {FabricError} from '../cli/errors.js'
import {EXIT} from '../cli/exit-codes.js'
import {simDbPath} from '../cli/paths.js'
import {pidAlive} from '../context/config.js'
import {storeDamaged} from '../store/damage.js'
import {ensureStoreDir, openDb, readOnlyReason} from '../store/db.js'
import {FabricStore} from '../store/fabric-store.js'
import {generateFabric, type GenerateSummary} from './generator.js'
import {PROFILES, type ProfileName} from './profiles.js'
import type {Topology} from '../model/types.js'

export const DEFAULT_SEED = 1

export interface InitOptions {
  profile: ProfileName
  seed: number
  topology: Topology
  force: boolean
}
export interface InitResult {
  file: string
  profile: ProfileName
  seed: number
  topology: Topology
  summary: GenerateSummary
  elapsedMs: number
}

/**
 * Create (or, with `force`, re-create) the simulated fabric of a context, in place: one IMMEDIATE
 * transaction on the store itself clears every table and generates the new fabric. Processes that
 * have the store open keep using the same file: a write they make waits for the lock and then
 * lands in the new fabric (or fails, e.g. when the network it names is gone), so no reported write
 * is ever lost, and a crash (even kill -9) rolls back to the old fabric, leaving no temporary file.
 * Two first runs racing: the second sees the fabric inside the lock and reports SIM_EXISTS.
 */
export async function initSimFabric(contextName: string, opts: InitOptions): Promise<InitResult> {
  const file = simDbPath(contextName)
  removeStaleStoreFiles(path.dirname(file))
  ensureStoreDir(file)
  // Even with --force, a directory in the store's place is not removed: it is not something fabricctl made.
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
    const e = storeDamaged(file, 'it is a directory')
    throw new FabricError({
      code: e.code,
      message: `${e.message} fabricctl does not remove a directory, even with --force.`,
      value: file,
      hint: `Move the directory away (mv ${file} ${file}.dir), then run \`fabricctl sim init\` again.`,
      exitCode: e.exitCode,
    })
  }
  const started = performance.now()
  let db
  try {
    db = await openDb(file)
  } catch (error) {
    // --force replaces even a store that cannot be opened (not a database, schema too new).
    if (
      !opts.force ||
      !(error instanceof FabricError) ||
      !['STORE_OPEN_FAILED', 'STORE_TOO_NEW', 'STORE_IO_ERROR', 'STORE_DAMAGED'].includes(error.code) ||
      !fs.existsSync(file)
    )
      throw error
    removeDbFiles(file)
    db = await openDb(file)
  }
  const store = new FabricStore(db)
  try {
    const summary = store.tx(() => {
      if (store.isInitialised()) {
        if (!opts.force) {
          throw new FabricError({
            code: 'SIM_EXISTS',
            message: `A simulated fabric already exists for context "${contextName}" (profile ${store.meta('profile')}, seed ${store.meta('seed')}) at ${file}.`,
            value: file,
            hint: 'Add --force to replace it (its ports, faults and leaf state are lost).',
            exitCode: EXIT.REFUSED,
          })
        }
        clearStore(store)
      }
      return generateFabric(store, {profile: PROFILES[opts.profile], seed: opts.seed, topology: opts.topology})
    })
    return {
      file,
      profile: opts.profile,
      seed: opts.seed,
      topology: opts.topology,
      summary,
      elapsedMs: Math.round(performance.now() - started),
    }
  } finally {
    store.close()
  }
}

/** Empty every table (inside the caller's transaction; foreign keys are checked at commit). */
function clearStore(store: FabricStore): void {
  store.db.pragma('defer_foreign_keys = ON')
  const tables = store.db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    .pluck()
    .all() as string[]
  for (const t of tables) store.db.prepare(`DELETE FROM "${t.replaceAll('"', '""')}"`).run()
  if (store.db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").get())
    store.db.prepare('DELETE FROM sqlite_sequence').run()
}

function removeDbFiles(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) fs.rmSync(f, {force: true})
}

/**
 * Remove what an earlier fabricctl killed mid-way left in the data directory: `<store>.<pid>.new`
 * (and its -wal/-shm/-journal) and `<file>.<pid>.tmp`, when that pid is no longer running.
 */
export function removeStaleStoreFiles(dir: string): void {
  let names: string[]
  try {
    names = fs.readdirSync(dir)
  } catch {
    return
  }
  for (const n of names) {
    const m = /\.(\d+)\.(new|tmp)(-wal|-shm|-journal)?$/.exec(n)
    if (m && !pidAlive(Number(m[1]))) fs.rmSync(path.join(dir, n), {force: true})
  }
}

/**
 * Open a context's simulated fabric; the first command run with none creates the default small
 * one and says so (on stderr, through `notice`).
 */
export async function openSimFabric(contextName: string, notice: (msg: string) => void): Promise<FabricStore> {
  const file = simDbPath(contextName)
  let store = new FabricStore(await openSimDb(file))
  if (!store.isInitialised() && !readOnlyReason(store.db)) {
    store.close()
    removeStaleStoreFiles(path.dirname(file))
    try {
      const r = await initSimFabric(contextName, {
        profile: 'small',
        seed: DEFAULT_SEED,
        topology: 'spine-leaf',
        force: false,
      })
      notice(
        `No simulated fabric yet: created the default one (profile small, seed ${DEFAULT_SEED}, ${r.summary.hosts} hosts) at ${file}.`,
      )
    } catch (error) {
      // Another process created it first: use theirs.
      if (!(error instanceof FabricError && error.code === 'SIM_EXISTS')) throw error
    }
    store = new FabricStore(await openSimDb(file))
  }
  const ro = readOnlyReason(store.db)
  if (ro)
    notice(
      `The fabric store ${file} ${ro === 'disk full' ? 'is on a full disk' : 'is read-only here'}: serving reads only (commands that change the fabric will fail).`,
    )
  if (!store.isInitialised()) {
    store.close()
    throw new FabricError({
      code: 'SIM_EMPTY',
      message: `The simulated fabric store at ${file} is empty.`,
      value: file,
      hint: 'Run `fabricctl sim init --force` to generate it.',
      exitCode: EXIT.USAGE,
    })
  }
  return store
}

async function openSimDb(file: string) {
  // A read-only home may already hold the store: create the directory only when there is none.
  if (!fs.existsSync(file) && !fs.existsSync(path.dirname(file))) ensureStoreDir(file)
  return openDb(file, {allowReadOnly: true})
}
