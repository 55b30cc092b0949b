import fs from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {makeHome, runCli, runCliProcess, type TestHome} from '../helpers/cli.js'
import {assertMatchesSchema} from '../helpers/schema.js'

/**
 * Smoke tests of what only a real `bin/run.js` process shows: argv as the shell passes it, the
 * process exit code, stdout drained into a pipe before exit, no stack trace, --help/--version
 * without the command files. Everything else runs in-process (runCli) and is much faster.
 */
let home: TestHome
beforeAll(async () => {
  home = makeHome()
  expect((await runCli(['sim', 'init'], {home})).exitCode).toBe(0)
})
afterAll(() => home.cleanup())

describe('the fabricctl process', () => {
  it('exits 0 and prints one JSON document; global flags may come before the command', async () => {
    const r = await runCliProcess(['--json', '--context', 'sim', 'host', 'list'], {home})
    expect(r.exitCode).toBe(0)
    assertMatchesSchema(r.json)
    expect(r.json.hosts).toHaveLength(10)
    expect(r.stderr).toBe('')
  })

  it('exits 2 on a bad flag, with the error on stderr, nothing on stdout and no stack trace', async () => {
    const r = await runCliProcess(['host', 'list', '--bogus'], {home})
    expect(r.exitCode).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/^Error: .*--bogus.*\nWhat to do: .+$/s)
    expect(r.stderr).not.toMatch(/\s+at .+\.js:\d+/)
  })

  it('exits 2 for an unknown command, without a stack trace', async () => {
    const r = await runCliProcess(['no-such-command'], {home})
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain('no-such-command')
    expect(r.stderr).not.toMatch(/\s+at .+\.js:\d+/)
  })

  it('prints the stack trace with --debug', async () => {
    const r = await runCliProcess(['host', 'show', 'nope', '--debug'], {home})
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toMatch(/\n\s+at .+\.js:\d+/)
  })

  it('exits 1 when a check fails, after the whole report reached the pipe', async () => {
    const r = await runCliProcess(['audit', 'hosts', '--fail-on', 'warning', '--json'], {home})
    expect(r.exitCode).toBe(1)
    assertMatchesSchema(r.json)
    expect(r.json.hosts.length).toBe(10)
  })

  it('drains more than a pipe buffer (64 KiB) of stdout before the process exits', async () => {
    const alloc = await runCliProcess(
      ['port', 'allocate', '--label', 'prod-env', '--count', '300', '--name-template', 'pipe-{i}', '--json'],
      {home},
    )
    expect(alloc.exitCode).toBe(0)
    expect(alloc.stdout.length).toBeGreaterThan(64 * 1024)
    expect(alloc.json.ports).toHaveLength(300)
    const list = await runCliProcess(['port', 'list', '--limit', '5000', '--json'], {home})
    expect(list.exitCode).toBe(0)
    expect(list.stdout.length).toBeGreaterThan(64 * 1024)
    expect(list.json.ports.filter((p: any) => p.name.startsWith('pipe-'))).toHaveLength(300)
  })

  it('reads --help and --version from the manifest and does not open the fabric', async () => {
    const empty = makeHome()
    try {
      const help = await runCliProcess(['port', 'allocate', '--help'], {home: empty})
      expect(help.exitCode).toBe(0)
      expect(help.stdout).toContain('EXAMPLES')
      const version = await runCliProcess(['--version'], {home: empty})
      expect(version.exitCode).toBe(0)
      expect(version.stdout).toMatch(/^fabricctl\/\d+\.\d+\.\d+ /)
      expect(fs.existsSync(path.join(empty.dir, 'sim.db'))).toBe(false)
    } finally {
      empty.cleanup()
    }
  })

  it('an argument with spaces and shell characters arrives as one; --json errors are one JSON object on stdout', async () => {
    const r = await runCliProcess(['host', 'show', 'a b; $(x) "c"', '--json'], {home})
    expect(r.exitCode).toBe(2)
    assertMatchesSchema(r.json)
    expect(r.json.error.value).toBe('a b; $(x) "c"')
  })

  it('the in-process runner gives the same stdout, stderr and exit code as the process', async () => {
    for (const args of [
      ['host', 'show', 'nope'],
      ['leaf', 'list', '--bogus', '--json'],
    ]) {
      const [a, b] = [await runCli(args, {home}), await runCliProcess(args, {home})]
      expect({exitCode: a.exitCode, stdout: a.stdout, stderr: a.stderr}, args.join(' ')).toEqual({
        exitCode: b.exitCode,
        stdout: b.stdout,
        stderr: b.stderr,
      })
    }
  })
})
