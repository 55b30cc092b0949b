import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BIN, makeHome, ROOT, runCli, type TestHome} from './helpers/cli.js'
import {assertMatchesSchema} from './helpers/schema.js'

/**
 * SIGINT/SIGTERM sent to a real child process in the middle of its work. FABRICCTL_PACE_MS makes
 * the loop wait before each unit and print `[pace] <unit>` on stderr, so the signal lands while
 * work is going on (after the first unit, before the last).
 */
let home: TestHome
const LEAVES = ['az1-leaf01a', 'az1-leaf01b', 'az1-leaf02a', 'az1-leaf02b']

beforeAll(async () => {
  home = makeHome('fabricctl-interrupt-')
  expect((await runCli(['sim', 'init'], {home})).exitCode).toBe(0)
})
afterAll(() => home.cleanup())

async function interruptAfter(args: string[], paceLines: number, signal: NodeJS.Signals) {
  const child = execa(process.execPath, [BIN, ...args], {
    env: {...home.env, FABRICCTL_PACE_MS: '400'},
    reject: false,
    cwd: ROOT,
    timeout: 60_000,
  })
  let stderr = ''
  let sent = false
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString()
    if (!sent && (stderr.match(/^\[pace\] /gm) ?? []).length >= paceLines) {
      sent = true
      child.kill(signal)
    }
  })
  const r = await child
  let json: any
  try {
    json = JSON.parse(r.stdout)
  } catch {
    /* human output */
  }
  return {exitCode: r.exitCode, stdout: r.stdout, stderr, json, sent}
}

describe('interrupted commands report what they did and exit 130', () => {
  it('leaf push --all: the leaves done are listed, the rest are not started (and really not pushed)', async () => {
    for (const leaf of LEAVES)
      expect((await runCli(['sim', 'fault', 'inject', 'config-drift', '--target', leaf], {home})).exitCode).toBe(0)
    const r = await interruptAfter(['leaf', 'push', '--all', '--json'], 2, 'SIGINT')
    expect(r.sent).toBe(true)
    expect(r.exitCode, r.stderr).toBe(130)
    assertMatchesSchema(r.json)
    const done = r.json.leaves.map((l: {leaf: string}) => l.leaf) as string[]
    expect(done.length).toBeGreaterThanOrEqual(1)
    expect(done.length).toBeLessThan(LEAVES.length)
    expect(r.json.leaves.every((l: {status: string}) => l.status === 'applied')).toBe(true)
    expect(r.json.interrupted.signal).toBe('SIGINT')
    expect([...done, ...r.json.interrupted.notStarted].sort()).toEqual(LEAVES)
    // The store agrees: applied leaves are in sync, the leaves not started still differ.
    for (const leaf of LEAVES) {
      const d = await runCli(['leaf', 'diff', leaf, '--json'], {home})
      expect(d.json.leaves[0].status, leaf).toBe(done.includes(leaf) ? 'in-sync' : 'differs')
    }
    // Human output says the same.
    const again = await interruptAfter(['leaf', 'push', '--all'], 1, 'SIGTERM')
    expect(again.exitCode).toBe(130)
    expect(again.stdout).toMatch(/Stopped by SIGTERM: \d+ (leaf|leaves) applied, \d+ finished, \d+ not started/)
  })

  it('audit hosts: SIGTERM leaves the remaining hosts out and names them', async () => {
    const all = (await runCli(['host', 'list', '--json'], {home})).json.hosts.map(
      (h: {name: string}) => h.name,
    ) as string[]
    const r = await interruptAfter(['audit', 'hosts', '--json'], 3, 'SIGTERM')
    expect(r.exitCode, r.stderr).toBe(130)
    assertMatchesSchema(r.json)
    const audited = r.json.hosts.map((h: {host: string}) => h.host) as string[]
    expect(audited.length).toBeGreaterThanOrEqual(2)
    expect(audited.length).toBeLessThan(all.length)
    expect(r.json.summary.hosts).toBe(audited.length)
    expect([...audited, ...r.json.interrupted.notStarted].sort()).toEqual([...all].sort())
    expect(r.json.exitCode).toBe(130)
  })

  it('port allocate --count: a signal before the batch allocates nothing (exit 130)', async () => {
    const r = await interruptAfter(
      [
        'port',
        'allocate',
        '--label',
        'prod-env',
        '--az',
        'az1',
        '--count',
        '5',
        '--name-template',
        'int-{i}',
        '--json',
      ],
      1,
      'SIGINT',
    )
    expect(r.exitCode, r.stderr).toBe(130)
    assertMatchesSchema(r.json)
    expect(r.json.error.code).toBe('INTERRUPTED')
    const list = await runCli(['port', 'show', 'int-1', '--json'], {home})
    expect(list.exitCode).toBe(2)
  })
})
