import fs from 'node:fs'

import {FabricError} from '../cli/errors.js'
import {EXIT} from '../cli/exit-codes.js'
import {simDbPath} from '../cli/paths.js'
import {storeDamaged} from '../store/damage.js'
import {ensureStoreDir, openDb} from '../store/db.js'
import {FabricStore} from '../store/fabric-store.js'
import {generateFabric, type GenerateSummary} from './generator.js'
import {PROFILES, type ProfileName} from './profiles.js'
import type {Topology} from '../model/types.js'

export const DEFAULT_SEED = 1

export interface InitOptions { profile: ProfileName; seed: number; topology: Topology; force: boolean }
export interface InitResult { file: string; profile: ProfileName; seed: number; topology: Topology; summary: GenerateSummary; elapsedMs: number }

/**
 * Create the simulated fabric of a context. It is generated into a temporary file and renamed into
 * place, so a crash leaves either the old fabric or the new one, never half of one.
 */
export async function initSimFabric(contextName: string, opts: InitOptions): Promise<InitResult> {
  const file = simDbPath(contextName)
  ensureStoreDir(file)
  // Even with --force, a directory in the store's place is not removed: it is not something fabricctl made.
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
    const e = storeDamaged(file, 'it is a directory')
    throw new FabricError({code: e.code, message: `${e.message} fabricctl does not remove a directory, even with --force.`, value: file,
      hint: `Move the directory away (mv ${file} ${file}.dir), then run \`fabricctl sim init\` again.`, exitCode: e.exitCode})
  }
  if (!opts.force && fs.existsSync(file)) {
    const existing = new FabricStore(await openDb(file))
    const initialised = existing.isInitialised()
    const desc = initialised ? `profile ${existing.meta('profile')}, seed ${existing.meta('seed')}` : ''
    existing.close()
    if (initialised) {
      throw new FabricError({
        code: 'SIM_EXISTS',
        message: `A simulated fabric already exists for context "${contextName}" (${desc}) at ${file}.`,
        value: file,
        hint: 'Add --force to replace it (its ports, faults and leaf state are lost).',
        exitCode: EXIT.REFUSED,
      })
    }
  }
  const started = performance.now()
  const tmp = `${file}.${process.pid}.new`
  removeDbFiles(tmp)
  const db = await openDb(tmp)
  db.pragma('journal_mode = DELETE')
  db.pragma('synchronous = OFF')
  const store = new FabricStore(db)
  let summary: GenerateSummary
  try {
    summary = store.tx(() => generateFabric(store, {profile: PROFILES[opts.profile], seed: opts.seed, topology: opts.topology}))
    db.pragma('journal_mode = WAL')
    store.close()
  } catch (error) {
    store.close()
    removeDbFiles(tmp)
    throw error
  }
  if (opts.force) {
    removeDbFiles(file)
    fs.renameSync(tmp, file)
  } else {
    // link() fails if the file appeared meanwhile: two first runs racing never overwrite each other.
    try {
      fs.linkSync(tmp, file)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      throw new FabricError({code: 'SIM_EXISTS', message: `A simulated fabric was created concurrently at ${file}.`, value: file, hint: 'Use it, or add --force to replace it.', exitCode: EXIT.REFUSED})
    } finally {
      removeDbFiles(tmp)
    }
  }
  return {file, profile: opts.profile, seed: opts.seed, topology: opts.topology, summary, elapsedMs: Math.round(performance.now() - started)}
}

function removeDbFiles(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, {force: true})
}

/**
 * Open a context's simulated fabric; the first command run with none creates the default small
 * one and says so (on stderr, through `notice`).
 */
export async function openSimFabric(contextName: string, notice: (msg: string) => void): Promise<FabricStore> {
  const file = simDbPath(contextName)
  if (!fs.existsSync(file)) {
    try {
      const r = await initSimFabric(contextName, {profile: 'small', seed: DEFAULT_SEED, topology: 'spine-leaf', force: false})
      notice(`No simulated fabric yet: created the default one (profile small, seed ${DEFAULT_SEED}, ${r.summary.hosts} hosts) at ${file}.`)
    } catch (error) {
      // Another process created it first: use theirs.
      if (!(error instanceof FabricError && error.code === 'SIM_EXISTS')) throw error
    }
  }
  const store = new FabricStore(await openDb(file))
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
