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
 * that never touch the store (help, context) do not pay for the native module. In the bundle its
 * JavaScript is inlined (code-cached, no ES module loader) and only the addon loads from node_modules
 * (scripts/bundle.mjs).
 * WAL + busy_timeout let several fabricctl processes share one database; every mutation runs in
 * an IMMEDIATE transaction (see `writeTx`), so writers serialise instead of failing.
 */
export async function openDb(file: string, opts: {readonly?: boolean; allowReadOnly?: boolean} = {}): Promise<Db> {
  const {default: Database} = await import('better-sqlite3')
  const openFailed = (error: unknown) =>
    new FabricError({
      code: 'STORE_OPEN_FAILED',
      message: `Cannot open the fabric store at ${file}: ${(error as Error).message}.`,
      value: file,
      hint: 'Check the permissions of that directory, or point FABRICCTL_HOME at a writable one.',
      exitCode: EXIT.USAGE,
      cause: error,
    })
  // A read-only home (a read-only mount, or permissions) or a full disk: serve reads from the existing store.
  const fallback = (reason: ReadOnlyReason) => {
    const db = openReadOnly(Database, file, openFailed)
    readOnlyReasons.set(db, reason)
    return db
  }
  if (!opts.readonly) ensureStoreDir(file)
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw storeDamaged(file, 'it is a directory')
  if (!opts.readonly && opts.allowReadOnly && fs.existsSync(file) && !writable(file)) return fallback('read-only')
  let db: Db
  try {
    db = new Database(file, {readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false})
    db.pragma('busy_timeout = 15000')
    if (!opts.readonly) db.pragma('journal_mode = WAL')
  } catch (error) {
    const full = isDiskFull(error) || diskFull(file)
    if (!opts.readonly && opts.allowReadOnly && fs.existsSync(file) && (full || cannotWrite(error)))
      return fallback(full ? 'disk full' : 'read-only')
    if (full) throw storeError(Object.assign(new Error('database or disk is full'), {code: 'SQLITE_FULL'}), file)
    const damaged = !cannotWrite(error) && fs.existsSync(file) ? damageReason(error) : undefined
    if (damaged) throw storeDamaged(file, damaged, error)
    throw openFailed(error)
  }
  try {
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    if (!opts.readonly) migrate(db, file)
    checkTables(db, file)
  } catch (error) {
    db.close()
    const full = isDiskFull(error) || diskFull(file)
    if (!opts.readonly && opts.allowReadOnly && (full || cannotWrite(error)))
      return fallback(full ? 'disk full' : 'read-only')
    if (full) throw storeError(Object.assign(new Error('database or disk is full'), {code: 'SQLITE_FULL'}), file)
    const damaged = damageReason(error)
    throw damaged ? storeDamaged(file, damaged, error) : storeError(error, file)
  }
  openedStores.push(file)
  return db
}

export type ReadOnlyReason = 'read-only' | 'disk full'
const readOnlyReasons = new WeakMap<Db, ReadOnlyReason>()

/** Why `openDb({allowReadOnly})` opened this store read-only (undefined: it is writable). */
export function readOnlyReason(db: Db): ReadOnlyReason | undefined {
  return readOnlyReasons.get(db)
}

function writable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.W_OK)
    fs.accessSync(path.dirname(file), fs.constants.W_OK)
    return true
  } catch {
    return false
  }
}

/** No free block left on the file system of `file` (SQLite often reports that as an I/O error). */
function diskFull(file: string): boolean {
  try {
    const st = fs.statfsSync(path.dirname(file))
    return st.bavail * st.bsize < 64 * 1024
  } catch {
    return false
  }
}

type DatabaseCtor = typeof import('better-sqlite3')

/**
 * Open an existing store read-only. A WAL database needs a usable -shm file; when that cannot be
 * created or is broken (read-only directory, full disk) the file is loaded into memory instead,
 * with `query_only` so that a write fails (SQLITE_READONLY) rather than vanishing.
 */
function openReadOnly(Database: DatabaseCtor, file: string, openFailed: (e: unknown) => FabricError): Db {
  let db: Db
  try {
    db = new Database(file, {readonly: true, fileMustExist: true})
    db.pragma('busy_timeout = 15000')
    db.prepare('SELECT count(*) FROM sqlite_master').get()
  } catch {
    try {
      const image = fs.readFileSync(file)
      // Header bytes 18-19 are 2 in WAL mode; an in-memory image must say "rollback journal" (1).
      if (image.length >= 100 && image[18] === 2) image[18] = image[19] = 1
      db = new Database(image)
      db.pragma('query_only = ON')
      db.prepare('SELECT count(*) FROM sqlite_master').get()
    } catch (error) {
      throw openFailed(error)
    }
  }
  storeFiles.set(db, file)
  db.pragma('foreign_keys = ON')
  return db
}

const storeFiles = new WeakMap<Db, string>()

function sqliteCode(error: unknown): string {
  return String((error as {code?: unknown})?.code ?? '')
}

function cannotWrite(error: unknown): boolean {
  const code = sqliteCode(error)
  return /^SQLITE_(READONLY|CANTOPEN|PERM|AUTH)/.test(code) || ['EACCES', 'EROFS', 'EPERM'].includes(code)
}

function isDiskFull(error: unknown): boolean {
  return sqliteCode(error).startsWith('SQLITE_FULL') || sqliteCode(error) === 'ENOSPC'
}

/**
 * A store failure as a FabricError naming the file (disk full, read-only store, I/O error);
 * anything else is returned unchanged.
 */
export function storeError(error: unknown, file: string): unknown {
  if (error instanceof FabricError) return error
  const code = sqliteCode(error)
  if (isDiskFull(error)) {
    return new FabricError({
      code: 'DISK_FULL',
      message: `The disk holding the fabric store ${file} is full; the change was not made.`,
      value: file,
      hint: `Free space on the file system of ${path.dirname(file)} (or point FABRICCTL_HOME elsewhere), then run the command again.`,
      exitCode: EXIT.USAGE,
      cause: error,
    })
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return new FabricError({
      code: 'STORE_READ_ONLY',
      message: `The fabric store ${file} is read-only here, so this command cannot change it; nothing was changed.`,
      value: file,
      hint: 'Reads still work. To make changes, make that directory writable or point FABRICCTL_HOME at a writable copy.',
      exitCode: EXIT.USAGE,
      cause: error,
    })
  }
  if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_CORRUPT') {
    return new FabricError({
      code: 'STORE_IO_ERROR',
      message: `The fabric store ${file} could not be read or written (${code}): ${(error as Error).message}.`,
      value: file,
      hint: `Check the file system of ${path.dirname(file)} (space, errors in dmesg); \`fabricctl sim init --force\` re-creates the simulated fabric.`,
      exitCode: EXIT.CHECK_FAILED,
      cause: error,
    })
  }
  return error
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

const TABLES = [...MIGRATIONS.join('\n').matchAll(/CREATE TABLE (\w+)/g)].map(m => m[1]!)

/** A store at this schema version must have every table; one that lacks some is damaged (cheap: one sqlite_master read). */
function checkTables(db: Db, file: string): void {
  if ((db.pragma('user_version', {simple: true}) as number) !== SCHEMA_VERSION) return
  const have = new Set(
    (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {name: string}[]).map(r => r.name),
  )
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
  if (db.inTransaction) return db.transaction(fn)()
  try {
    return db.transaction(fn).immediate()
  } catch (error) {
    const full =
      readOnlyReason(db) === 'disk full' ||
      isDiskFull(error) ||
      (sqliteCode(error).startsWith('SQLITE_IOERR') && diskFull(storeFiles.get(db) ?? db.name))
    throw storeError(
      full ? Object.assign(new Error('database or disk is full'), {code: 'SQLITE_FULL', cause: error}) : error,
      storeFiles.get(db) ?? db.name,
    )
  }
}
