// Issue 16: the store-bound commands against floor scripts doing the least the same work needs, in the same run.
// - bulk allocate 10,000 on seed vs bench/floor-allocate.mjs (same store, one transaction); 8 x 1,000 vs 8 floors
// - port diagnose --all --az az1 on seed (3 faults: 77-ish broken ports) vs bench/floor-diagnose.mjs; again with
//   5,000 irrelevant fault rows
// - audit hosts --json peak RSS on seed (x5: `npm run bench -- scale`)
// CPU (user + system, /usr/bin/time) is the ratio that survives a loaded machine; wall is shown beside it.
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

import {BIN, percentile, ROOT, timed} from './lib.mjs'

export const name = 'floors'

const FLOOR_ALLOC = path.join(ROOT, 'bench', 'floor-allocate.mjs')
const FLOOR_DIAG = path.join(ROOT, 'bench', 'floor-diagnose.mjs')

function parallel(argvs, env) {
  const t0 = process.hrtime.bigint()
  return Promise.all(
    argvs.map(
      a =>
        new Promise(resolve => {
          const child = spawn('/usr/bin/time', ['-f', '%U %S', process.execPath, ...a], {
            env,
            stdio: ['ignore', 'ignore', 'pipe'],
          })
          let err = ''
          child.stderr.on('data', d => (err += d))
          child.on('close', status => {
            const [u, s] = err.trim().split('\n').pop().split(' ').map(Number)
            resolve({status, cpuMs: (u + s) * 1000, stderr: err})
          })
        }),
    ),
  ).then(rs => ({
    ms: Number(process.hrtime.bigint() - t0) / 1e6,
    cpuMs: rs.reduce((n, r) => n + r.cpuMs, 0),
    failed: rs.filter(r => r.status !== 0),
  }))
}

export async function run(ctx) {
  const rows = []
  const db = path.join(ctx.home, 'sim.db')
  const init = ctx.cli(['sim', 'init', '--profile', 'seed', '--force', '--json'])
  if (init.status !== 0) throw new Error(`sim init failed: ${init.stderr}`)
  const base = path.join(ctx.home, 'seed-base.db')
  const {default: Database} = await import('better-sqlite3')
  {
    const d = new Database(db)
    d.pragma('wal_checkpoint(TRUNCATE)')
    d.close()
  }
  fs.copyFileSync(db, base)
  const reset = () => {
    for (const s of ['-wal', '-shm']) fs.rmSync(db + s, {force: true})
    fs.copyFileSync(base, db)
  }

  // --- bulk allocate -----------------------------------------------------------------------------------
  const cli = [],
    floor = []
  for (let i = 0; i < 3; i++) {
    reset()
    cli.push(
      timed(
        process.execPath,
        [BIN, 'port', 'allocate', '--label', 'prod-env', '--count', '10000', '--name-template', 'bench-{i}', '--json'],
        {env: ctx.env},
      ),
    )
    reset()
    floor.push(timed(process.execPath, [FLOOR_ALLOC, db, 'prod-env', '10000', 'bench-'], {env: ctx.env}))
  }
  if (cli.some(r => r.status !== 0))
    throw new Error(`bulk allocate failed: ${cli.find(r => r.status !== 0).stderr.slice(0, 300)}`)
  const med = (rs, k) =>
    percentile(
      rs.map(r => r[k]),
      50,
    )
  rows.push({
    group: 'allocate',
    metric: 'port allocate --count 10000 on seed, CPU (median of 3)',
    value: med(cli, 'cpuMs'),
    unit: 'ms',
    peer: {name: 'floor-allocate.mjs CPU', value: med(floor, 'cpuMs')},
    note: 'goal 1.3x',
  })
  rows.push({
    group: 'allocate',
    metric: 'port allocate --count 10000 on seed, wall (median of 3)',
    value: med(cli, 'ms'),
    unit: 'ms',
    peer: {name: 'floor-allocate.mjs wall', value: med(floor, 'ms')},
  })
  reset()
  const p8 = await parallel(
    Array.from({length: 8}, (_, k) => [
      BIN,
      'port',
      'allocate',
      '--label',
      'prod-env',
      '--count',
      '1000',
      '--name-template',
      `bench-p${k}-{i}`,
      '--json',
    ]),
    ctx.env,
  )
  if (p8.failed.length) throw new Error(`parallel allocate failed: ${p8.failed[0].stderr.slice(0, 300)}`)
  const dupDb = new Database(db, {readonly: true})
  const dups = dupDb
    .prepare('SELECT count(*) AS n FROM (SELECT 1 FROM ports GROUP BY network, ip_num HAVING count(*) > 1)')
    .get().n
  dupDb.close()
  reset()
  const f8 = await parallel(
    Array.from({length: 8}, (_, k) => [FLOOR_ALLOC, db, 'prod-env', '1000', `bench-p${k}-`]),
    ctx.env,
  )
  rows.push({
    group: 'allocate',
    metric: '8 processes x 1,000 on seed, wall',
    value: p8.ms,
    unit: 'ms',
    peer: {name: '8 floor processes wall', value: f8.ms},
    note: `goal 1.5x; duplicates = ${dups}`,
  })
  rows.push({
    group: 'allocate',
    metric: '8 processes x 1,000 on seed, CPU (sum)',
    value: p8.cpuMs,
    unit: 'ms',
    peer: {name: '8 floor processes CPU', value: f8.cpuMs},
  })

  // --- diagnose --all -------------------------------------------------------------------------------------
  reset()
  const some = new Database(db, {readonly: true})
  const host = some
    .prepare(
      `SELECT host FROM ports p JOIN hosts h ON h.name = p.host WHERE h.az = 'az1' AND h.role = 'container' GROUP BY host ORDER BY count(*) DESC LIMIT 1 OFFSET 5`,
    )
    .pluck()
    .get()
  const [p1, p2] = some
    .prepare(
      `SELECT p.name FROM ports p JOIN hosts h ON h.name = p.host WHERE h.az = 'az1' AND h.role != 'baremetal' AND p.host != ? ORDER BY p.name LIMIT 2`,
    )
    .pluck()
    .all(host)
  some.close()
  for (const args of [
    ['ovs-down', '--target', host],
    ['device-missing', '--target', p1],
    ['controller-missing-port', '--target', p2],
  ]) {
    const r = ctx.cli(['sim', 'fault', 'inject', ...args, '--json'])
    if (r.status !== 0) throw new Error(`fault inject ${args.join(' ')}: ${r.stderr.slice(0, 200)}`)
  }
  const diag = () => {
    const c = [],
      f = []
    let report, fl
    for (let i = 0; i < 3; i++) {
      const r = timed(process.execPath, [BIN, 'port', 'diagnose', '--all', '--az', 'az1', '--json'], {
        env: ctx.env,
        keepStdout: true,
      })
      if (r.status !== 0 && r.status !== 1)
        throw new Error(`diagnose --all exited ${r.status}: ${r.stderr.slice(0, 300)}`)
      report = JSON.parse(r.stdout)
      c.push(r)
      const g = timed(process.execPath, [FLOOR_DIAG, db, 'az1'], {env: ctx.env, keepStdout: true})
      fl = JSON.parse(g.stdout)
      f.push(g)
    }
    return {
      cpu: med(c, 'cpuMs'),
      wall: med(c, 'ms'),
      floorCpu: med(f, 'cpuMs'),
      floorWall: med(f, 'ms'),
      broken: report.notActive + report.unknown,
      total: report.total,
      floorBroken: fl.broken,
    }
  }
  const d0 = diag()
  rows.push({
    group: 'diagnose',
    metric: `port diagnose --all --az az1, CPU (${d0.total} ports, ${d0.broken} not active; median of 3)`,
    value: d0.cpu,
    unit: 'ms',
    peer: {name: 'floor-diagnose.mjs CPU', value: d0.floorCpu},
    note: `goal 2x; floor finds ${d0.floorBroken}; wall ${Math.round(d0.wall)} vs ${Math.round(d0.floorWall)} ms`,
  })
  // 5,000 fault rows that name nothing in the fabric.
  const w = new Database(db)
  const ins = w.prepare(
    `INSERT INTO faults(kind, target, params, created_at) VALUES ('ovs-down', ?, '{}', '2026-01-01T00:00:00Z')`,
  )
  w.transaction(() => {
    for (let i = 0; i < 5000; i++) ins.run(`gone-host-${i}`)
  })()
  w.close()
  const d1 = diag()
  rows.push({
    group: 'diagnose',
    metric: 'the same with 5,000 irrelevant fault rows, CPU',
    value: d1.cpu,
    unit: 'ms',
    peer: {name: 'without them', value: d0.cpu},
    note: `${d1.broken} not active; must not double`,
  })

  // --- audit memory ----------------------------------------------------------------------------------------
  reset()
  const a = timed(process.execPath, [BIN, 'audit', 'hosts', '--json'], {env: ctx.env})
  rows.push({
    group: 'memory',
    metric: 'audit hosts --json on seed (2,000 hosts), peak RSS',
    value: a.rssMiB,
    unit: 'MiB',
    note: 'x5 (10,000 hosts) in `npm run bench -- scale`; goal <= 250 MB there',
  })
  return rows
}
