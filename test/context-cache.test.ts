// Issue 16: the validated context file is cached (src/lib/context/config.ts), so that a store command with a
// context file loads neither yaml nor zod. The cache must never serve a config the file no longer says, never
// hold a secret, and never turn a problem of its own into an error.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {loadConfig} from '../src/lib/context/config.js'
import {clearSecrets, REDACTED, redactText} from '../src/lib/cli/redact.js'

let dir: string
let file: string
let cacheDir: string

const LIVE = (extra = '') => `# a comment that must not reach the cache: hunter2-in-a-comment
apiVersion: fabricctl/v1
kind: Config
current-context: lab
contexts:
  - name: lab
    backend: live
    neutron:
      url: http://127.0.0.1:9696
      auth:
        type: password
        authUrl: http://127.0.0.1:5000/v3
        username: admin
        projectName: admin
        passwordEnv: FABRICCTL_TEST_CACHE_PW
${extra}`

function entries(): string[] {
  return fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir).filter(f => f.startsWith('context-')) : []
}

function entryFile(): string {
  const [name] = entries()
  expect(name).toBeDefined()
  return path.join(cacheDir, name!)
}

/** Rewrite one field of the cache entry. */
function tamper(change: (entry: any) => void): void {
  const entry = JSON.parse(fs.readFileSync(entryFile(), 'utf8'))
  change(entry)
  fs.writeFileSync(entryFile(), JSON.stringify(entry))
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabricctl-ctxcache-'))
  file = path.join(dir, 'config.yaml')
  cacheDir = path.join(dir, 'cache')
  delete process.env.FABRICCTL_TEST_CACHE_PW
})
afterEach(() => {
  fs.rmSync(dir, {recursive: true, force: true})
  delete process.env.FABRICCTL_TEST_CACHE_PW
  clearSecrets()
})

describe('context file cache', () => {
  it('keeps the validated config, not the text, and serves it while the key holds', async () => {
    fs.writeFileSync(file, LIVE())
    const first = await loadConfig(file, {dir: cacheDir})
    expect(first.contexts[0]).toMatchObject({name: 'lab', backend: 'live', ssh: {user: 'root'}})
    const stored = fs.readFileSync(entryFile(), 'utf8')
    expect(stored).not.toContain('hunter2-in-a-comment')
    expect(JSON.parse(stored).config).toEqual(first)
    expect(fs.statSync(entryFile()).mode & 0o777).toBe(0o600)
    expect(await loadConfig(file, {dir: cacheDir})).toEqual(first)
    // Served from the entry (not validated again): a change made to the entry alone shows.
    tamper(e => (e.config['current-context'] = 'from-the-cache'))
    expect((await loadConfig(file, {dir: cacheDir}))['current-context']).toBe('from-the-cache')
  })

  it('is a miss when any part of the key differs: format, validator, path, file times, text', async () => {
    fs.writeFileSync(file, LIVE())
    await loadConfig(file, {dir: cacheDir})
    const changes: Array<[string, (e: any) => void]> = [
      ['format', e => (e.format += 1)],
      ['validator', e => (e.validator += 'x')],
      ['file', e => (e.file += 'x')],
      ['stat', e => (e.stat += '1')],
      ['hash', e => (e.hash = `0${e.hash}`)],
    ]
    for (const [what, change] of changes) {
      tamper(e => {
        change(e)
        e.config['current-context'] = 'stale'
      })
      expect((await loadConfig(file, {dir: cacheDir}))['current-context'], what).toBe('lab')
    }
  })

  it('is a miss for a file rewritten with the same size and times (one clock tick): the text is hashed', async () => {
    fs.writeFileSync(file, LIVE())
    await loadConfig(file, {dir: cacheDir})
    const text = LIVE().replace('current-context: lab', 'current-context: sim')
    expect(text.length).toBe(LIVE().length)
    fs.writeFileSync(file, text)
    // What a same-tick rewrite looks like to the cache: the entry's file key equals the file's new one.
    const st = fs.statSync(file, {bigint: true})
    tamper(e => (e.stat = [st.size, st.mtimeNs, st.ctimeNs, st.ino, st.dev].join(':')))
    expect((await loadConfig(file, {dir: cacheDir}))['current-context']).toBe('sim')
  })

  it('registers the secrets of the variables the file names on a hit too', async () => {
    fs.writeFileSync(file, LIVE())
    await loadConfig(file, {dir: cacheDir})
    tamper(e => (e.config['current-context'] = 'from-the-cache'))
    process.env.FABRICCTL_TEST_CACHE_PW = 'pw-from-the-env-4711'
    clearSecrets()
    expect((await loadConfig(file, {dir: cacheDir}))['current-context']).toBe('from-the-cache')
    expect(redactText('pw-from-the-env-4711')).toBe(REDACTED)
  })

  it('never caches a file that holds a secret itself', async () => {
    for (const text of [
      LIVE().replace('passwordEnv: FABRICCTL_TEST_CACHE_PW', 'password: inline-secret-0815'),
      LIVE().replace('        passwordEnv: FABRICCTL_TEST_CACHE_PW\n', ''),
    ]) {
      fs.writeFileSync(file, text)
      clearSecrets()
      const config = await loadConfig(file, {dir: cacheDir})
      expect(config.contexts[0]?.name).toBe('lab')
      if (text.includes('inline-secret')) {
        expect(entries()).toEqual([])
        expect(redactText('inline-secret-0815')).toBe(REDACTED)
      } else {
        expect(entries()).toHaveLength(1)
      }
    }
  })

  it('never caches an invalid file: every run reports it', async () => {
    fs.writeFileSync(file, LIVE('    bogus: 1\n'))
    for (let i = 0; i < 2; i++)
      await expect(loadConfig(file, {dir: cacheDir})).rejects.toMatchObject({code: 'CONFIG_INVALID'})
    expect(entries()).toEqual([])
  })

  it('treats a corrupt entry or an unusable cache directory as a miss, without a word', async () => {
    fs.writeFileSync(file, LIVE())
    await loadConfig(file, {dir: cacheDir})
    fs.writeFileSync(entryFile(), '{not json')
    expect((await loadConfig(file, {dir: cacheDir}))['current-context']).toBe('lab')
    const notADir = path.join(dir, 'a-file')
    fs.writeFileSync(notADir, '')
    expect((await loadConfig(file, {dir: path.join(notADir, 'cache')}))['current-context']).toBe('lab')
    expect((await loadConfig(file, {dir: null}))['current-context']).toBe('lab')
  })

  it('keeps a bounded number of entries', async () => {
    for (let i = 0; i < 11; i++) {
      const f = path.join(dir, `config-${i}.yaml`)
      fs.writeFileSync(f, LIVE())
      await loadConfig(f, {dir: cacheDir})
    }
    expect(entries()).toHaveLength(8)
  })
})
