// Issue 4: `audit hosts` on every host of the seed fabric (2,000 hosts), and on the lab's hosts over
// SSH at concurrency 1 and N, with the per-host overhead. Peers: `host list --json` reading the same
// 2,000 hosts (the cost of the CLI and the store without the checks), and plain OpenSSH running one
// command per lab host (the cost of the connections alone).
import fs from 'node:fs'
import path from 'node:path'
import {spawnSync} from 'node:child_process'

import {ROOT} from './lib.mjs'

export const name = 'audit'

const LAB_CONFIG = path.join(ROOT, 'test', 'lab', 'state', 'fabricctl.yaml')
const SSH_CONFIG = path.join(ROOT, 'test', 'lab', 'state', 'run', 'ssh', 'ssh_config')

function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

export async function run(ctx) {
  const rows = []
  const init = ctx.cli(['sim', 'init', '--profile', 'seed', '--force', '--json'])
  if (init.status !== 0) throw new Error(`sim init failed: ${init.stderr}`)
  const audit = []
  const list = []
  let hosts = 0
  for (let i = 0; i < 3; i++) {
    const r = ctx.cli(['audit', 'hosts', '--json'])
    if (![0, 1].includes(r.status)) throw new Error(`audit failed (${r.status}): ${r.stderr.slice(0, 300)}`)
    hosts = JSON.parse(r.stdout).summary.hosts
    audit.push(r.ms)
    list.push(ctx.cli(['host', 'list', '--json']).ms)
  }
  const nd = ctx.cli(['audit', 'hosts', '--output', 'ndjson'])
  const a = median(audit)
  const l = median(list)
  rows.push(
    {
      group: 'sim seed',
      metric: `audit hosts --json, ${hosts} hosts (median of 3)`,
      value: a,
      unit: 'ms',
      peer: {name: 'host list --json', value: l},
    },
    {group: 'sim seed', metric: 'audit hosts --output ndjson', value: nd.ms, unit: 'ms'},
    {group: 'sim seed', metric: 'per host (audit − host list) / hosts', value: (a - l) / hosts, unit: 'ms'},
  )

  const live =
    fs.existsSync(LAB_CONFIG) &&
    process.getuid?.() === 0 &&
    spawnSync(path.join(ROOT, 'test', 'lab', 'status'), ['--quiet'], {timeout: 60_000}).status === 0
  if (!live) {
    rows.push({
      group: 'lab ssh',
      metric: 'skipped',
      value: null,
      unit: '',
      note: 'lab not up (test/lab/up) or not root',
    })
    return rows
  }
  const env = {FABRICCTL_CONFIG: LAB_CONFIG, FABRICCTL_CONTEXT: 'lab'}
  const labHosts = JSON.parse(ctx.cli(['host', 'list', '--json'], {env}).stdout).hosts.map(h => h.name)
  const n = labHosts.length
  const time = conc => {
    const ts = []
    for (let i = 0; i < 3; i++) {
      const r = ctx.cli(['audit', 'hosts', '--json', '--concurrency', String(conc)], {env})
      if (![0, 1].includes(r.status)) throw new Error(`live audit failed (${r.status}): ${r.stderr.slice(0, 300)}`)
      ts.push(r.ms)
    }
    return median(ts)
  }
  const sshSeq = []
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now()
    for (const h of labHosts) spawnSync('ssh', ['-F', SSH_CONFIG, h, 'true'])
    sshSeq.push(performance.now() - t0)
  }
  const c1 = time(1)
  const cn = time(16)
  const peer = median(sshSeq)
  const cold = median([0, 1, 2].map(() => ctx.cli(['--version']).ms))
  rows.push(
    {
      group: 'lab ssh',
      metric: `audit hosts, ${n} hosts, --concurrency 1 (median of 3)`,
      value: c1,
      unit: 'ms',
      peer: {name: `ssh HOST true × ${n}, sequential`, value: peer},
    },
    {
      group: 'lab ssh',
      metric: `audit hosts, ${n} hosts, --concurrency 16 (median of 3)`,
      value: cn,
      unit: 'ms',
      peer: {name: 'concurrency 1', value: c1},
    },
    {
      group: 'lab ssh',
      metric: 'per host at concurrency 1 ((audit − CLI start) / hosts)',
      value: (c1 - cold) / n,
      unit: 'ms',
      peer: {name: 'ssh HOST true', value: peer / n},
    },
  )
  return rows
}
