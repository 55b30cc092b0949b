// Issue 16: the bundled build (scripts/bundle.mjs) runs the CLI. Built from the current dist/ into a private
// directory inside the package (so node_modules resolves), then every check runs the CLI from that bundle.
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {makeHome, ROOT, type TestHome} from './helpers/cli.js'
import {assertMatchesSchema} from './helpers/schema.js'

const OUT = path.join(ROOT, `.bundle-test-${process.pid}`)
let home: TestHome
/** XDG_CACHE_HOME of every bundled run: the code cache (bundle-loader.ts) goes to CACHE/fabricctl, not ~/.cache. */
let cacheHome: string

/** Run fabricctl from the bundle in OUT: OUT/launch.cjs requires OUT/main.cjs, as bin/run.js does with bundle/. */
async function runBundled(args: string[], env: Record<string, string> = {}) {
  const r = await execa(process.execPath, [path.join(OUT, 'launch.cjs'), ...args], {
    env: {...home.env, XDG_CACHE_HOME: cacheHome, ...env},
    reject: false,
    cwd: ROOT,
    timeout: 60_000,
  })
  let json: any
  try {
    json = JSON.parse(r.stdout)
  } catch {
    // not measured / not JSON
  }
  return {exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, json}
}

beforeAll(async () => {
  home = makeHome()
  cacheHome = path.join(home.dir, 'xdg-cache')
  await execa(process.execPath, [path.join(ROOT, 'scripts', 'bundle.mjs'), '--outdir', OUT], {cwd: ROOT})
  fs.writeFileSync(
    path.join(OUT, 'launch.cjs'),
    `require(${JSON.stringify(path.join(OUT, 'main.cjs'))}).run(process.argv.slice(2))\n`,
  )
}, 120_000)
afterAll(() => {
  fs.rmSync(OUT, {recursive: true, force: true})
  home?.cleanup()
})

describe('bundled build', () => {
  it('is an oclif root whose commands are exports of the one CommonJS bundle, with native modules external', () => {
    const pjson = JSON.parse(fs.readFileSync(path.join(OUT, 'package.json'), 'utf8'))
    const manifest = JSON.parse(fs.readFileSync(path.join(OUT, 'oclif.manifest.json'), 'utf8'))
    const rootManifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8'))
    expect(pjson.version).toBe(manifest.version)
    expect(Object.keys(manifest.commands).sort()).toEqual(Object.keys(rootManifest.commands).sort())
    for (const cmd of Object.values<any>(manifest.commands))
      expect(fs.existsSync(path.join(OUT, ...cmd.relativePath))).toBe(true)
    const code = fs.readFileSync(path.join(OUT, 'fabricctl.cjs'), 'utf8')
    // better-sqlite3's JavaScript is in the bundle (code-cached; no import() of it, which started node's ES module
    // loader); its native addon is required from node_modules/better-sqlite3, found at run time, without `bindings`.
    expect(code).toContain('Misspelled option "readOnly"')
    expect(code).not.toMatch(/__fabricImport\(["']better-sqlite3["']\)/)
    expect(code).not.toMatch(/require\(["']bindings["']\)/)
    expect(code).toContain('require.resolve("better-sqlite3/package.json")')
    expect(code).toMatch(/^[\0-\x7f]*$/) // ASCII: the loader reads it as latin1
    // ink (ESM with top-level await) is never require()d: the views that use it are ES modules beside the bundle.
    expect(code).not.toMatch(/require\(["'](ink|react)\b/)
    expect(code).toContain('__fabricImport("./audit-progress.js")')
    for (const f of ['audit-progress.js', 'diagnose-watch.js']) expect(fs.existsSync(path.join(OUT, f))).toBe(true)
    // No import() is left to run inside vm.Script (it fails there once compiled from a code cache on Node 20).
    expect(code.match(/(?<![\w$."'`])import\((?!\))/g)).toBeNull()
    expect(pjson.oclif.commands).toEqual({strategy: 'explicit', target: './fabricctl.cjs', identifier: 'COMMANDS'})
    const sha256 = crypto
      .createHash('sha256')
      .update(fs.readFileSync(path.join(OUT, 'fabricctl.cjs')))
      .digest('hex')
    expect(pjson.fabricctlBundle).toEqual({file: 'fabricctl.cjs', sha256})
  })

  it("skips oclif's core plugins only for fabricctl's own commands without --help, and drops oclif's engine check", async () => {
    const pjson = JSON.parse(fs.readFileSync(path.join(OUT, 'package.json'), 'utf8'))
    const rootManifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8'))
    expect(pjson.fabricctlCommands).toEqual(Object.keys(rootManifest.commands).sort())
    expect(pjson.oclif.plugins).toEqual(['@oclif/plugin-help', '@oclif/plugin-autocomplete'])
    const {ownCommand} = await import(pathToFileURL(path.join(ROOT, 'dist', 'bundle-main.js')).href)
    const ids = new Set(['host:list', 'sim:fault:list', 'port:allocate'])
    const cases: [string[], string | undefined][] = [
      [['host', 'list', '--json'], 'host:list'],
      [['sim', 'fault', 'list', '--json', '--context', 'sim'], 'sim:fault:list'],
      [['port', 'allocate', 'extra-arg'], 'port:allocate'], // oclif reports the extra argument itself
      [['host', 'list', '--help'], undefined],
      [['host', 'list', '-h'], undefined],
      [['help', 'host', 'list'], undefined],
      [['autocomplete', 'bash'], undefined],
      [['hots', 'list'], undefined], // unknown: the did-you-mean path loads everything
      [['host'], undefined], // a topic: its help
      [['sim', 'fault'], undefined],
      [[], undefined],
    ]
    for (const [argv, want] of cases) expect([argv, ownCommand(argv, ids)]).toEqual([argv, want])
    // Each such command's own oclif root: a manifest with that one entry, its path back to the bundle.
    for (const id of pjson.fabricctlCommands) {
      const root = path.join(OUT, 'roots', ...id.split(':'))
      const m = JSON.parse(fs.readFileSync(path.join(root, 'oclif.manifest.json'), 'utf8'))
      expect(Object.keys(m.commands)).toEqual([id])
      expect(m.commands[id]).toEqual({...rootManifest.commands[id], relativePath: m.commands[id].relativePath})
      expect(path.resolve(root, ...m.commands[id].relativePath)).toBe(path.join(OUT, 'fabricctl.cjs'))
    }
    // The check (which reads this env var) is in oclif's source, and gone from every chunk of the bundle.
    const oclifIndex = fs.readFileSync(path.join(ROOT, 'node_modules', '@oclif', 'core', 'lib', 'index.js'), 'utf8')
    expect(oclifIndex).toMatch(/^checkNodeVersion\(\);$/m)
    const withCheck = fs
      .readdirSync(OUT)
      .filter(f => /\.c?js$/.test(f))
      .filter(f => fs.readFileSync(path.join(OUT, f), 'utf8').includes('OCLIF_DISABLE_ENGINE_WARNING'))
    expect(withCheck).toEqual([])
  })

  it("sorts command ids as oclif's localeCompare does, without ICU", async () => {
    const {compareIds} = await import(pathToFileURL(path.join(ROOT, 'scripts', 'compare-ids.mjs')).href)
    const rootManifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8'))
    const plugins = ['@oclif/plugin-help', '@oclif/plugin-autocomplete'].flatMap(p =>
      Object.keys(
        JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', p, 'oclif.manifest.json'), 'utf8')).commands,
      ),
    )
    // The ids shipped, and strings that tell the orders apart where ICU and code units differ (case, digits, '_').
    const ids = [
      ...Object.keys(rootManifest.commands),
      ...plugins,
      'a-b',
      'a:b',
      'ab',
      'a',
      'b:a',
      'B',
      'a1',
      'a_b',
      'é',
    ]
    const icu = [...ids].sort((a, b) => a.localeCompare(b))
    expect([...ids].reverse().sort(compareIds)).toEqual(icu)
    expect([...ids].sort(compareIds)).toEqual(icu)
    // The patch is in the bundle (the build fails when oclif's sort is not where it was).
    expect(fs.readFileSync(path.join(OUT, 'fabricctl.cjs'), 'utf8')).toContain('/^[a-z:-]*$/')
  })

  it('prints the version and help without importing a command', async () => {
    const v = await runBundled(['--version'])
    expect(v.exitCode).toBe(0)
    expect(v.stdout).toMatch(/^fabricctl\/\d+\.\d+\.\d+ /)
    // The bundle's fast path prints exactly what oclif prints.
    const oclif = await execa(process.execPath, [path.join(ROOT, 'bin', 'run.js'), '--version'], {
      env: {...home.env, FABRICCTL_NO_BUNDLE: '1'},
      reject: false,
    })
    expect(v.stdout).toBe(oclif.stdout)
    const h = await runBundled(['help', 'port', 'allocate'])
    expect(h.exitCode).toBe(0)
    expect(h.stdout).toMatch(/Allocate ports/)
    expect(h.stdout).toMatch(/EXIT CODES/) // the project's help class, loaded from the bundle
    // The root help still lists the core plugins' commands (they are loaded on every help path).
    const root = await runBundled(['--help'])
    expect(root.exitCode).toBe(0)
    expect(root.stdout).toMatch(/^ {2}autocomplete\b/m)
    expect(root.stdout).toMatch(/^ {2}help\b/m)
  })

  it('runs store commands (the better-sqlite3 addon from node_modules) and finds data/ (audit catalogue)', async () => {
    const hosts = await runBundled(['host', 'list', '--json'])
    expect(hosts.exitCode).toBe(0)
    assertMatchesSchema(hosts.json)
    expect(hosts.json.hosts).toHaveLength(10)
    const audit = await runBundled(['audit', 'hosts', '--json'])
    expect([0, 1]).toContain(audit.exitCode)
    assertMatchesSchema(audit.json)
    expect(audit.json.kind).toBe('AuditReport')
    const alloc = await runBundled(['port', 'allocate', '--label', 'prod-env', '--json'])
    expect(alloc.exitCode).toBe(0)
    assertMatchesSchema(alloc.json)
  })

  it('reads, shows and writes a context file (yaml is reached from the bundle, as in a real deployment)', async () => {
    // Every command with a context file went through a dynamic import('yaml'), which the bundle resolved to the
    // package's CommonJS build: "o is not a function" on any live context. Written by `context use`, read back.
    const file = home.env.FABRICCTL_CONFIG!
    fs.writeFileSync(
      file,
      [
        'apiVersion: fabricctl/v1',
        'kind: Config',
        'current-context: sim',
        'contexts:',
        '  - name: sim',
        '    backend: sim',
        '',
      ].join('\n'),
    )
    try {
      const list = await runBundled(['context', 'list', '--json'])
      expect(list.exitCode, list.stderr).toBe(0)
      assertMatchesSchema(list.json)
      const show = await runBundled(['context', 'show', 'sim'])
      expect(show.exitCode, show.stderr).toBe(0)
      expect(show.stdout).toContain('backend: sim')
      const use = await runBundled(['context', 'use', 'sim'])
      expect(use.exitCode, use.stderr).toBe(0)
      expect(fs.readFileSync(file, 'utf8')).toContain('current-context: sim')
    } finally {
      fs.rmSync(file, {force: true})
    }
  })

  it('reports a bad flag and an unknown command as usage errors (exit 2), as the unbundled CLI does', async () => {
    const r = await runBundled(['host', 'list', '--no-such-flag'])
    expect(r.exitCode).toBe(2)
    const u = await runBundled(['hots', 'list', '--json'])
    expect(u.exitCode).toBe(2)
    expect(u.json.error.message).toMatch(/Did you mean host list/)
  })

  it('writes a V8 code cache on the first run, uses it after, and skips a bad or unwritable one', async () => {
    const xdg = path.join(home.dir, 'xdg-code-cache')
    // The hosts (names and roles) as listed: the sim's heartbeats move with the clock, so not the whole document.
    const hosts = (r: {json: any}) => r.json?.hosts?.map((h: any) => `${h.name} ${h.role}`)
    const caches = () =>
      fs
        .readdirSync(path.join(xdg, 'fabricctl'))
        .filter(f => f.startsWith('bundle-'))
        .map(f => path.join(xdg, 'fabricctl', f))
    const first = await runBundled(['host', 'list', '--json'], {XDG_CACHE_HOME: xdg})
    expect(first.exitCode, first.stderr).toBe(0)
    const [cache, ...more] = caches()
    expect(more).toEqual([])
    expect(path.basename(cache!)).toMatch(/^bundle-[0-9a-f]{16}-\d+-\d+-nodev\d+.*\.v8cache$/)
    expect(fs.statSync(cache!).size).toBeGreaterThan(100_000)
    const written = fs.statSync(cache!).mtimeMs
    // Accepted: the same output and the cache left as it was (a rejected cache is written again).
    const second = await runBundled(['host', 'list', '--json'], {XDG_CACHE_HOME: xdg})
    expect(hosts(first)).toHaveLength(10)
    expect(hosts(second)).toEqual(hosts(first))
    expect(fs.statSync(cache!).mtimeMs).toBe(written)
    // Garbage in the cache: V8 rejects it, the command runs as before and the cache is replaced.
    fs.writeFileSync(cache!, Buffer.alloc(4096, 7))
    const bad = await runBundled(['host', 'list', '--json'], {XDG_CACHE_HOME: xdg})
    expect([bad.exitCode, bad.stderr]).toEqual([0, ''])
    expect(hosts(bad)).toEqual(hosts(first))
    expect(fs.statSync(cache!).size).toBeGreaterThan(100_000)
    // A cache directory that cannot be made (XDG_CACHE_HOME is a file): no cache, no word on stderr.
    const file = path.join(home.dir, 'not-a-dir')
    fs.writeFileSync(file, '')
    const none = await runBundled(['host', 'list', '--json'], {XDG_CACHE_HOME: file})
    expect([none.exitCode, none.stderr, hosts(none)]).toEqual([0, '', hosts(first)])
  })

  it('keys the cache file by the bundle, its size and mtime, and node; XDG_CACHE_HOME or ~/.cache', async () => {
    const {cacheDir, cacheFile} = await import(pathToFileURL(path.join(ROOT, 'dist', 'bundle-loader.js')).href)
    const sha = 'ab'.repeat(32)
    const stat = {size: 1000, mtimeMs: 1_700_000_000_000.4}
    const names = new Set([
      cacheFile('/c', sha, stat),
      cacheFile('/c', 'cd'.repeat(32), stat),
      cacheFile('/c', sha, {...stat, size: 1001}),
      cacheFile('/c', sha, {...stat, mtimeMs: stat.mtimeMs + 1000}),
    ])
    expect(names.size).toBe(4)
    expect(cacheFile('/c', sha, stat)).toContain(process.version)
    expect(cacheDir({XDG_CACHE_HOME: '/x/cache'})).toBe('/x/cache/fabricctl')
    expect(cacheDir({XDG_CACHE_HOME: 'relative'})).toBe(path.join(os.homedir(), '.cache', 'fabricctl'))
    expect(cacheDir({})).toBe(path.join(os.homedir(), '.cache', 'fabricctl'))
  })

  it('keeps the newest four bundle caches in the directory and nothing else is touched', async () => {
    const {pruneCaches} = await import(pathToFileURL(path.join(ROOT, 'dist', 'bundle-loader.js')).href)
    const dir = fs.mkdtempSync(path.join(home.dir, 'prune-'))
    for (let i = 0; i < 6; i++) {
      const f = path.join(dir, `bundle-${i}.v8cache`)
      fs.writeFileSync(f, '')
      fs.utimesSync(f, 1_700_000_000 + i, 1_700_000_000 + i)
    }
    fs.writeFileSync(path.join(dir, 'other.txt'), '')
    pruneCaches(dir, 4)
    expect(fs.readdirSync(dir).sort()).toEqual([2, 3, 4, 5].map(i => `bundle-${i}.v8cache`).concat('other.txt'))
  })
})
