import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

// The tmpfs tests run real processes: each starts with no store handle held open (the tmpfs must unmount), as
// a user's command does. `context use` only edits a file: in-process.
import {makeHome, runCli as runInProcess, runCliProcess as runCli, type TestHome} from './helpers/cli.js'

let home: TestHome
beforeEach(() => {
  home = makeHome('fabricctl-env-')
})
afterEach(() => home.cleanup())

describe('context use', () => {
  it('changes only current-context, keeps comments and layout, and writes through a symlink', async () => {
    const realDir = path.join(home.dir, 'dotfiles')
    fs.mkdirSync(realDir)
    const real = path.join(realDir, 'config.yaml')
    const text = [
      '# my fabrics — do not reformat',
      'apiVersion: fabricctl/v1',
      'kind: Config',
      'current-context: sim   # the default',
      'contexts:',
      '  # the lab',
      '  - name: lab',
      '    backend: live',
      '    neutron: {url: "http://127.0.0.1:19696"}',
      '',
    ].join('\n')
    fs.writeFileSync(real, text, {mode: 0o640})
    fs.symlinkSync(real, path.join(home.dir, 'config.yaml'))
    const r = await runInProcess(['context', 'use', 'lab', '--json'], {home})
    expect(r.exitCode, r.stderr).toBe(0)
    expect(fs.lstatSync(path.join(home.dir, 'config.yaml')).isSymbolicLink()).toBe(true)
    const after = fs.readFileSync(real, 'utf8')
    expect(after).toBe(text.replace('current-context: sim   # the default', 'current-context: lab   # the default'))
    expect(fs.statSync(real).mode & 0o777).toBe(0o640)
    expect(fs.readdirSync(realDir)).toEqual(['config.yaml'])
    expect((await runInProcess(['context', 'list', '--json'], {home})).json.current).toBe('lab')
  })

  it('adds current-context to a file without one, keeping its comments and writing no defaults', async () => {
    const file = path.join(home.dir, 'config.yaml')
    fs.writeFileSync(file, '# team fabrics\ncontexts:\n  - name: lab # ours\n    backend: sim\n')
    const r = await runInProcess(['context', 'use', 'lab'], {home})
    expect(r.exitCode, r.stderr).toBe(0)
    const after = fs.readFileSync(file, 'utf8')
    expect(after).toContain('# team fabrics')
    expect(after).toContain('- name: lab # ours')
    expect(after).toMatch(/^current-context: lab$/m)
    expect(after).not.toMatch(/apiVersion|ssh|inventory|timeout/)
  })
})

/** A tiny tmpfs as FABRICCTL_HOME (root only): read-only and full file systems. */
function tmpfs(): string | undefined {
  if (process.getuid?.() !== 0) return undefined
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabricctl-tmpfs-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], {stdio: 'ignore'})
    return dir
  } catch {
    fs.rmdirSync(dir)
    return undefined
  }
}
function unmount(dir: string): void {
  execFileSync('umount', [dir], {stdio: 'ignore'})
  fs.rmdirSync(dir)
}

describe('a read-only or full home', () => {
  it('read-only: reads are served (and say so on stderr), writes fail naming the store, exit 2', async ctx => {
    const dir = tmpfs()
    if (!dir) return ctx.skip()
    try {
      const env = {FABRICCTL_HOME: dir}
      expect((await runCli(['sim', 'init'], {home, env})).exitCode).toBe(0)
      execFileSync('mount', ['-o', 'remount,ro', dir])
      const list = await runCli(['host', 'list', '--json'], {home, env})
      expect(list.exitCode, list.stderr).toBe(0)
      expect(list.json.hosts.length).toBe(10)
      expect(list.stderr).toContain(`The fabric store ${dir}/sim.db is read-only here: serving reads only`)
      const alloc = await runCli(
        ['port', 'allocate', '--label', 'prod-env', '--az', 'az1', '--name', 'ro-1', '--json'],
        {home, env},
      )
      expect(alloc.exitCode).toBe(2)
      expect(alloc.json.error).toMatchObject({code: 'STORE_READ_ONLY', value: `${dir}/sim.db`})
    } finally {
      unmount(dir)
    }
  })

  it('full: a write fails with an error naming the path, nothing is half-written, no temp files; reads still work', async ctx => {
    const dir = tmpfs()
    if (!dir) return ctx.skip()
    try {
      const env = {FABRICCTL_HOME: dir}
      expect((await runCli(['sim', 'init'], {home, env})).exitCode).toBe(0)
      // Fill the file system to the last byte.
      const fd = fs.openSync(path.join(dir, 'filler'), 'w')
      for (const size of [65_536, 4096, 1]) {
        const buf = Buffer.alloc(size)
        try {
          for (;;) fs.writeSync(fd, buf)
        } catch (error) {
          expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC')
        }
      }
      fs.closeSync(fd)
      const alloc = await runCli(
        [
          'port',
          'allocate',
          '--label',
          'prod-env',
          '--az',
          'az1',
          '--count',
          '200',
          '--name-template',
          'full-{i}',
          '--json',
        ],
        {home, env},
      )
      expect(alloc.exitCode, alloc.stdout + alloc.stderr).toBe(2)
      expect(alloc.json.error.code).toBe('DISK_FULL')
      expect(alloc.json.error.message).toContain(`${dir}/sim.db`)
      const list = await runCli(['port', 'list', '--json'], {home, env})
      expect(list.exitCode, list.stderr).toBe(0)
      expect(list.json.ports.some((p: {name: string}) => p.name.startsWith('full-'))).toBe(false)
      fs.rmSync(path.join(dir, 'filler'))
      const again = await runCli(
        [
          'port',
          'allocate',
          '--label',
          'prod-env',
          '--az',
          'az1',
          '--count',
          '3',
          '--name-template',
          'full-{i}',
          '--json',
        ],
        {home, env},
      )
      expect(again.exitCode, again.stderr).toBe(0)
      expect(fs.readdirSync(dir).filter(f => /\.(new|tmp)/.test(f))).toEqual([])
    } finally {
      unmount(dir)
    }
  })
})
