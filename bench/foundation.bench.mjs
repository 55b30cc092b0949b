// Issue 2: cold start of the CLI against a bare node process, and generating the seed fabric.
export const name = 'foundation'

export async function run(ctx) {
  const runs = 15
  const node = ctx.medianMs(process.execPath, ['-e', '0'], runs)
  const version = ctx.medianMs(process.execPath, [(await import('./lib.mjs')).BIN, '--version'], runs)
  const help = ctx.medianMs(process.execPath, [(await import('./lib.mjs')).BIN, '--help'], runs)
  const init = []
  for (let i = 0; i < 3; i++) {
    const r = ctx.cli(['sim', 'init', '--profile', 'seed', '--force', '--json'])
    if (r.status !== 0) throw new Error(`sim init failed: ${r.stderr}`)
    init.push(r.ms)
  }
  init.sort((a, b) => a - b)
  const topo = ctx.cli(['topology', 'show', '--json'])
  return [
    {
      group: 'cold start',
      metric: 'fabricctl --version (median of 15)',
      value: version,
      unit: 'ms',
      peer: {name: 'node -e 0', value: node},
    },
    {
      group: 'cold start',
      metric: 'fabricctl --help (median of 15)',
      value: help,
      unit: 'ms',
      peer: {name: 'node -e 0', value: node},
    },
    {group: 'sim', metric: 'sim init --profile seed (median of 3)', value: init[1], unit: 'ms', note: 'limit 10000 ms'},
    {group: 'sim', metric: 'topology show --json on seed', value: topo.ms, unit: 'ms'},
  ]
}
