import fs from 'node:fs'

import {FabricError} from '../cli/errors.js'
import {EXIT} from '../cli/exit-codes.js'

/**
 * A damaged store (issue 19): not a database, malformed, missing tables, or a directory in its
 * place. Named with its file, exit 6 (EXIT.DAMAGED), with what to do — never "Internal error".
 */

/** Store files this process has opened, so an SQLite error raised later (a malformed page) can name its file. */
export const openedStores: string[] = []

const DAMAGE_CODES = /^SQLITE_(NOTADB|CORRUPT|CANTOPEN|IOERR|FORMAT|SCHEMA)/

/** Why an error means the store is damaged, or undefined when it is something else. */
export function damageReason(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined
  const code = (err as {code?: unknown}).code
  const isSqlite = err.constructor?.name === 'SqliteError' || (typeof code === 'string' && code.startsWith('SQLITE_'))
  if (!isSqlite) return undefined
  if (typeof code === 'string' && DAMAGE_CODES.test(code)) return err.message
  if (/no such (table|column)|malformed|not a database/i.test(err.message)) return err.message
  return undefined
}

export function storeDamaged(file: string | undefined, reason: string, cause?: unknown): FabricError {
  const where = file ?? 'the fabric store'
  let what = reason
  try {
    if (file && fs.statSync(file).isDirectory()) what = 'it is a directory, not a database file'
  } catch {
    // the file is gone: keep SQLite's reason
  }
  return new FabricError({
    code: 'STORE_DAMAGED',
    message: `The fabric store ${where} is damaged: ${what}.`,
    value: file ?? null,
    hint: file
      ? `Keep a copy for a bug report (mv ${file} ${file}.damaged), then re-create it with \`fabricctl sim init --force\` (add --context NAME for another sim context); or put back a backup of that file.`
      : 'Re-create it with `fabricctl sim init --force`, or put back a backup of the file.',
    exitCode: EXIT.DAMAGED,
    cause,
  })
}
