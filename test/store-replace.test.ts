import fs from 'node:fs'
import path from 'node:path'
import {execa} from 'execa'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {makeHome, ROOT, runCli, type TestHome} from './helpers/cli.js'

interface Line {
  name: string
  ip?: string
  error?: string
  at: number
}

let home: TestHome
beforeEach(() => {
  home = makeHome('fabricctl-replace-')
})
afterEach(() => home.cleanup())

const waitFor = async (cond: () => boolean, ms: number) => {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

describe('sim init --force under open writers', () => {
  it('never loses an allocation that reported success', async () => {
    expect((await runCli(['sim', 'init'], {home})).exitCode).toBe(0)
    const stop = path.join(home.dir, 'stop')
    const workers = [0, 1, 2].map(i => {
      const lines: Line[] = []
      const child = execa(process.execPath, [path.join(ROOT, 'test/helpers/alloc-loop.mjs'), String(i), stop, '400'], {
        env: home.env,
        reject: false,
        cwd: ROOT,
        timeout: 90_000,
      })
      child.stdout!.on('data', (d: Buffer) => {
        for (const l of d.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Line)
      })
      return {child, lines}
    })
    const ok = (w: {lines: Line[]}, after = 0) => w.lines.filter(l => l.ip && l.at > after).length
    await waitFor(() => workers.every(w => ok(w) >= 10), 60_000)
    const init = await runCli(['sim', 'init', '--force', '--json'], {home})
    const initDone = Date.now()
    expect(init.exitCode, init.stderr).toBe(0)
    await waitFor(() => workers.every(w => ok(w, initDone) >= 10 || w.child.exitCode !== null), 60_000)
    fs.writeFileSync(stop, '')
    await Promise.all(workers.map(w => w.child))

    const {default: Database} = await import('better-sqlite3')
    const db = new Database(path.join(home.dir, 'sim.db'), {readonly: true})
    const inStore = new Map(
      (db.prepare("SELECT name, ip FROM ports WHERE name LIKE 'w%-%'").all() as {name: string; ip: string}[]).map(r => [
        r.name,
        r.ip,
      ]),
    )
    const dupIps = db.prepare('SELECT network, ip, count(*) AS n FROM ports GROUP BY network, ip HAVING n > 1').all()
    db.close()

    const all = workers.flatMap(w => w.lines)
    const after = all.filter(l => l.ip && l.at > initDone)
    // Every allocation reported after the re-init finished is in the store, with the IP it reported.
    const lost = after.filter(l => inStore.get(l.name) !== l.ip)
    console.log(
      `allocations: ${all.filter(l => l.ip).length} reported OK (${after.length} after the re-init finished), ${all.filter(l => l.error).length} reported failure; lost: ${lost.length}`,
    )
    expect(after.length).toBeGreaterThanOrEqual(30)
    expect(lost).toEqual([])
    // Whatever is in the store was reported as a success, with that IP; no address is handed out twice.
    for (const [name, ip] of inStore) expect(all.find(l => l.name === name)?.ip).toBe(ip)
    expect(dupIps).toEqual([])
    // No temporary store file was left.
    expect(fs.readdirSync(home.dir).filter(f => /\.new|\.tmp/.test(f))).toEqual([])
  }, 120_000)

  it('removes stale temporary files of dead processes on the next start', async () => {
    expect((await runCli(['sim', 'init'], {home})).exitCode).toBe(0)
    // A pid that is not running: spawn a short-lived process and wait for it to end.
    const dead = (await execa(process.execPath, ['-e', 'console.log(process.pid)'])).stdout.trim()
    for (const f of [
      `sim.db.${dead}.new`,
      `sim.db.${dead}.new-journal`,
      `sim.db.${dead}.new-wal`,
      `config.yaml.${dead}.tmp`,
    ])
      fs.writeFileSync(path.join(home.dir, f), 'x')
    const live = `sim.db.${process.pid}.new`
    fs.writeFileSync(path.join(home.dir, live), 'x')
    expect((await runCli(['sim', 'init', '--force'], {home})).exitCode).toBe(0)
    expect(fs.readdirSync(home.dir).filter(f => /\.(new|tmp)/.test(f))).toEqual([live])
  })
})
