#!/usr/bin/env node
// Start-up of a few commands, unbundled (dist/) vs bundled, and optionally a second tree's bundle (e.g. this
// branch merged with another): paired ratios to `node -e 0` (bench/lib.mjs pairedRatio).
// usage: node bench/startup-compare.mjs [OTHER_TREE_ROOT]   (uses a private small fabric)
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {spawnSync} from 'node:child_process'

import {BIN, pairedRatio} from './lib.mjs'

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'fabricctl-startup-'))
const env = {...process.env, FABRICCTL_HOME: home, FABRICCTL_CONFIG: path.join(home, 'config.yaml'), NO_COLOR: '1'}
delete env.FABRICCTL_CONTEXT
spawnSync(process.execPath, [BIN, 'sim', 'init', '--profile', 'small', '--force'], {env, stdio: 'ignore'})
const trees = [
  ['dist', BIN, '1'],
  ['bundle', BIN, '0'],
]
if (process.argv[2])
  trees.push([`bundle of ${process.argv[2]}`, path.join(path.resolve(process.argv[2]), 'bin', 'run.js'), '0'])
const cmds = [
  ['--version'],
  ['--help'],
  ['host', 'list', '--json'],
  ['port', 'list', '--json'],
  ['context', 'list', '--json'],
  ['trace', 'booking-az1-000002', 'booking-az1-000012', '--json'],
]
try {
  for (const a of cmds)
    for (const [label, bin, nb] of trees) {
      const r = pairedRatio(env, [bin, ...a], Number(process.env.ROUNDS ?? 5), {extraEnv: {FABRICCTL_NO_BUNDLE: nb}})
      console.log(
        `${a.join(' ').padEnd(28)} ${label.padEnd(26)} wall ${r.ms.toFixed(0)}/${r.anchorMs.toFixed(0)} = ${r.ratio.toFixed(2)}x  CPU ${r.cpuMs.toFixed(0)}/${r.anchorCpuMs.toFixed(0)} = ${r.cpuRatio.toFixed(2)}x  exit ${r.status}`,
      )
    }
} finally {
  fs.rmSync(home, {recursive: true, force: true})
}
