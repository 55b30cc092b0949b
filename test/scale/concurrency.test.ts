import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {makeHome, runCliProcess as runCli, type TestHome} from '../helpers/cli.js'

/**
 * Concurrent changes serialise (issue 19): a bulk allocate (bound to a host), a migrate, a release
 * and a `leaf push --all`, all at once as separate processes; afterwards `leaf diff --all` and
 * `ipam check` must be clean — every time, 20 trials. Before the fix, a push computed a leaf's
 * desired state outside its transaction and could apply it after a migrate or release had
 * committed, leaving a VLAN for a host with no port of it.
 * Real processes (runCliProcess): the in-process runner serialises calls. Scale tier (test/scale).
 */

const TRIALS = 20
const BATCH = 6
// Hosts of the small profile that take instance ports, under two different leaf pairs.
const HOSTS = ['az1-h01', 'az1-h06', 'az1-h02', 'az1-h08', 'az1-h03', 'az1-h09', 'az1-h04', 'az1-h10', 'az1-h05']
const NETWORKS = ['test-a', 'suba-prod']

let home: TestHome
beforeAll(async () => {
  home = makeHome('fabricctl-concurrency-')
  expect((await runCli(['sim', 'init'], {home})).exitCode).toBe(0)
  // The batch trial 0 migrates and releases.
  const r = await runCli(
    [
      'port',
      'allocate',
      '--network',
      NETWORKS[0]!,
      '--count',
      String(BATCH),
      '--name-template',
      'c0-{i}',
      '--host',
      HOSTS[0]!,
      '--json',
    ],
    {home},
  )
  expect(r.exitCode, r.stderr).toBe(0)
}, 120_000)
afterAll(() => home.cleanup())

describe('concurrent allocate + migrate + release + leaf push', () => {
  it(`leaves and IPAM are clean after each of ${TRIALS} trials`, async () => {
    const outcomes: {trial: number; diff: number; ipam: number; changes: string[]}[] = []
    for (let t = 0; t < TRIALS; t++) {
      const prev = `c${t}`
      const next = `c${t + 1}`
      const host = HOSTS[(t + 1) % HOSTS.length]!
      const moveTo = HOSTS[(t + 4) % HOSTS.length]!
      const net = NETWORKS[(t + 1) % NETWORKS.length]!
      const runs = await Promise.all([
        runCli(
          [
            'port',
            'allocate',
            '--network',
            net,
            '--count',
            String(BATCH),
            '--name-template',
            `${next}-{i}`,
            '--host',
            host,
            '--json',
          ],
          {home},
        ),
        runCli(['port', 'migrate', `${prev}-1`, '--to-host', moveTo, '--json'], {home}),
        runCli(['port', 'release', ...Array.from({length: BATCH - 1}, (_, k) => `${prev}-${k + 2}`), '--json'], {home}),
        runCli(['leaf', 'push', '--all', '--json'], {home}),
      ])
      for (const r of runs) expect(r.exitCode, `trial ${t}: ${r.stderr || r.stdout.slice(0, 400)}`).toBe(0)
      const [diff, ipam] = await Promise.all([
        runCli(['leaf', 'diff', '--all', '--json'], {home}),
        runCli(['ipam', 'check', '--json'], {home}),
      ])
      const changes = ((diff.json?.leaves ?? []) as {leaf: string; summary: string[]}[]).flatMap(l =>
        l.summary.map(s => `${l.leaf}: ${s}`),
      )
      outcomes.push({trial: t, diff: diff.exitCode, ipam: ipam.exitCode, changes})
      // The migrated port moves on: release it next trial's way, so ports do not pile up.
      await runCli(['port', 'release', `${prev}-1`], {home})
    }
    const clean = outcomes.filter(o => o.diff === 0 && o.ipam === 0).length
    console.log(`concurrency trials: ${clean}/${TRIALS} clean (leaf diff --all and ipam check exit 0)`)
    for (const o of outcomes.filter(x => x.diff !== 0 || x.ipam !== 0))
      console.log(`  trial ${o.trial}: diff ${o.diff}, ipam ${o.ipam}: ${o.changes.slice(0, 3).join('; ')}`)
    expect(outcomes.filter(o => o.diff !== 0 || o.ipam !== 0)).toEqual([])
  }, 1_800_000)
})
