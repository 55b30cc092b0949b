import fs from 'node:fs'
import path from 'node:path'
import type BetterSqlite3 from 'better-sqlite3'

import {FabricError} from '../cli/errors.js'
import {EXIT} from '../cli/exit-codes.js'
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
  fs.mkdirSync(path.dirname(file), {recursive: true})
  let db: Db
  try {
    db = new Database(file, {readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false})
  } catch (error) {
    throw new FabricError({
      code: 'STORE_OPEN_FAILED',
      message: `Cannot open the fabric store at ${file}: ${(error as Error).message}.`,
      value: file,
      hint: 'Check the permissions of that directory, or point FABRICCTL_HOME at a writable one.',
      exitCode: EXIT.USAGE,
      cause: error,
    })
  }
  db.pragma('busy_timeout = 15000')
  if (!opts.readonly) db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('foreign_keys = ON')
  if (!opts.readonly) migrate(db, file)
  return db
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
