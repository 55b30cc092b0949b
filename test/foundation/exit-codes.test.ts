import fs from 'node:fs'
import {afterAll, beforeAll, describe, expect, it, onTestFinished} from 'vitest'

import {toFabricError} from '../../src/lib/cli/error-map.js'
import {buildFabric} from '../helpers/fabric-builder.js'
import {makeHome, runCli, type TestHome} from '../helpers/cli.js'
import {assertMatchesSchema} from '../helpers/schema.js'

/** Issue 11: "EXIT CODES" once per help page; an internal error (a bug) exits 7, not 1 ("a check failed"). */
let home: TestHome
beforeAll(() => {
  home = makeHome('fabricctl-exit-codes-')
})
afterAll(() => home.cleanup())

describe('exit codes', () => {
  it('every command prints EXIT CODES exactly once in its --help, with 7 internal error', async () => {
    const manifest = JSON.parse(fs.readFileSync(new URL('../../oclif.manifest.json', import.meta.url), 'utf8'))
    const ids = Object.keys(manifest.commands).filter(id => !id.startsWith('autocomplete'))
    expect(ids.length).toBeGreaterThan(20)
    for (const id of ids) {
      const r = await runCli([...id.split(':'), '--help'], {home})
      expect(r.exitCode, id).toBe(0)
      expect(r.stdout.match(/^EXIT CODES$/gm)?.length ?? 0, `${id}: EXIT CODES sections`).toBe(1)
      expect(r.stdout, id).toMatch(/^ {2}7 {2}internal error: a fabricctl bug/m)
    }
  }, 120_000)

  it('an unexpected exception maps to INTERNAL, exit 7, and a valid Error document', () => {
    const fe = toFabricError(new TypeError("Cannot read properties of undefined (reading 'x')"))
    expect(fe.code).toBe('INTERNAL')
    expect(fe.exitCode).toBe(7)
    const doc = fe.toJSON()
    assertMatchesSchema(doc)
    expect(doc).toMatchObject({kind: 'Error', error: {code: 'INTERNAL', exitCode: 7}})
  })

  it('a command that hits a bug (an unparsable row in the store) exits 7 with "Internal error", not 1', async () => {
    const fx = await buildFabric()
    onTestFinished(() => fx.cleanup())
    fx.edit(s => s.sql("UPDATE leaf_configs SET running = '{not json'").run())
    const r = await fx.cli('leaf', 'show', 'az1-leaf01a')
    expect(r.exitCode, r.stderr).toBe(7)
    expect(r.stderr).toMatch(/^Error: Internal error: /m)
    expect(r.stderr).toContain('--debug')
    const j = await fx.cli('leaf', 'show', 'az1-leaf01a', '--json')
    expect(j.exitCode).toBe(7)
    assertMatchesSchema(j.json)
    expect(j.json.error).toMatchObject({code: 'INTERNAL', exitCode: 7})
  })
})
