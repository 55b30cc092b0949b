import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {DEFAULT_CONCURRENCY, parseDuration} from '../../src/lib/cli/flags.js'
import {makeHome, runCli, type TestHome} from '../helpers/cli.js'

/** The shared flag builders (src/lib/cli/flags.ts): one duration parser, one concurrency default. */
let home: TestHome
beforeAll(() => {
  home = makeHome('fabricctl-flags-')
})
afterAll(() => home.cleanup())

describe('shared flags', () => {
  it('parseDuration: units ms/s/m/h, a bare number in the flag’s unit, out of range refused', () => {
    const lim = {minMs: 100, maxMs: 3_600_000}
    expect(['1500ms', '30s', '2.5s', '1m', '1h'].map(v => parseDuration(v, '--timeout', lim))).toEqual([
      1500, 30_000, 2500, 60_000, 3_600_000,
    ])
    expect(parseDuration('20', '--interval', lim)).toBe(20_000)
    expect(parseDuration('20000', '--timeout', {...lim, bare: 'ms'})).toBe(20_000)
    for (const bad of ['', 'abc', '5x', '-1s', '99ms', '2h', '1.5'])
      expect(() => parseDuration(bad, '--timeout', {...lim, bare: 'ms'}), bad).toThrow(
        /not a duration between 100 ms and 1 h/,
      )
  })

  it('audit hosts --timeout takes a duration with units; a bad one is a usage error (exit 2)', async () => {
    const ok = await runCli(['audit', 'hosts', 'az1-h01', '--timeout', '20s', '--json'], {home})
    expect(ok.exitCode, ok.stderr).toBeLessThan(2)
    expect(ok.json.kind).toBe('AuditReport')
    const bad = await runCli(['audit', 'hosts', 'az1-h01', '--timeout', '5x', '--json'], {home})
    expect(bad.exitCode).toBe(2)
    expect(bad.json.error.message).toMatch(/--timeout/)
  })

  it('leaf diff and leaf verify share the one --concurrency default', async () => {
    for (const cmd of [
      ['leaf', 'diff'],
      ['leaf', 'verify'],
    ]) {
      const r = await runCli([...cmd, '--help'], {home})
      expect(r.stdout).toMatch(new RegExp(`--concurrency=<value>\\s+\\[default: ${DEFAULT_CONCURRENCY}\\]`))
    }
    expect(DEFAULT_CONCURRENCY).toBe(8)
  })
})
