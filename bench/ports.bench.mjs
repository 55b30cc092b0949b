// Issue 5: port allocation throughput. Simulated: one bulk of 10,000 ports, and 8 processes in
// parallel (1,000 each, duplicates counted with SQL). Live (when the lab is up): single vs bulk
// port creation against the lab's Neutron.
import fs from 'node:fs'
import path from 'node:path'
import {spawn, spawnSync} from 'node:child_process'

import {BIN, labNeutronCall, ROOT} from './lib.mjs'

export const name = 'ports'

function runAsync(args, env) {
  return new Promise(resolve => {
    const child = spawn(process.execPath, [BIN, ...args], {env, stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    let err = ''
    child.stdout.on('data', d => (out += d))
    child.stderr.on('data', d => (err += d))
    child.on('close', status => resolve({status, stdout: out, stderr: err}))
  })
}

async function sqlCount(ctx, query) {
  const {default: Database} = await import('better-sqlite3')
  const db = new Database(path.join(ctx.home, 'sim.db'), {readonly: true})
  try {
    return db.prepare(query).get().n
  } finally {
    db.close()
  }
}

export async function run(ctx) {
  const rows = []
  const init = ctx.cli(['sim', 'init', '--profile', 'seed', '--force', '--json'])
  if (init.status !== 0) throw new Error(`sim init failed: ${init.stderr}`)

  // One atomic bulk of 10,000 ports (in-process time of the CLI run, including start-up).
  const bulk = ctx.cli([
    'port',
    'allocate',
    '--label',
    'prod-env',
    '--count',
    '10000',
    '--name-template',
    'bench-bulk-{i}',
    '--json',
  ])
  if (bulk.status !== 0) throw new Error(`bulk allocate failed: ${bulk.stderr || bulk.stdout.slice(0, 300)}`)
  rows.push({
    group: 'sim',
    metric: 'bulk allocate 10,000 ports (one process, one transaction)',
    value: Math.round(10_000 / (bulk.ms / 1000)),
    unit: 'ports/s',
    note: `${Math.round(bulk.ms)} ms wall`,
  })

  // 8 processes, 1,000 ports each, from one label.
  const t0 = process.hrtime.bigint()
  const runs = await Promise.all(
    Array.from({length: 8}, (_, k) =>
      runAsync(
        ['port', 'allocate', '--label', 'prod-env', '--count', '1000', '--name-template', `bench-p${k}-{i}`, '--json'],
        ctx.env,
      ),
    ),
  )
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  const failed = runs.filter(r => r.status !== 0)
  if (failed.length) throw new Error(`parallel allocate failed: ${failed[0].stderr.slice(0, 300)}`)
  const dups = await sqlCount(
    ctx,
    'SELECT count(*) AS n FROM (SELECT 1 FROM ports GROUP BY network, ip_num HAVING count(*) > 1)',
  )
  const made = await sqlCount(ctx, `SELECT count(*) AS n FROM ports WHERE name LIKE 'bench-p%'`)
  rows.push({
    group: 'sim',
    metric: '8 processes x 1,000 ports, one label',
    value: Math.round(8000 / (ms / 1000)),
    unit: 'ports/s',
    peer: {name: 'one-process bulk', value: Math.round(10_000 / (bulk.ms / 1000))},
    note: `${Math.round(ms)} ms wall, ${made} stored, duplicates = ${dups}`,
  })

  // Single-port allocations, one CLI process each (what a CNI does per pod).
  const singles = []
  for (let i = 0; i < 10; i++) {
    const r = ctx.cli(['port', 'allocate', '--label', 'prod-env', '--name', `bench-single-${i}`, '--json'])
    if (r.status !== 0) throw new Error(`single allocate failed: ${r.stderr}`)
    singles.push(r.ms)
  }
  singles.sort((a, b) => a - b)
  rows.push({
    group: 'sim',
    metric: 'single allocate, one CLI process per port (median of 10)',
    value: Math.round(singles[5]),
    unit: 'ms',
  })
  const list = ctx.cli(['port', 'list', '--limit', '1000', '--after', 'bench-p7-5000', '--json'])
  rows.push({
    group: 'sim',
    metric: `port list page of 1,000 at ${await sqlCount(ctx, 'SELECT count(*) AS n FROM ports')} ports (CLI wall)`,
    value: Math.round(list.ms),
    unit: 'ms',
  })

  rows.push(...(await live()))
  return rows
}

/** Against the lab's Neutron, when it is up: create N ports one POST each vs one bulk POST. */
async function live() {
  const config = path.join(ROOT, 'test', 'lab', 'state', 'fabricctl.yaml')
  const inv = path.join(ROOT, 'test', 'lab', 'state', 'inventory.json')
  if (!fs.existsSync(config) || !fs.existsSync(inv))
    return [
      {
        group: 'live',
        metric: 'Neutron single vs bulk',
        value: null,
        unit: '',
        note: 'skipped: the lab is not up (test/lab/up)',
      },
    ]
  const lab = JSON.parse(fs.readFileSync(inv, 'utf8'))
  const call = labNeutronCall(lab, 120_000)
  try {
    await call('GET', '/v2.0/networks?limit=1')
  } catch (error) {
    return [
      {
        group: 'live',
        metric: 'Neutron single vs bulk',
        value: null,
        unit: '',
        note: `skipped: Neutron not answering (${error.message.slice(0, 80)})`,
      },
    ]
  }
  const env = {...process.env, FABRICCTL_CONFIG: config, FABRICCTL_CONTEXT: 'lab', NO_COLOR: '1'}
  const tag = `bench-${Date.now().toString(36)}`
  const {network} = await call('POST', '/v2.0/networks', {
    network: {
      name: `${tag}-net`,
      project_id: lab.neutron.projectId,
      'provider:network_type': 'vlan',
      'provider:physical_network': lab.networks[0].physnet,
      'provider:segmentation_id': 3950,
    },
  })
  try {
    await call('POST', '/v2.0/subnets', {
      subnet: {
        network_id: network.id,
        project_id: lab.neutron.projectId,
        ip_version: 4,
        cidr: '198.51.120.0/24',
        gateway_ip: '198.51.120.1',
        enable_dhcp: false,
      },
    })
    await call('PUT', `/v2.0/networks/${network.id}/tags/${tag}`)
    const n = 20
    const cli = args => spawnSync(process.execPath, [BIN, ...args], {env, encoding: 'utf8', timeout: 600_000})
    let t = process.hrtime.bigint()
    for (let i = 0; i < n; i++) {
      const r = cli(['port', 'allocate', '--label', tag, '--name', `${tag}-s${i}`, '--json'])
      if (r.status !== 0) throw new Error(`live single failed: ${r.stdout.slice(0, 200)}`)
    }
    const singleMs = Number(process.hrtime.bigint() - t) / 1e6
    t = process.hrtime.bigint()
    const b = cli([
      'port',
      'allocate',
      '--label',
      tag,
      '--count',
      String(n),
      '--name-template',
      `${tag}-b{i}`,
      '--json',
    ])
    if (b.status !== 0) throw new Error(`live bulk failed: ${b.stdout.slice(0, 200)}`)
    const bulkMs = Number(process.hrtime.bigint() - t) / 1e6
    const single = +(n / (singleMs / 1000)).toFixed(2)
    const bulk = +(n / (bulkMs / 1000)).toFixed(2)
    return [
      {group: 'live', metric: `Neutron: ${n} ports, one fabricctl allocate each`, value: single, unit: 'ports/s'},
      {
        group: 'live',
        metric: `Neutron: ${n} ports, one bulk allocate (--count ${n})`,
        value: bulk,
        unit: 'ports/s',
        peer: {name: 'single', value: single},
      },
    ]
  } finally {
    const {ports} = await call('GET', `/v2.0/ports?network_id=${network.id}`)
    for (const p of ports) await call('DELETE', `/v2.0/ports/${p.id}`).catch(() => {})
    await call('DELETE', `/v2.0/networks/${network.id}`).catch(() => {})
  }
}
