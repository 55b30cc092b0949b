// Issue 16: a store held locked by another writer is retried a bounded number of times, then reported as a
// FabricError (STORE_BUSY, exit 5, with a hint) instead of "Internal error"; nothing is changed.
import path from 'node:path'
import Database from 'better-sqlite3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BUSY_ATTEMPTS, isBusy, withBusyRetry} from '../src/lib/store/busy.js'
import {makeHome, runCli, type TestHome} from './helpers/cli.js'
import {assertMatchesSchema} from './helpers/schema.js'

let home: TestHome
beforeAll(async () => {
  home = makeHome()
  expect((await runCli(['sim', 'init', '--profile', 'small', '--json'], {home})).exitCode).toBe(0)
})
afterAll(() => home.cleanup())

describe('SQLITE_BUSY', () => {
  it('retries a busy transaction at most BUSY_ATTEMPTS times, then throws STORE_BUSY', () => {
    const db = new Database(':memory:')
    let calls = 0
    const busy = () => {
      calls++
      throw Object.assign(new Error('database is locked'), {code: 'SQLITE_BUSY'})
    }
    expect(() => withBusyRetry(db, busy, {})).toThrow(expect.objectContaining({code: 'STORE_BUSY', exitCode: 5}))
    expect(calls).toBe(BUSY_ATTEMPTS)
    // A transaction that succeeds on its second attempt returns its value; other errors pass through untouched.
    calls = 0
    expect(withBusyRetry(db, () => (++calls < 2 ? busy() : 'done'), {})).toBe('done')
    expect(() =>
      withBusyRetry(
        db,
        () => {
          throw Object.assign(new Error('constraint'), {code: 'SQLITE_CONSTRAINT'})
        },
        {},
      ),
    ).toThrow(expect.objectContaining({code: 'SQLITE_CONSTRAINT'}))
    expect(isBusy({code: 'SQLITE_BUSY_SNAPSHOT'})).toBe(true)
    db.close()
  })

  it('a CLI write against a store locked by another process fails with STORE_BUSY, exit 5, and changes nothing', async () => {
    const count = () => {
      const db = new Database(path.join(home.dir, 'sim.db'), {readonly: true})
      const n = (db.prepare('SELECT count(*) AS n FROM ports').get() as {n: number}).n
      db.close()
      return n
    }
    const before = count()
    const holder = new Database(path.join(home.dir, 'sim.db'))
    holder.pragma('busy_timeout = 5000')
    holder.exec('BEGIN IMMEDIATE')
    try {
      const r = await runCli(['port', 'allocate', '--label', 'prod-env', '--json'], {
        home,
        env: {FABRICCTL_LOCK_TIMEOUT_MS: '200'},
      })
      expect(r.exitCode).toBe(5)
      assertMatchesSchema(r.json)
      expect(r.json.error.code).toBe('STORE_BUSY')
      expect(r.json.error.hint).toMatch(/FABRICCTL_LOCK_TIMEOUT_MS/)
      expect(r.stdout).not.toMatch(/Internal error/)
      const text = await runCli(['port', 'allocate', '--label', 'prod-env'], {
        home,
        env: {FABRICCTL_LOCK_TIMEOUT_MS: '100'},
      })
      expect(text.exitCode).toBe(5)
      expect(text.stderr).toMatch(/stayed locked by another writer/)
    } finally {
      holder.exec('ROLLBACK')
      holder.close()
    }
    expect(count()).toBe(before)
    // Once the lock is gone, the same command succeeds.
    expect((await runCli(['port', 'allocate', '--label', 'prod-env', '--json'], {home})).exitCode).toBe(0)
    expect(count()).toBe(before + 1)
  })
})
