// The reporter that lists skipped tests with their reasons (test/helpers/skip-summary-reporter.ts),
// run for real: a child vitest run over a throw-away test file with three kinds of skip.
import fs from 'node:fs'
import path from 'node:path'
import {execa} from 'execa'
import {describe, expect, it} from 'vitest'

import {ROOT} from './helpers/cli.js'
import {skipReason} from './helpers/skip-summary-reporter.js'

describe('skip summary reporter', () => {
  it('takes the ctx.skip note, else the "(skipped: reason)" of the nearest suite, else names the suite', () => {
    expect(skipReason('no tmux', ['a (skipped: other)'])).toBe('no tmux')
    expect(skipReason(undefined, ['inner', 'live tests (skipped: the lab needs root)'])).toBe('the lab needs root')
    expect(skipReason(undefined, ['lab selftest (FABRICCTL_LAB_SELFTEST=1)'])).toBe(
      'skip condition of "lab selftest (FABRICCTL_LAB_SELFTEST=1)"',
    )
    expect(skipReason(undefined, [])).toBe('skipped (no reason given)')
  })

  it('prints each reason with its file and count at the end of a real vitest run', async () => {
    // inside the repo's node_modules, so that the throw-away file resolves 'vitest'; not a *.test.ts name
    const cache = path.join(ROOT, 'node_modules', '.cache')
    fs.mkdirSync(cache, {recursive: true})
    const dir = fs.mkdtempSync(path.join(cache, 'fabricctl-skiprep-'))
    try {
      fs.writeFileSync(
        path.join(dir, 'vitest.config.mjs'),
        `export default {test: {include: ['x.check.ts'], reporters: ['default', ${JSON.stringify(path.join(ROOT, 'test', 'helpers', 'skip-summary-reporter.ts'))}]}}\n`,
      )
      fs.writeFileSync(
        path.join(dir, 'x.check.ts'),
        `import {describe, it} from 'vitest'
describe.skipIf(true)('needs a lab (skipped: the lab needs root)', () => { it('a', () => {}); it('b', () => {}) })
describe('runs', () => { it('c', (ctx) => { ctx.skip('tmux is not installed') }); it('d', () => {}) })
`,
      )
      const r = await execa(
        process.execPath,
        [path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', dir],
        {cwd: dir, reject: false, timeout: 120_000, env: {NO_COLOR: '1', CI: '1'}},
      )
      const out = r.stdout + r.stderr
      expect(r.exitCode, out).toBe(0)
      expect(out).toContain('Skipped tests, and why:')
      expect(out).toMatch(/2 in x\.check\.ts: the lab needs root/)
      expect(out).toMatch(/1 in x\.check\.ts: tmux is not installed/)
    } finally {
      fs.rmSync(dir, {recursive: true, force: true})
    }
  }, 120_000)
})
