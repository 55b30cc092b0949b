import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {openDb, SCHEMA_VERSION} from '../../src/lib/store/db.js'
import {MIGRATIONS} from '../../src/lib/store/migrations.js'

let dir: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabricctl-store-'))
})
afterEach(() => fs.rmSync(dir, {recursive: true, force: true}))

describe('embedded store', () => {
  it('migrates a new database to the current schema version, in WAL mode with a busy timeout', async () => {
    const db = await openDb(path.join(dir, 'a.db'))
    expect(db.pragma('user_version', {simple: true})).toBe(MIGRATIONS.length)
    expect(db.pragma('journal_mode', {simple: true})).toBe('wal')
    expect(db.pragma('busy_timeout', {simple: true})).toBeGreaterThanOrEqual(10_000)
    expect(db.pragma('foreign_keys', {simple: true})).toBe(1)
    db.close()
    const again = await openDb(path.join(dir, 'a.db'))
    expect(again.pragma('user_version', {simple: true})).toBe(SCHEMA_VERSION)
    again.close()
  })

  it('refuses a database written by a newer fabricctl instead of misreading it', async () => {
    const file = path.join(dir, 'b.db')
    const db = await openDb(file)
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
    db.close()
    await expect(openDb(file)).rejects.toMatchObject({code: 'STORE_TOO_NEW', exitCode: 2})
  })
})
