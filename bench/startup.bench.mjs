// Issue 16: start-up of every command on the small fabric, as a ratio to `node -e 0` measured in the same
// rounds (median of paired runs: anchor, command, anchor, command, …). Wall and CPU ratios both; on a loaded
// machine the CPU ratio is the steadier. Mutating commands run with --dry-run (sim init and context use excepted,
// which really run: they are cheap on the small profile). Goals: every command <= 2.0x, --version <= 1.6x.
import fs from 'node:fs'
import path from 'node:path'

import {BIN, pairedRatio} from './lib.mjs'

export const name = 'startup'

const ROUNDS = Number(process.env.BENCH_STARTUP_ROUNDS ?? 5)

/** One representative invocation per command on the small profile (seed 1). */
export const COMMANDS = [
  ['--version'],
  ['--help'],
  ['host', 'list', '--json'],
  ['host', 'show', 'az1-h01', '--json'],
  ['audit', 'hosts', '--json'],
  ['context', 'list', '--json'],
  ['context', 'show', '--json'],
  ['context', 'use', 'sim', '--json'],
  ['ipam', 'check', '--json'],
  ['ipam', 'usage', '--json'],
  ['leaf', 'config', 'az1-leaf01a', '--json'],
  ['leaf', 'diff', '--all', '--json'],
  ['leaf', 'list', '--json'],
  ['leaf', 'push', '--all', '--dry-run', '--json'],
  ['leaf', 'rollback', 'az1-leaf01a', '--dry-run', '--json'],
  ['leaf', 'show', 'az1-leaf01a', '--json'],
  ['leaf', 'verify', '--all', '--json'],
  ['network', 'label', 'add', 'prod-a', 'bench-label', '--dry-run', '--json'],
  ['network', 'label', 'remove', 'prod-a', 'prod-env', '--dry-run', '--json'],
  ['network', 'list', '--json'],
  ['network', 'show', 'prod-a', '--json'],
  ['port', 'allocate', '--label', 'prod-env', '--dry-run', '--json'],
  ['port', 'bind', 'booking-az1-000002', '--host', 'az1-h01', '--dry-run', '--json'],
  ['port', 'diagnose', 'booking-az1-000002', '--json'],
  ['port', 'diagnose', '--all', '--json'],
  ['port', 'list', '--json'],
  ['port', 'migrate', 'booking-az1-000002', '--to-host', 'az1-h02', '--dry-run', '--json'],
  ['port', 'release', 'booking-az1-000002', '--dry-run', '--json'],
  ['port', 'show', 'booking-az1-000002', '--json'],
  ['port', 'states', '--json'],
  ['sim', 'fault', 'list', '--json'],
  ['sim', 'fault', 'inject', 'nic-down', '--target', 'az1-h09', '--json'],
  ['sim', 'fault', 'clear', '--all', '--json'],
  ['sim', 'init', '--profile', 'small', '--force', '--json'],
  ['topology', 'show', '--json'],
  ['trace', 'booking-az1-000002', 'booking-az1-000012', '--json'],
]

export async function run(ctx) {
  const home = path.join(ctx.home, 'startup-small')
  fs.mkdirSync(home, {recursive: true})
  const env = {...ctx.env, FABRICCTL_HOME: home, FABRICCTL_CONFIG: path.join(home, 'config.yaml')}
  const init = ctx.cli(['sim', 'init', '--profile', 'small', '--force', '--json'], {env})
  if (init.status !== 0) throw new Error(`sim init failed: ${init.stderr}`)
  const only = process.env.BENCH_STARTUP_ONLY
  const rows = []
  const bundled = fs.existsSync(path.join(path.dirname(BIN), '..', 'bundle', 'main.cjs'))
  for (const args of COMMANDS) {
    if (only && !args.join(' ').includes(only)) continue
    const r = pairedRatio(env, [BIN, ...args], ROUNDS)
    const ok = r.status === 0 || r.status === 1
    const goal = args[0] === '--version' ? 1.6 : 2.0
    rows.push({
      group: bundled ? 'start-up (bundle)' : 'start-up (dist)',
      metric: `fabricctl ${args.join(' ')}`,
      value: r.ms,
      unit: 'ms',
      peer: {name: 'node -e 0', value: r.anchorMs},
      note: `CPU ${Math.round(r.cpuMs)}/${Math.round(r.anchorCpuMs)} ms = ${r.cpuRatio.toFixed(2)}x; goal ${goal}x${ok ? '' : `; exit ${r.status}: ${r.stderr.trim().split('\n')[0]?.slice(0, 80)}`}`,
    })
  }
  return rows
}
