import {createHash} from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {makeHome, ROOT, runCli, type CliResult, type TestHome} from './helpers/cli.js'
import {assertMatchesSchema} from './helpers/schema.js'

/**
 * Regression suite for issue 19: named bad inputs and broken files, then ≥250 malformed
 * invocations generated from the command manifest. For each: the exit code, no stack trace, with
 * --json exactly one JSON Error object on stdout, and the store unchanged (checksum of a dump).
 */

interface Case {
  args: string[]
  exit: number
  why: string
  env?: Record<string, string>
}
interface ManifestFlag {
  type: 'boolean' | 'option'
  options?: string[]
  multiple?: boolean
  char?: string
}
interface ManifestCommand {
  args: Record<string, {required?: boolean; options?: string[]}>
  flags: Record<string, ManifestFlag>
  strict?: boolean
}

const STACK = /\n\s+at .+(:\d+:\d+\)?|\(node:)/
const GLOBAL = new Set(['json', 'context', 'debug', 'no-color', 'help'])
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8')) as {
  commands: Record<string, ManifestCommand>
}

/** A checksum of every table of the store, row by row: any change shows. */
function storeChecksum(file: string): string {
  const db = new Database(file, {readonly: true})
  try {
    const h = createHash('sha256')
    for (const t of db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all() as string[]) {
      h.update(`\u0000${t}\u0000`)
      for (const row of db.prepare(`SELECT * FROM "${t}" ORDER BY rowid`).raw().iterate()) h.update(JSON.stringify(row))
    }
    return h.digest('hex')
  } finally {
    db.close()
  }
}

/** Values that no flag of that type accepts. */
const BAD_INTEGERS = ['abc', '1.5', '99999999999999999999999']
const INTEGER_FLAGS = new Set([
  'seed',
  'count',
  'limit',
  'top',
  'vlan',
  'concurrency',
  'timeout',
  'max-changes',
  'interval',
  'sport',
  'dport',
])

/** Example valid arguments, so that a case fails on the one thing it breaks. */
const GOOD_ARGS: Record<string, string[]> = {
  trace: ['10.16.0.2', '10.16.0.13'],
  'leaf:config': ['az1-leaf01a'],
  'leaf:diff': ['az1-leaf01a'],
  'leaf:push': ['az1-leaf01a', '--dry-run'],
  'leaf:rollback': ['az1-leaf01a', '--dry-run'],
  'leaf:show': ['az1-leaf01a'],
  'leaf:verify': ['az1-leaf01a'],
  'context:show': ['sim'],
  'context:use': ['sim'],
  'host:show': ['az1-h01'],
  'port:bind': ['search-az1-000001', '--host', 'az1-h01', '--dry-run'],
  'port:diagnose': ['search-az1-000001'],
  'port:migrate': ['search-az1-000001', '--to-host', 'az1-h02', '--dry-run'],
  'port:release': ['search-az1-000001', '--dry-run'],
  'port:show': ['search-az1-000001'],
  'network:show': ['prod-a'],
  'sim:fault:clear': ['--all'],
  'sim:fault:inject': ['agent-down', '--target', 'az1-h03'],
  'network:label:add': ['prod-a', 'x-label', '--dry-run'],
  'network:label:remove': ['prod-a', 'prod-env', '--dry-run'],
  'port:allocate': ['--network', 'prod-a', '--dry-run'],
  'sim:init': ['--force'],
  'audit:hosts': ['az1-h01'],
}
/** Commands that change the store when their input is good: generated cases never give them a good input without --dry-run. */
const MUTATING = new Set(['sim:init', 'sim:fault:clear', 'sim:fault:inject', 'context:use'])

function generateCases(): Case[] {
  const cases: Case[] = []
  const ids = Object.keys(manifest.commands)
    .filter(id => !id.startsWith('autocomplete'))
    .sort()
  for (const id of ids) {
    const words = id.split(':')
    const cmd = manifest.commands[id]!
    const good = GOOD_ARGS[id] ?? []
    const flags = Object.entries(cmd.flags).filter(([n]) => !GLOBAL.has(n))
    // An unknown flag (with --json: one Error object).
    cases.push({args: [...words, ...good, '--no-such-flag', 'x', '--json'], exit: 2, why: 'unknown flag (json)'})
    // --context without its value.
    cases.push({args: [...words, ...good, '--json', '--context'], exit: 2, why: '--context without a value'})
    // A mistyped command (two letters swapped), with --json.
    const last = words.at(-1)!
    const typo = last.length > 2 ? `${last[1]}${last[0]}${last.slice(2)}` : `${last}x`
    cases.push({args: [...words.slice(0, -1), typo, '--json'], exit: 2, why: 'mistyped command'})
    for (const [name, f] of flags) {
      if (f.type !== 'option') continue
      // A value flag at the end, without its value.
      cases.push({args: [...words, ...good, `--${name}`], exit: 2, why: `--${name} without a value`})
      if (f.options)
        cases.push({
          args: [...words, ...good, `--${name}`, 'not-an-option', '--json'],
          exit: 2,
          why: `--${name} not one of its options`,
        })
      if (INTEGER_FLAGS.has(name))
        for (const v of BAD_INTEGERS)
          cases.push({
            args: [...words, ...good, `--${name}=${v}`, '--json'],
            exit: 2,
            why: `--${name}=${JSON.stringify(v)}`,
          })
    }
    // Positional arguments: too many (strict commands), a name that does not exist, a value not among the options.
    const argNames = Object.keys(cmd.args ?? {})
    if (cmd.strict !== false)
      cases.push({
        args: [...words, ...good, 'extra-1', 'extra-2', 'extra-3', '--json'],
        exit: 2,
        why: 'unexpected arguments',
      })
    if (argNames.length > 0 && Object.values(cmd.args)[0]!.required)
      cases.push({args: [...words, '--json'], exit: 2, why: 'required argument missing'})
    const first = Object.values(cmd.args ?? {})[0]
    if (first && !MUTATING.has(id)) {
      const rest = good.filter(a => a.startsWith('-') || good.indexOf(a) >= argNames.length)
      if (first.options)
        cases.push({args: [...words, 'not-a-kind', ...rest, '--json'], exit: 2, why: 'argument not one of its options'})
      else if (id !== 'sim:fault:clear') {
        cases.push({
          args: [...words, 'no-such-name-x', ...(id === 'trace' ? ['no-such-name-y'] : []), ...rest, '--json'],
          exit: 2,
          why: 'unknown name (json)',
        })
        cases.push({
          args: [...words, 'no-such-name-x', ...(id === 'trace' ? ['no-such-name-y'] : []), ...rest],
          exit: 2,
          why: 'unknown name',
        })
      }
    }
  }
  return cases
}

/** Named cases from the issue. */
const NAMED: Case[] = [
  {args: ['sim', 'fault', 'clear', 'abc'], exit: 2, why: 'fault id not an integer'},
  {args: ['sim', 'fault', 'clear', '-1'], exit: 2, why: 'fault id negative'},
  {args: ['sim', 'fault', 'clear', '0'], exit: 2, why: 'fault id zero'},
  {args: ['sim', 'fault', 'clear', '1.5', '--json'], exit: 2, why: 'fault id not an integer (json)'},
  {args: ['sim', 'fault', 'clear', '1', '--all', '--json'], exit: 2, why: 'id and --all'},
  {
    args: ['sim', 'fault', 'inject', 'agent-down', '--target', 'az1-h03', '--vlan', '100', '--json'],
    exit: 2,
    why: 'flag the kind does not use',
  },
  {
    args: ['sim', 'fault', 'inject', 'ovs-down', '--target', 'az1-h03', '--interface', 'Ethernet1'],
    exit: 2,
    why: 'flag the kind does not use',
  },
  {
    args: ['sim', 'init', '--seed', '99999999999999999999999', '--force', '--json'],
    exit: 2,
    why: '--seed out of range',
  },
  {args: ['sim', 'init', '--seed', '4294967296', '--force'], exit: 2, why: '--seed out of range'},
  {args: ['audit', 'hosts', '--check', '', '--json'], exit: 2, why: 'empty --check'},
  {args: ['audit', 'hosts', '--check', 'ovs,nope'], exit: 2, why: 'unknown check'},
  {
    args: ['leaf', 'rollback', 'az1-leaf01a', '--to', 'previous', '--json'],
    exit: 1,
    why: 'rollback with nothing recorded',
  },
  {args: ['foo', '--json'], exit: 2, why: 'unknown command (json)'},
  {args: ['hots', 'list', '--json'], exit: 2, why: 'mistyped command (json)'},
  {args: ['--context', '--json'], exit: 2, why: 'global --context without a value (json)'},
  {args: ['--bogus', 'host', 'list', '--json'], exit: 2, why: 'unknown global flag (json)'},
  {args: ['host', 'list', '--context', 'no-such-ctx', '--json'], exit: 2, why: 'unknown context (json)'},
  {args: ['port', 'list', '--limit='], exit: 2, why: 'empty integer'},
  {args: ['host', 'list', '--no-such-flag'], exit: 2, why: 'unknown flag (human)'},
  {
    args: ['port', 'allocate', '--network', 'prod-a', '--name', 'web\u001B[31mRED', '--json'],
    exit: 2,
    why: 'ESC in a name',
  },
  {args: ['port', 'allocate', '--network', 'prod-a', '--name', 'a\u202Eb'], exit: 2, why: 'RLO in a name'},
  {
    args: ['port', 'allocate', '--network', 'prod-a', '--name-template', 'x\u0007{i}', '--count', '2', '--json'],
    exit: 2,
    why: 'BEL in a name template',
  },
  {
    args: ['port', 'allocate', '--network', 'prod-a', '--host', 'az1-h1', '--json'],
    exit: 2,
    why: 'unknown host (did you mean)',
  },
]

let home: TestHome
let dbFile: string
let initial: string

beforeAll(async () => {
  home = makeHome('fabricctl-bad-input-')
  expect((await runCli(['sim', 'init'], {home})).exitCode).toBe(0)
  dbFile = path.join(home.dir, 'sim.db')
  initial = storeChecksum(dbFile)
}, 120_000)
afterAll(() => home.cleanup())

interface Verdict {
  c: Case
  r: CliResult
  exitOk: boolean
  stack: boolean
  jsonOk: boolean
  changed: boolean
}

function judge(c: Case, r: CliResult, checksum: string): Verdict {
  const stack = STACK.test(r.stderr) || STACK.test(r.stdout) || /Internal error/.test(r.stderr + r.stdout)
  let jsonOk = true
  if (c.args.includes('--json')) {
    jsonOk =
      r.json !== undefined &&
      typeof r.json === 'object' &&
      !Array.isArray(r.json) &&
      (c.exit === 1 || r.json.kind === 'Error')
    if (jsonOk) {
      try {
        assertMatchesSchema(r.json)
      } catch {
        jsonOk = false
      }
    }
  }
  return {c, r, exitOk: r.exitCode === c.exit, stack, jsonOk, changed: checksum !== initial}
}

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

function report(label: string, vs: Verdict[]): void {
  const counts = {
    total: vs.length,
    rightExitCode: vs.filter(v => v.exitOk).length,
    stackTraces: vs.filter(v => v.stack).length,
    nonJson: vs.filter(v => !v.jsonOk).length,
    stateChanged: vs.filter(v => v.changed).length,
  }
  console.log(`${label}: ${JSON.stringify(counts)}`)
  const bad = vs.filter(v => !v.exitOk || v.stack || !v.jsonOk || v.changed)
  for (const v of bad.slice(0, 20))
    console.log(
      `  FAIL ${JSON.stringify(v.c.args)} (${v.c.why}): exit ${v.r.exitCode} want ${v.c.exit}${v.stack ? ', stack/internal' : ''}${v.jsonOk ? '' : ', not one JSON Error'}${v.changed ? ', store changed' : ''}\n    ${(v.r.stderr || v.r.stdout).split('\n').slice(0, 3).join(' | ')}`,
    )
  expect(bad.map(v => `${v.c.args.join(' ')} (${v.c.why}) → ${v.r.exitCode}`)).toEqual([])
}

describe('bad input: a clear error, the right exit code, nothing changed', () => {
  it('the cases named in the issue', async () => {
    const vs = await pool(NAMED, 4, async c => {
      const r = await runCli(c.args, {home, env: c.env})
      return judge(c, r, storeChecksum(dbFile))
    })
    report('named cases', vs)
    const byWhy = (why: string) => vs.find(v => v.c.why === why)!.r
    expect(byWhy('mistyped command (json)').json.error.message).toMatch(/Did you mean host list\?/)
    expect(byWhy('unknown host (did you mean)').json.error.details.suggestions).toContain('az1-h01')
    expect(byWhy('fault id not an integer').stderr).toMatch(/Argument ID: Expected an integer/)
    expect(byWhy('--seed out of range').json.error.message).toMatch(/--seed/)
  }, 600_000)

  it('≥250 generated malformed invocations', async () => {
    const cases = generateCases()
    expect(cases.length).toBeGreaterThanOrEqual(250)
    // Progress and failures as they happen (one line per case in a log file), so a slow machine still shows where it is.
    const log = path.join(os.tmpdir(), `fabricctl-bad-input-${process.pid}.log`)
    console.log(`generated cases: ${cases.length}; per-case log: ${log}`)
    const vs = await pool(cases, 4, async c => {
      const r = await runCli(c.args, {home, env: c.env, timeoutMs: 180_000})
      const v = judge(c, r, storeChecksum(dbFile))
      fs.appendFileSync(
        log,
        `${JSON.stringify({args: c.args, why: c.why, exit: r.exitCode, want: c.exit, stack: v.stack, jsonOk: v.jsonOk, changed: v.changed})}\n`,
      )
      return v
    })
    report('generated cases', vs)
  }, 3_600_000)
})

describe('broken files: the file named, exit 2 (or 6 for a damaged store), what to do', () => {
  let h: TestHome
  beforeAll(() => {
    h = makeHome('fabricctl-broken-')
  })
  afterAll(() => h.cleanup())
  const store = () => path.join(h.dir, 'sim.db')
  const reset = () => {
    for (const f of [store(), `${store()}-wal`, `${store()}-shm`, path.join(h.dir, 'config.yaml')])
      fs.rmSync(f, {recursive: true, force: true})
  }
  const expectClear = (r: CliResult, exit: number, code: string, file: string) => {
    expect(r.exitCode, r.stdout + r.stderr).toBe(exit)
    assertMatchesSchema(r.json)
    expect(r.json.error.code).toBe(code)
    expect(r.json.error.message).toContain(file)
    expect(r.json.error.hint).toBeTruthy()
    expect(r.stderr).not.toMatch(STACK)
  }

  it('a store that is not a database, is malformed, lacks tables or is a directory', async () => {
    reset()
    fs.writeFileSync(store(), 'this is not a database\n'.repeat(100))
    let r = await runCli(['host', 'list', '--json'], {home: h})
    expectClear(r, 6, 'STORE_DAMAGED', store())
    expect(r.json.error.hint).toMatch(/sim init --force/)
    // The hint's remedy works.
    expect((await runCli(['sim', 'init', '--force'], {home: h})).exitCode).toBe(0)
    // Malformed: pages overwritten.
    const size = fs.statSync(store()).size
    const fd = fs.openSync(store(), 'r+')
    fs.writeSync(fd, Buffer.alloc(size - 4096, 0x0d), 0, size - 4096, 4096)
    fs.closeSync(fd)
    r = await runCli(['port', 'list', '--json'], {home: h})
    expectClear(r, 6, 'STORE_DAMAGED', store())
    // Lacks tables.
    reset()
    expect((await runCli(['sim', 'init'], {home: h})).exitCode).toBe(0)
    const db = new Database(store())
    db.exec('DROP TABLE ovs_ports')
    db.close()
    r = await runCli(['port', 'list', '--json'], {home: h})
    expectClear(r, 6, 'STORE_DAMAGED', store())
    expect(r.json.error.message).toMatch(/ovs_ports/)
    // A directory in its place: refused, even by sim init --force, which does not remove it.
    reset()
    fs.mkdirSync(store())
    fs.writeFileSync(path.join(store(), 'keep'), 'x')
    expectClear(await runCli(['host', 'list', '--json'], {home: h}), 6, 'STORE_DAMAGED', store())
    expectClear(await runCli(['sim', 'init', '--force', '--json'], {home: h}), 6, 'STORE_DAMAGED', store())
    expect(fs.existsSync(path.join(store(), 'keep'))).toBe(true)
    reset()
  }, 300_000)

  it('a store path under a file (ENOTDIR)', async () => {
    const file = path.join(h.dir, 'a-file')
    fs.writeFileSync(file, 'x')
    const r = await runCli(['host', 'list', '--json'], {home: h, env: {FABRICCTL_HOME: path.join(file, 'sub')}})
    expectClear(r, 2, 'STORE_PATH_INVALID', file)
  }, 120_000)

  it('a context file that is a directory, or a YAML alias bomb, or too large', async () => {
    reset()
    const cfg = path.join(h.dir, 'config.yaml')
    fs.mkdirSync(cfg)
    expectClear(await runCli(['context', 'list', '--json'], {home: h}), 2, 'FILE_IS_DIRECTORY', cfg)
    fs.rmSync(cfg, {recursive: true})
    let bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    for (let i = 1; i < 9; i++)
      bomb += `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array.from({length: 9}, () => `*${String.fromCharCode(96 + i)}`).join(',')}]\n`
    fs.writeFileSync(cfg, bomb)
    const r = await runCli(['context', 'list', '--json'], {home: h, timeoutMs: 60_000})
    expectClear(r, 2, 'CONFIG_INVALID', cfg)
    expect(r.json.error.message).toMatch(/alias/)
    fs.writeFileSync(cfg, `contexts: []\n# ${'x'.repeat(5 * 1024 * 1024)}\n`)
    const big = await runCli(['host', 'list', '--json'], {home: h})
    expectClear(big, 2, 'CONFIG_INVALID', cfg)
    expect(big.json.error.message).toMatch(/limit/)
    reset()
  }, 300_000)

  it('audit hosts --catalogue DIR', async () => {
    const dir = path.join(h.dir, 'catalogue.d')
    fs.mkdirSync(dir, {recursive: true})
    expectClear(await runCli(['audit', 'hosts', '--catalogue', dir, '--json'], {home: h}), 2, 'FILE_IS_DIRECTORY', dir)
  }, 120_000)
})
