// The README's quick start, run as written: every `./bin/run.js` command of its ```sh blocks, in
// order, in one private data directory, on the simulated profile(s) the README itself names. The
// commands are parsed out of README.md, so this breaks when the README changes and breaks.
import fs from 'node:fs'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {makeHome, ROOT, runCli} from './helpers/cli.js'

/** The ```sh blocks of the "## Quick start" section, one entry per command line (comments dropped). */
export function quickStartCommands(readme: string): string[] {
  const start = readme.indexOf('\n## Quick start\n')
  if (start < 0) throw new Error('README.md has no "## Quick start" section')
  const rest = readme.slice(start + 1)
  const next = rest.indexOf('\n## ', 3)
  const section = next < 0 ? rest : rest.slice(0, next)
  const lines: string[] = []
  for (const m of section.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const raw of m[1]!.split('\n')) {
      const line = stripComment(raw).trim()
      if (line) lines.push(line)
    }
  }
  return lines
}

/** Drop a shell comment (a # at a word start, outside quotes). */
function stripComment(line: string): string {
  let q: string | null = null
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (q) {
      if (c === q) q = null
      continue
    }
    if (c === "'" || c === '"') q = c
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i)
  }
  return line
}

/** Split a command line into words as sh would for these simple lines (quotes, no expansions). */
export function shellWords(line: string): string[] {
  const words: string[] = []
  let cur = ''
  let have = false
  let q: string | null = null
  for (const c of line) {
    if (q) {
      if (c === q) q = null
      else cur += c
      continue
    }
    if (c === "'" || c === '"') {
      q = c
      have = true
    } else if (/\s/.test(c)) {
      if (have) words.push(cur)
      cur = ''
      have = false
    } else {
      cur += c
      have = true
    }
  }
  if (q) throw new Error(`unbalanced quote in: ${line}`)
  if (have) words.push(cur)
  return words
}

const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
const commands = quickStartCommands(readme)
const cliLines = commands.filter(l => l.startsWith('./bin/run.js '))
const profiles = [...new Set(cliLines.flatMap(l => [...l.matchAll(/--profile[ =](\S+)/g)].map(m => m[1]!)))]

describe('README quick start, as written', () => {
  const home = makeHome('fabricctl-readme-')
  afterAll(() => home.cleanup())

  it('names its commands and the simulated profile they run on', () => {
    expect(cliLines.length, `quick start commands: ${JSON.stringify(commands)}`).toBeGreaterThanOrEqual(3)
    expect(profiles.length, 'the quick start names a sim profile (sim init --profile ...)').toBeGreaterThan(0)
    // the npm lines of the quick start name scripts that exist
    const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts as Record<
      string,
      string
    >
    for (const l of commands.filter(c => c.startsWith('npm '))) {
      for (const part of l.split('&&').map(p => shellWords(p.trim()))) {
        if (part[1] === 'run') expect(scripts[part[2]!], `${l}: npm run ${part[2]}`).toBeTruthy()
        else if (part[1] === 'test') expect(scripts.test, l).toBeTruthy()
        else expect(['ci', 'install', 'link'], l).toContain(part[1])
      }
    }
  })

  it(`every ./bin/run.js command runs, in order, on profile(s) ${profiles.join(', ')}`, async () => {
    for (const line of cliLines) {
      const r = await runCli(shellWords(line).slice(1), {home, timeoutMs: 180_000})
      // a check command (--fail-on) may legitimately report findings with exit 1; nothing may be bad input or an error
      const allowed = line.includes('--fail-on') ? [0, 1] : [0]
      expect(
        allowed,
        `\`${line}\` exited ${r.exitCode}:\n${r.stderr.slice(-1500)}\n${r.stdout.slice(-1500)}`,
      ).toContain(r.exitCode)
      expect(r.stderr, line).not.toMatch(/^Error:|No host named|No port named/m)
    }
  }, 600_000)
})
