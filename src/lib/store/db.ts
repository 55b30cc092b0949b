import fs from 'node:fs'
import path from 'node:path'
import type BetterSqlite3 from 'better-sqlite3'

import {FabricError} from '../cli/errors.js'
import {EXIT} from '../cli/exit-codes.js'
import {damageReason, openedStores, storeDamaged} from './damage.js'
import {MIGRATIONS} from './migrations.js'

export type Db = BetterSqlite3.Database

/** Schema version this build writes; a newer database is refused rather than misread. */
export const SCHEMA_VERSION = MIGRATIONS.length

/**
 * Open (creating if needed) the store at `file`. better-sqlite3 is imported lazily so commands
 * that never touch the store (help, context) do not pay for the native module.
 * WAL + busy_timeout let several fabricctl processes share one database; every mutation runs in
 * an IMMEDIATE transaction (see `writeTx`), so writers serialise instead of failing.
 */
export async function openDb(file: string, opts: {readonly?: boolean} = {}): Promise<Db> {
  const {default: Database} = await import('better-sqlite3')
  ensureStoreDir(file)
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw storeDamaged(file, 'it is a directory')
  let db: Db
  try {
    db = new Database(file, {readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false})
  } catch (error) {
    if (damageReason(error) && fs.existsSync(file)) throw storeDamaged(file, damageReason(error)!, error)
    throw new FabricError({
      code: 'STORE_OPEN_FAILED',
      message: `Cannot open the fabric store at ${file}: ${(error as Error).message}.`,
      value: file,
      hint: 'Check the permissions of that directory, or point FABRICCTL_HOME at a writable one.',
      exitCode: EXIT.USAGE,
      cause: error,
    })
  }
  return configure(db, file)
}

/** Create the store's directory; a file standing where a directory of the path should be is a clear error (exit 2). */
export function ensureStoreDir(file: string): void {
  try {
    fs.mkdirSync(path.dirname(file), {recursive: true})
  } catch (error) {
    // ENOTDIR/EEXIST: a file stands where a directory of the path should be.
    throw new FabricError({
      code: 'STORE_PATH_INVALID',
      message: `Cannot create the directory of the fabric store ${file}: ${(error as Error).message.replace(/^\w+: /, '')}.`,
      value: path.dirname(file),
      hint: 'Part of that path is a file, not a directory: point FABRICCTL_HOME (or XDG_DATA_HOME) at a directory, or move that file away.',
      exitCode: EXIT.USAGE,
      cause: error,
    })
  }
}

function configure(db: Db, file: string): Db {
  const readonly = db.readonly
  try {
    db.pragma('busy_timeout = 15000')
    if (!readonly) db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    if (!readonly) migrate(db, file)
    checkTables(db, file)
  } catch (error) {
    db.close()
    const reason = damageReason(error)
    throw reason ? storeDamaged(file, reason, error) : error
  }
  openedStores.push(file)
  return db
}

const TABLES = [...MIGRATIONS.join('\n').matchAll(/CREATE TABLE (\w+)/g)].map(m => m[1]!)

/** A store at this schema version must have every table; one that lacks some is damaged (cheap: one sqlite_master read). */
function checkTables(db: Db, file: string): void {
  if ((db.pragma('user_version', {simple: true}) as number) !== SCHEMA_VERSION) return
  const have = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {name: string}[]).map(r => r.name))
  const missing = TABLES.filter(t => !have.has(t))
  if (missing.length > 0) throw storeDamaged(file, `tables missing: ${missing.join(', ')}`)
}

function migrate(db: Db, file: string): void {
  const current = db.pragma('user_version', {simple: true}) as number
  if (current > SCHEMA_VERSION) {
    throw new FabricError({
      code: 'STORE_TOO_NEW',
      message: `The store at ${file} has schema version ${current}; this fabricctl knows up to ${SCHEMA_VERSION}.`,
      value: current,
      hint: 'Upgrade fabricctl, or re-create the simulated fabric with `fabricctl sim init --force`.',
      exitCode: EXIT.USAGE,
    })
  }
  if (current === SCHEMA_VERSION) return
  writeTx(db, () => {
    // Re-read inside the lock: another process may have migrated meanwhile.
    const now = db.pragma('user_version', {simple: true}) as number
    for (let v = now; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!)
    db.pragma(`user_version = ${SCHEMA_VERSION}`)
  })
}

/** Run `fn` in one IMMEDIATE transaction: it takes the write lock up front, so read-then-write is safe across processes. */
export function writeTx<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate()
}
