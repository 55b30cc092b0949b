// Issue 7: trace latency on the `seed` fabric — p50/p99 over 1,000 random same-AZ pairs in one
// process (evidence from the store + the pure path computation), and the whole `fabricctl trace`
// command (sim; and live against the lab when it is up, beside the one tool it stitches together).
import fs from 'node:fs'
import path from 'node:path'
import {spawnSync} from 'node:child_process'

import {BIN, ROOT, percentile} from './lib.mjs'

export const name = 'trace'

/** mulberry32: the same 1,000 pairs on every run. */
function prng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export async function run(ctx) {
  const topo = ctx.cli(['topology', 'show', '--json'])
  const profile = topo.status === 0 ? JSON.parse(topo.stdout).fabric.profile : null
  if (profile !== 'seed') {
    const r = ctx.cli(['sim', 'init', '--profile', 'seed', '--force', '--json'])
    if (r.status !== 0) throw new Error(`sim init failed: ${r.stderr}`)
  }
  const dist = p => path.join(ROOT, 'dist', 'lib', p)
  const {openDb} = await import(dist('store/db.js'))
  const {FabricStore} = await import(dist('store/fabric-store.js'))
  const {simEvidence} = await import(dist('trace/sim.js'))
  const {computeTrace} = await import(dist('trace/compute.js'))
  const store = new FabricStore(await openDb(path.join(ctx.home, 'sim.db')))
  const rows = []
  const pairs = []
  try {
    const ports = store
      .sql(
        'SELECT p.name AS name, n.az AS az FROM ports p JOIN networks n ON n.name = p.network WHERE p.host IS NOT NULL ORDER BY p.name',
      )
      .all()
    const byAz = new Map()
    for (const p of ports) (byAz.get(p.az) ?? byAz.set(p.az, []).get(p.az)).push(p.name)
    const rnd = prng(7)
    const pick = list => list[Math.floor(rnd() * list.length)]
    for (let i = 0; i < 1000; i++) {
      const a = pick(ports)
      let b = pick(byAz.get(a.az))
      if (b === a.name) b = pick(byAz.get(a.az))
      pairs.push([a.name, b, {proto: 'tcp', sport: 1024 + Math.floor(rnd() * 60_000), dport: 443}])
    }
    // Warm-up (statement cache, JIT), then time each trace.
    for (const [a, b, f] of pairs.slice(0, 50)) computeTrace(simEvidence(store, 'sim', a, b), f)
    const times = []
    const outcome = {delivered: 0, dropped: 0}
    let hops = 0
    const t0 = process.hrtime.bigint()
    for (const [a, b, f] of pairs) {
      const s = process.hrtime.bigint()
      const t = computeTrace(simEvidence(store, 'sim', a, b), f)
      times.push(Number(process.hrtime.bigint() - s) / 1e6)
      outcome[t.disposition.result]++
      hops += t.summary.totalHops
    }
    const total = Number(process.hrtime.bigint() - t0) / 1e6
    const note = `${ports.length} ports; ${outcome.delivered} delivered, ${outcome.dropped} dropped (other tenants); ${(hops / pairs.length).toFixed(1)} hops avg`
    rows.push(
      {
        group: 'in process (seed)',
        metric: 'trace p50 over 1000 random pairs',
        value: percentile(times, 50),
        unit: 'ms',
        note,
      },
      {
        group: 'in process (seed)',
        metric: 'trace p99 over 1000 random pairs',
        value: percentile(times, 99),
        unit: 'ms',
      },
      {group: 'in process (seed)', metric: 'traces per second', value: (pairs.length / total) * 1000, unit: '/s'},
    )
  } finally {
    store.close()
  }

  // The whole command on the seed fabric (median of 10), beside the CLI's own floor (--version).
  const [a, b] = pairs[0]
  const cmd = []
  for (let i = 0; i < 11; i++) {
    const r = ctx.cli(['trace', a, b, '--json'])
    if (r.status !== 0 && r.status !== 1) throw new Error(`trace failed: ${r.stderr}`)
    if (i > 0) cmd.push(r.ms)
  }
  const version = ctx.medianMs(process.execPath, [BIN, '--version'], 10)
  rows.push({
    group: 'command (seed)',
    metric: 'fabricctl trace --json (median of 10)',
    value: percentile(cmd, 50),
    unit: 'ms',
    peer: {name: 'fabricctl --version', value: version},
  })

  // Live, when the lab is up: the whole command beside one bare `ovs-appctl ofproto/trace` over ssh.
  const lab = path.join(ROOT, 'test', 'lab', 'state')
  const cfg = path.join(lab, 'fabricctl.yaml')
  const sshCfg = path.join(lab, 'run', 'ssh', 'ssh_config')
  if (fs.existsSync(cfg) && fs.existsSync(sshCfg)) {
    const inv = JSON.parse(fs.readFileSync(path.join(lab, 'inventory.json'), 'utf8'))
    const src = inv.instances[0]
    const dst = inv.instances.find(i => i.host !== src.host && i.network === src.network)
    const env = {FABRICCTL_CONFIG: cfg, FABRICCTL_CONTEXT: 'lab'}
    const probe = ctx.cli(['trace', src.name, dst.name, '--json'], {env, timeoutMs: 60_000})
    if (probe.status === 0 || probe.status === 1) {
      const live = []
      for (let i = 0; i < 5; i++)
        live.push(ctx.cli(['trace', src.name, dst.name, '--json'], {env, timeoutMs: 60_000}).ms)
      const peer = []
      for (let i = 0; i < 5; i++) {
        const t0 = process.hrtime.bigint()
        // A fresh connection each time (no multiplexing), like the CLI's own sessions.
        const r = spawnSync(
          'ssh',
          [
            '-F',
            sshCfg,
            '-o',
            'ControlMaster=no',
            '-o',
            'ControlPath=none',
            src.host,
            'ovs-appctl ofproto/trace br-int in_port=2,tcp',
          ],
          {stdio: 'ignore', timeout: 60_000},
        )
        if (r.status === 0) peer.push(Number(process.hrtime.bigint() - t0) / 1e6)
      }
      if (peer.length > 0)
        rows.push({
          group: 'command (live lab)',
          metric: `fabricctl trace ${src.name} ${dst.name} (median of 5)`,
          value: percentile(live, 50),
          unit: 'ms',
          peer: {name: 'ssh host ovs-appctl ofproto/trace', value: percentile(peer, 50)},
          note: 'Neutron + 2 hosts + 2 leaves over SSH',
        })
    }
  }
  return rows
}
