// Issue 8: `port diagnose` of one port and `--all` on the seed fabric's largest AZ (az1, ~20,600 ports).
// Peers: bare CLI start beside one port; `port states` (one GROUP BY over the same ports) beside --all.
import path from 'node:path'

export const name = 'diagnose'

const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

export async function run(ctx) {
  const topo = ctx.cli(['topology', 'show', '--json'])
  if (topo.status !== 0 || JSON.parse(topo.stdout).fabric?.profile !== 'seed') {
    const r = ctx.cli(['sim', 'init', '--profile', 'seed', '--force', '--json'])
    if (r.status !== 0) throw new Error(`sim init failed: ${r.stderr}`)
  }
  // The worst case for one port: a port on the densest host (520 devices on its br-int).
  const byHost = JSON.parse(ctx.cli(['port', 'states', '--by', 'host', '--json']).stdout)
  const dense = byHost.groups.filter(g => g.key !== '(unbound)').sort((a, b) => b.total - a.total)[0]
  const portName = await firstPortOn(ctx, dense.key)

  const one = []
  for (let i = 0; i < 5; i++) {
    const r = ctx.cli(['port', 'diagnose', portName, '--json'])
    if (r.status !== 0) throw new Error(`diagnose ${portName} exited ${r.status}: ${r.stderr.slice(0, 300)}`)
    one.push(r.ms)
  }
  const all = []
  const inProc = []
  let total = 0
  for (let i = 0; i < 3; i++) {
    const r = ctx.cli(['port', 'diagnose', '--all', '--az', 'az1', '--json'])
    if (r.status !== 0) throw new Error(`diagnose --all exited ${r.status}: ${r.stderr.slice(0, 300)}`)
    const rep = JSON.parse(r.stdout)
    all.push(r.ms)
    inProc.push(rep.elapsedMs)
    total = rep.total
  }
  const states = []
  for (let i = 0; i < 3; i++) states.push(ctx.cli(['port', 'states', '--by', 'host', '--json']).ms)
  const version = ctx.medianMs(process.execPath, [(await import('./lib.mjs')).BIN, '--version'], 5)
  return [
    {
      group: 'diagnose',
      metric: `port diagnose ONE (on ${dense.key}, ${dense.total} ports; median of 5)`,
      value: median(one),
      unit: 'ms',
      peer: {name: 'fabricctl --version', value: version},
    },
    {
      group: 'diagnose',
      metric: `port diagnose --all --az az1 (${total} ports; median of 3)`,
      value: median(all),
      unit: 'ms',
      peer: {name: 'port states --by host', value: median(states)},
    },
    {
      group: 'diagnose',
      metric: '--all az1: gather + diagnose, in-process (median of 3)',
      value: median(inProc),
      unit: 'ms',
      note: `${((median(inProc) * 1000) / total).toFixed(0)} µs per port`,
    },
  ]
}

/** A port name on a host, read from the bench's own (private) sim store. */
async function firstPortOn(ctx, host) {
  const {default: Database} = await import('better-sqlite3')
  const db = new Database(path.join(ctx.home, 'sim.db'), {readonly: true, fileMustExist: true})
  try {
    return db.prepare('SELECT name FROM ports WHERE host = ? ORDER BY name LIMIT 1').get(host).name
  } finally {
    db.close()
  }
}
