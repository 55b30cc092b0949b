import {FabricError} from '../cli/errors.js'
import {EXIT} from '../cli/exit-codes.js'
import type {Db} from './db.js'

/** How many times a write transaction that met SQLITE_BUSY is tried in all (each waits up to the busy timeout). */
export const BUSY_ATTEMPTS = 3

/** SQLITE_BUSY and its extended codes (BUSY_SNAPSHOT, BUSY_RECOVERY, BUSY_TIMEOUT) and SQLITE_LOCKED. */
export function isBusy(error: unknown): boolean {
  const code = String((error as {code?: unknown})?.code ?? '')
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')
}

/**
 * The per-attempt lock wait: $FABRICCTL_LOCK_TIMEOUT_MS when set (tests and scripts that would rather fail
 * fast), else the connection's busy_timeout (openDb sets 15 s).
 */
function applyLockTimeout(db: Db, env: NodeJS.ProcessEnv): number {
  const raw = env.FABRICCTL_LOCK_TIMEOUT_MS
  if (raw !== undefined && /^\d+$/.test(raw)) {
    db.pragma(`busy_timeout = ${Number(raw)}`)
    return Number(raw)
  }
  return Number(db.pragma('busy_timeout', {simple: true}))
}

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/**
 * Run a write transaction; when the store stays locked (SQLITE_BUSY after the busy timeout) try again, at most
 * BUSY_ATTEMPTS times in all with a short jittered pause, then fail with a FabricError that says who to wait for.
 * The transaction rolled back each time, so nothing was changed.
 */
export function withBusyRetry<T>(db: Db, fn: () => T, env: NodeJS.ProcessEnv = process.env): T {
  if (db.inTransaction) return fn()
  const waitMs = applyLockTimeout(db, env)
  for (let attempt = 1; ; attempt++) {
    try {
      return fn()
    } catch (error) {
      if (!isBusy(error)) throw error
      if (attempt >= BUSY_ATTEMPTS) throw storeBusyError(db.name, attempt, waitMs, error)
      pause(25 * attempt + Math.floor(Math.random() * 25))
    }
  }
}

export function storeBusyError(file: string, attempts: number, waitMs: number, cause?: unknown): FabricError {
  return new FabricError({
    code: 'STORE_BUSY',
    message: `The fabric store ${file} stayed locked by another writer (${attempts} attempts, waiting up to ${waitMs} ms each); nothing was changed.`,
    value: file,
    hint:
      'Another fabricctl process (or a tool holding the database open in a transaction) is writing: let it finish and run the command again. ' +
      'Raise the wait with FABRICCTL_LOCK_TIMEOUT_MS (milliseconds).',
    exitCode: EXIT.TIMEOUT,
    details: {attempts, waitMs},
    cause,
  })
}
