import path from 'node:path'
import Database from 'better-sqlite3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {escToken, firstUnsafeChar, safeDeep, safeText, toTerminal, visibleLength} from '../src/lib/output/safe.js'
import {makeStyle} from '../src/lib/output/style.js'
import {renderFields, renderTable} from '../src/lib/output/table.js'
import {makeHome, runCli, type TestHome} from './helpers/cli.js'
import {assertMatchesSchema} from './helpers/schema.js'

/** Safe output (issue 19): names with terminal controls are printed escaped, exact in JSON. */

// Anything a terminal would act on or hide: C0 (except newline), DEL, C1, bidi controls, zero-width characters.
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]/u
const expectSafe = (text: string) => {
  const m = RAW.exec(text)
  expect(
    m,
    m
      ? `raw U+${m[0].charCodeAt(0).toString(16)} at ${m.index}: ${JSON.stringify(text.slice(Math.max(0, m.index - 30), m.index + 30))}`
      : '',
  ).toBeNull()
}

describe('safeText / toTerminal', () => {
  it('escapes C0, C1, DEL, bidi and zero-width characters in a visible form', () => {
    expect(safeText('web\u001B[31mRED\u0007')).toBe('web\\x1b[31mRED\\x07')
    expect(safeText('a\u202Eb\u2066c\u2069d')).toBe('a\\u202eb\\u2066c\\u2069d')
    expect(safeText('x\u200By\u200Dz\uFEFF')).toBe('x\\u200by\\u200dz\\ufeff')
    expect(safeText('c1\u009Bx\u007F')).toBe('c1\\x9bx\\x7f')
    expect(safeText('line\nnext\ttab\r')).toBe('line\\nnext\\ttab\\r')
    expect(safeText('lone\uD800')).toBe('lone\\ud800')
    // Ordinary text, including non-Latin names and emoji, is left alone.
    for (const ok of ['az1-h01', '../../etc/passwd', 'Ünïcødé-名前', 'pod-🚀', 'a b']) expect(safeText(ok)).toBe(ok)
    expect(safeText(safeText('web\u001B[31m'))).toBe(safeText('web\u001B[31m'))
  })

  it('firstUnsafeChar finds what the sim refuses in a name', () => {
    expect(firstUnsafeChar('web\u0007')).toBe('\u0007')
    expect(firstUnsafeChar('\u202Eevil')).toBe('\u202E')
    expect(firstUnsafeChar('fine-name')).toBeUndefined()
  })

  it('safeDeep escapes every string of a value and leaves the input as it was', () => {
    const v = {a: 'x\u001B', b: [{c: '\u202E'}], n: 3, z: null}
    expect(safeDeep(v)).toEqual({a: 'x\\x1b', b: [{c: '\\u202e'}], n: 3, z: null})
    expect(v.a).toBe('x\u001B')
  })

  it("keeps fabricctl's own colours but escapes an ESC that came inside a name", () => {
    const s = makeStyle({stream: {isTTY: true} as NodeJS.WriteStream})
    const before = process.env.NO_COLOR
    delete process.env.NO_COLOR
    try {
      const coloured = makeStyle({stream: {isTTY: true} as NodeJS.WriteStream})
      const red = coloured.red('ok')
      expect(red).toContain(escToken())
      expect(red).not.toContain('\u001B')
      const out = toTerminal(`${red} web\u001B[31mRED`)
      expect(out).toBe('\u001B[31mok\u001B[39m web\\x1b[31mRED')
      expect(visibleLength(red)).toBe(2)
      // chained styles too
      expect(toTerminal(coloured.bold.red('x'))).toMatch(/^\u001B\[1m\u001B\[31mx/)
    } finally {
      if (before !== undefined) process.env.NO_COLOR = before
    }
    expect(s).toBeDefined()
  })

  it('renderTable and renderFields escape cells and align on the escaped form', () => {
    const rows = [{name: 'web\u001B[31mRED'}, {name: '\u202Eevil\u200B'}, {name: 'plain'}]
    const t = renderTable(rows, [
      {header: 'name', get: r => r.name},
      {header: 'x', get: () => 'y'},
    ])
    expectSafe(t)
    const lines = t.split('\n')
    expect(lines[1]).toBe('web\\x1b[31mRED    y')
    expect(lines[2]).toBe('\\u202eevil\\u200b  y')
    expect(lines[3]).toBe('plain             y')
    expect(new Set(lines.map(l => l.length)).size).toBe(1)
    const f = renderFields([
      ['name', 'a\u0007b'],
      ['other', '\u2066x'],
    ])
    expectSafe(f)
    expect(f).toContain('a\\x07b')
  })
})

describe('hostile names through every table and diagram (CLI)', () => {
  let home: TestHome
  const HOSTILE_PORT = 'web\u001B[31mRED\u0007'
  const HOSTILE_PORT2 = '\u202Eevil\u200Bname'
  const PATH_PORT = '../../etc/passwd'
  const HOSTILE_HOST = 'az1-h01\u001B[2J'
  const HOSTILE_LABEL = 'prod\u001B]0;pwned\u0007'
  const ips: string[] = []

  beforeAll(async () => {
    home = makeHome('fabricctl-safe-')
    expect((await runCli(['sim', 'init'], {home})).exitCode).toBe(0)
    // Names as a Neutron tenant could set them (the sim refuses them on input, so they are written directly).
    const db = new Database(path.join(home.dir, 'sim.db'))
    db.pragma('foreign_keys = OFF')
    const rename = (from: string, to: string) => {
      const r = db.prepare('SELECT ip FROM ports WHERE name = ?').get(from) as {ip: string}
      db.prepare('UPDATE ports SET name = ? WHERE name = ?').run(to, from)
      ips.push(r.ip)
    }
    rename('search-az1-000001', HOSTILE_PORT) // on az1-h01
    rename('vm-az1-000036', HOSTILE_PORT2)
    rename('vm-az1-000009', PATH_PORT)
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]
    for (const t of tables) {
      const cols = (db.prepare(`PRAGMA table_info(${t})`).all() as {name: string}[]).map(c => c.name)
      if (cols.includes('host')) db.prepare(`UPDATE ${t} SET host = ? WHERE host = 'az1-h01'`).run(HOSTILE_HOST)
    }
    db.prepare("UPDATE hosts SET name = ? WHERE name = 'az1-h01'").run(HOSTILE_HOST)
    db.prepare('INSERT INTO network_labels(network, label) VALUES (?, ?)').run('prod-a', HOSTILE_LABEL)
    db.close()
  })
  afterAll(() => home.cleanup())

  const commands = () => [
    ['port', 'list'],
    ['port', 'show', ips[0]!],
    ['port', 'show', ips[1]!],
    ['port', 'diagnose', ips[0]!],
    ['port', 'diagnose', '--all'],
    ['port', 'states', '--by', 'host'],
    ['trace', ips[0]!, ips[1]!, '--format', 'table'],
    ['trace', ips[0]!, ips[1]!, '--format', 'diagram'],
    ['trace', ips[2]!, ips[0]!, '--format', 'diagram'],
    ['host', 'list'],
    ['host', 'show', HOSTILE_HOST],
    ['network', 'list'],
    ['network', 'show', 'prod-a'],
    ['ipam', 'usage', '--by', 'label'],
    ['ipam', 'check'],
    ['leaf', 'show', 'az1-leaf01a'],
    ['topology', 'show'],
    ['audit', 'hosts', HOSTILE_HOST],
    ['host', 'show', 'az1-h01\u001B[2'],
    ['port', 'show', `${HOSTILE_PORT}x`],
  ]

  it('prints them escaped in human output (stdout and stderr), names visible', async () => {
    const seen = new Set<string>()
    const results = await pool(commands(), 4, async args => ({args, r: await runCli(args, {home})}))
    for (const {args, r} of results) {
      expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBeLessThanOrEqual(2)
      expectSafe(r.stdout)
      expectSafe(r.stderr)
      expect(r.stderr).not.toMatch(/Internal error/)
      const all = r.stdout + r.stderr
      for (const visible of [
        'web\\x1b[31mRED\\x07',
        '\\u202eevil\\u200bname',
        'az1-h01\\x1b[2J',
        'prod\\x1b]0;pwned\\x07',
        PATH_PORT,
      ])
        if (all.includes(visible)) seen.add(visible)
    }
    // Every hostile name was printed somewhere, in its visible form.
    expect([...seen].sort()).toEqual(
      [
        '../../etc/passwd',
        '\\u202eevil\\u200bname',
        'az1-h01\\x1b[2J',
        'prod\\x1b]0;pwned\\x07',
        'web\\x1b[31mRED\\x07',
      ].sort(),
    )
  }, 300_000)

  it('keeps them exact in JSON', async () => {
    const show = await runCli(['port', 'show', ips[0]!, '--json'], {home})
    assertMatchesSchema(show.json)
    expect(show.json.port.name).toBe(HOSTILE_PORT)
    expect(show.json.port.host).toBe(HOSTILE_HOST)
    const list = await runCli(['port', 'list', '--json', '--limit', '1000'], {home})
    expect(list.json.ports.map((p: {name: string}) => p.name)).toEqual(
      expect.arrayContaining([HOSTILE_PORT, HOSTILE_PORT2, PATH_PORT]),
    )
    const trace = await runCli(['trace', ips[0]!, ips[1]!, '--json'], {home})
    expect(trace.json.src.port.name).toBe(HOSTILE_PORT)
  })

  it('the sim refuses such names on input, as Neutron would limit them, and changes nothing', async () => {
    for (const name of [HOSTILE_PORT, HOSTILE_PORT2, 'bell\u0007', 'zw\u200Bj', 'x'.repeat(256), '']) {
      const r = await runCli(['port', 'allocate', '--network', 'prod-a', '--name', name, '--json'], {home})
      expect(r.exitCode, JSON.stringify(name)).toBe(2)
      assertMatchesSchema(r.json)
      expect(r.json.error.code).toBe('PORT_NAME_INVALID')
    }
    const ok = await runCli(
      ['port', 'allocate', '--network', 'prod-a', '--name', 'x'.repeat(255), '--dry-run', '--json'],
      {home},
    )
    expect(ok.exitCode).toBe(0)
  }, 180_000)
})

/** Run `fn` over items, at most `n` at once (subprocesses on a 2-core machine). */
async function pool<T, R>(items: readonly T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  await Promise.all(
    Array.from({length: n}, async () => {
      while (next < items.length) {
        const i = next++
        out[i] = await fn(items[i]!)
      }
    }),
  )
  return out
}
