// The FRR driver's per-leaf push lock, run for real with flock through a local shell standing in for
// the leaf's SSH session (same script, same exec/hold calls); state under a private directory.
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it, onTestFinished} from 'vitest'

import {LeafDriverError} from '../src/lib/leaf/driver.js'
import {FrrLeafDriver} from '../src/lib/leaf/frr/driver.js'

/** The two SshSession calls the driver uses, on a local `sh`. */
function localShell() {
  return {
    exec(command: string, opts: {stdin?: string; timeoutMs?: number} = {}) {
      return new Promise<{stdout: string; stderr: string; code: number | null}>(resolve => {
        const p = spawn('sh', ['-c', command])
        let stdout = ''
        let stderr = ''
        p.stdout.on('data', d => (stdout += d))
        p.stderr.on('data', d => (stderr += d))
        p.on('close', code => resolve({stdout, stderr, code}))
        p.stdin.end(opts.stdin ?? '')
      })
    },
    hold(command: string, ready: (out: string) => boolean, timeoutMs: number) {
      return new Promise<{out: string; exited: boolean; code: number | null; release(): void}>((resolve, reject) => {
        const p = spawn('sh', ['-c', command])
        let out = ''
        let settled = false
        const release = () => p.stdin.end()
        const timer = setTimeout(() => {
          if (settled) return
          settled = true
          p.kill()
          reject(new Error('timeout'))
        }, timeoutMs)
        p.stdout.on('data', d => {
          out += d
          if (!settled && ready(out)) {
            settled = true
            clearTimeout(timer)
            resolve({out, exited: false, code: null, release})
          }
        })
        p.on('close', code => {
          clearTimeout(timer)
          if (settled) return
          settled = true
          resolve({out, exited: true, code, release})
        })
      })
    },
    close() {},
  }
}

const driver = (runRoot: string) =>
  new (FrrLeafDriver as unknown as new (ssh: unknown, o: unknown) => FrrLeafDriver)(localShell(), {
    leaf: {name: 'leaf1', address: '127.0.0.1', port: 22, vtep: '10.0.0.11'},
    hostPorts: [],
    catalog: new Map(),
    vniBase: 10_000,
    runRoot,
  })

describe('per-leaf push lock (flock on the leaf)', () => {
  it('a second push waits, then is refused naming the holder (host, pid, since); after release it gets the lock', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fabricctl-lock-'))
    onTestFinished(() => fs.rmSync(root, {recursive: true, force: true}))
    const a = driver(root)
    const b = driver(root)
    const release = await a.lock(5000)
    expect(fs.readFileSync(path.join(root, 'leaf-leaf1', 'leaf.lock.holder'), 'utf8')).toMatch(
      new RegExp(`^host=${os.hostname()} pid=${process.pid} since=\\d{4}-`),
    )
    const t0 = Date.now()
    const err = await b.lock(1500).catch(e => e)
    const waited = Date.now() - t0
    expect(err).toBeInstanceOf(LeafDriverError)
    expect((err as LeafDriverError).code).toBe('LEAF_LOCKED')
    expect((err as Error).message).toMatch(
      new RegExp(`another fabricctl \\(host=${os.hostname()} pid=${process.pid} since=`),
    )
    expect(waited).toBeGreaterThanOrEqual(900) // it queued for the wait before giving up
    // a waiter that is still waiting when the holder lets go gets the lock (queue)
    const queued = b.lock(10_000)
    await new Promise(r => setTimeout(r, 300))
    release()
    const release2 = await queued
    release2()
    await new Promise(r => setTimeout(r, 200))
    expect(fs.existsSync(path.join(root, 'leaf-leaf1', 'leaf.lock.holder'))).toBe(false)
  }, 30_000)

  it('leaves with different names have different locks', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fabricctl-lock-'))
    onTestFinished(() => fs.rmSync(root, {recursive: true, force: true}))
    const a = driver(root)
    const other = new (FrrLeafDriver as unknown as new (ssh: unknown, o: unknown) => FrrLeafDriver)(localShell(), {
      leaf: {name: 'leaf2', address: '127.0.0.1', port: 22, vtep: '10.0.0.12'},
      hostPorts: [],
      catalog: new Map(),
      vniBase: 10_000,
      runRoot: root,
    })
    const r1 = await a.lock(1000)
    const r2 = await other.lock(1000)
    r1()
    r2()
  }, 30_000)
})
