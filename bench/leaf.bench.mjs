// Issue 6: leaf diff/push over the seed fabric (leaves/s), and one push to a lab FRR leaf end to end.
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

import {ROOT} from './lib.mjs'

export const name = 'leaf'

const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

async function wipeRunning(home) {
  const {default: Database} = await import('better-sqlite3')
  const db = new Database(path.join(home, 'sim.db'))
  db.prepare(`UPDATE leaf_configs SET running = '{"vnis":{},"vrfs":{},"interfaces":{}}'`).run()
  db.close()
}

export async function run(ctx) {
  const rows = []
  const init = ctx.cli(['sim', 'init', '--profile', 'seed', '--force', '--json'])
  if (init.status !== 0) throw new Error(`sim init failed: ${init.stderr}`)
  const leaves = JSON.parse(ctx.cli(['leaf', 'list', '--json']).stdout).leaves.length
  const time = (args, expect = [0]) => {
    const r = ctx.cli(args)
    if (!expect.includes(r.status)) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 300)}`)
    return r
  }
  const diff = [1, 2, 3].map(() => time(['leaf', 'diff', '--all', '--json']).ms)
  rows.push({
    group: 'sim seed',
    metric: `leaf diff --all (${leaves} leaves, in sync, median of 3)`,
    value: +(leaves / (median(diff) / 1000)).toFixed(1),
    unit: 'leaves/s',
    note: `${Math.round(median(diff))} ms`,
  })
  const same = [1, 2, 3].map(() => time(['leaf', 'push', '--all', '--json']).ms)
  rows.push({
    group: 'sim seed',
    metric: `leaf push --all, nothing to change (median of 3)`,
    value: +(leaves / (median(same) / 1000)).toFixed(1),
    unit: 'leaves/s',
    note: `${Math.round(median(same))} ms`,
  })
  const full = []
  let changes = 0
  for (let i = 0; i < 3; i++) {
    await wipeRunning(ctx.home)
    const r = time(['leaf', 'push', '--all', '--json'])
    changes = JSON.parse(r.stdout).totals.changes
    full.push(r.ms)
  }
  rows.push({
    group: 'sim seed',
    metric: `leaf push --all, every leaf rebuilt (${changes} changes, median of 3)`,
    value: +(leaves / (median(full) / 1000)).toFixed(1),
    unit: 'leaves/s',
    note: `${Math.round(median(full))} ms`,
  })
  rows.push(...(await labPush(ctx)))
  return rows
}

/** One push to a lab leaf end to end (Neutron read, SSH, vtysh --dryrun, frr-reload --test/--reload, verify), then undone. */
async function labPush(ctx) {
  const state = path.join(ROOT, 'test', 'lab', 'state')
  const cfgFile = path.join(state, 'fabricctl.yaml')
  const invFile = path.join(state, 'inventory.json')
  const skip = note => [{group: 'lab', metric: 'leaf push lab-leaf1 end to end', value: null, unit: 'ms', note}]
  if (process.getuid?.() !== 0 || !fs.existsSync(cfgFile) || !fs.existsSync(invFile))
    return skip('lab not up (test/lab/up)')
  if (spawnSync(path.join(ROOT, 'test', 'lab', 'status'), ['--quiet'], {timeout: 60_000}).status !== 0)
    return skip('lab not healthy')
  const inv = JSON.parse(fs.readFileSync(invFile, 'utf8'))
  const {loadConfig} = await import(path.join(ROOT, 'dist', 'lib', 'context', 'config.js'))
  const lab = (await loadConfig(cfgFile)).contexts.find(c => c.name === 'lab')
  const leaf = inv.leaves[0].name
  const ns = inv.nodes.find(n => n.name === leaf).ns
  const net = inv.networks.find(n => n.name === 'lab-net3') ?? inv.networks.at(-1)
  const ctxCfg = {
    ...lab,
    overlay: {...lab.overlay, anycastMac: inv.networks[0].anycastMac, vniBase: net.vni - net.vlan},
    inventory: {
      ...lab.inventory,
      hosts: [
        ...lab.inventory.hosts,
        {
          name: 'lab-bench-h',
          az: inv.azs[0].name,
          address: '198.18.0.251',
          port: 22,
          role: 'container',
          plugging: 'direct',
          nics: [{name: 'eth0', leaf, interface: 'swp7', speedMbps: 10000}],
        },
      ],
    },
  }
  const cfgPath = path.join(ctx.home, 'lab-config.yaml')
  fs.writeFileSync(
    cfgPath,
    JSON.stringify({apiVersion: 'fabricctl/v1', kind: 'Config', 'current-context': 'lab', contexts: [ctxCfg]}),
  )
  const env = {FABRICCTL_CONFIG: cfgPath, FABRICCTL_CONTEXT: 'lab'}
  const ssh = cmd => spawnSync('ssh', ['-F', inv.sshConfigFile, leaf, cmd], {encoding: 'utf8', timeout: 30_000})
  const origFile = ssh('cat /etc/frr/frr.conf').stdout
  const hadSav = ssh('test -e /etc/frr/frr.conf.sav').status === 0
  const headers = {'content-type': 'application/json', 'x-project-id': inv.neutron.projectId}
  let portId
  spawnSync('ip', ['-n', ns, 'link', 'add', 'swp7', 'type', 'veth', 'peer', 'name', 'swp7p'])
  try {
    if (ctx.cli(['leaf', 'diff', leaf], {env}).status !== 0)
      return skip('lab leaf not in sync with Neutron (another test is using it)')
    const res = await fetch(`${inv.neutron.url}/v2.0/ports`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        port: {
          name: 'fabricctl-leaf-bench',
          network_id: net.id,
          project_id: inv.neutron.projectId,
          'binding:host_id': 'lab-bench-h',
        },
      }),
    })
    portId = (await res.json()).port.id
    const push = ctx.cli(['leaf', 'push', leaf, '--json'], {env})
    const doc = JSON.parse(push.stdout)
    const undo = ctx.cli(['leaf', 'rollback', leaf, '--to', 'previous', '--json'], {env})
    const same = ctx.cli(['leaf', 'diff', leaf], {env})
    return [
      {
        group: 'lab',
        metric: `leaf push ${leaf} end to end (${doc.totals.changes} changes: bridge, vxlan, port, EVPN VNI; verified)`,
        value: Math.round(push.ms),
        unit: 'ms',
        note: doc.leaves[0].status,
      },
      {
        group: 'lab',
        metric: `leaf rollback ${leaf} --to previous`,
        value: Math.round(undo.ms),
        unit: 'ms',
        note: JSON.parse(undo.stdout).status,
      },
      {group: 'lab', metric: `leaf diff ${leaf} (one SSH read)`, value: Math.round(same.ms), unit: 'ms'},
    ]
  } finally {
    if (portId)
      await fetch(`${inv.neutron.url}/v2.0/ports/${portId}`, {method: 'DELETE', headers}).catch(() => undefined)
    ctx.cli(['leaf', 'push', leaf], {env})
    ssh(
      `printf %s '${Buffer.from(origFile).toString('base64')}' | base64 -d >/etc/frr/frr.conf${hadSav ? '' : '; rm -f /etc/frr/frr.conf.sav'}`,
    )
    spawnSync('ip', ['-n', ns, 'link', 'del', 'swp7'])
  }
}
