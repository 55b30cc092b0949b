// Issue 16, goal 6: live overhead of one `port allocate` against the lab's Neutron (test/lab; runs only when
// test/lab/state/inventory.json exists and Neutron answers, else one row "skipped: lab not up").
// 1. fabricctl's single allocate runs once through a recording loopback proxy: that gives the exact Neutron
//    calls it makes (method, path, body).
// 2. Timed, alternating: fabricctl `port allocate --label TAG --name N` (direct, no proxy) and the same calls
//    replayed with curl, one curl process per call, in order (a fresh port name each time; a fixed address in
//    a create body is dropped so Neutron picks one, as fabricctl's own create lets it).
// 3. Peer row: `openstack port create` (Debian's python3-openstackclient, auth type none) on the same network.
// Goal: fabricctl within 1.3x the curl replay.
import {spawn, spawnSync} from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'

import {BIN, labNeutronCall, percentile, ROOT} from './lib.mjs'

export const name = 'live'

const ROUNDS = Number(process.env.BENCH_LIVE_ROUNDS ?? 5)

export async function run() {
  const stateDir = path.join(ROOT, 'test', 'lab', 'state')
  const inv = path.join(stateDir, 'inventory.json')
  const config = path.join(stateDir, 'fabricctl.yaml')
  const skipped = note => [{group: 'live', metric: 'port allocate vs curl vs openstack', value: null, unit: '', note}]
  if (!fs.existsSync(inv) || !fs.existsSync(config))
    return skipped('skipped: lab not up (no test/lab/state/inventory.json; test/lab/up)')
  const lab = JSON.parse(fs.readFileSync(inv, 'utf8'))
  const url = lab.neutron.url.replace(/\/$/, '')
  const project = lab.neutron.projectId
  const call = labNeutronCall(lab, 60_000)
  try {
    await call('GET', '/v2.0/networks?limit=1')
  } catch (error) {
    return skipped(`skipped: lab not up (Neutron not answering: ${String(error.message).slice(0, 80)})`)
  }

  const tag = `bench-live-${Date.now().toString(36)}`
  const {network} = await call('POST', '/v2.0/networks', {
    network: {
      name: `${tag}-net`,
      project_id: project,
      'provider:network_type': 'vlan',
      'provider:physical_network': lab.networks[0].physnet,
      'provider:segmentation_id': 3951,
    },
  })
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fabricctl-live-bench-'))
  const proxy = await recordingProxy(url)
  try {
    await call('POST', '/v2.0/subnets', {
      subnet: {
        network_id: network.id,
        project_id: project,
        ip_version: 4,
        cidr: '198.51.121.0/24',
        gateway_ip: '198.51.121.1',
        enable_dhcp: false,
      },
    })
    await call('PUT', `/v2.0/networks/${network.id}/tags/${tag}`)
    const env = {...process.env, FABRICCTL_CONFIG: config, FABRICCTL_CONTEXT: 'lab', NO_COLOR: '1'}
    const cli = (args, e = env) => {
      const t0 = process.hrtime.bigint()
      const r = spawnSync(process.execPath, [BIN, ...args], {env: e, encoding: 'utf8', timeout: 300_000})
      if (r.status !== 0)
        throw new Error(`fabricctl ${args.join(' ')} exited ${r.status}: ${(r.stdout || r.stderr).slice(0, 200)}`)
      return Number(process.hrtime.bigint() - t0) / 1e6
    }
    // 1. Record fabricctl's calls through the proxy (a copy of the context file pointing at it).
    const proxied = path.join(tmp, 'fabricctl.yaml')
    fs.writeFileSync(proxied, fs.readFileSync(config, 'utf8').replaceAll(url, proxy.url))
    // Asynchronously: the proxy answers from this process's event loop, which a spawnSync would block.
    await cliAsync(['port', 'allocate', '--label', tag, '--name', `${tag}-rec`, '--json'], {
      ...env,
      FABRICCTL_CONFIG: proxied,
    })
    const calls = proxy.calls.splice(0)
    if (calls.length === 0) throw new Error('the recording proxy saw no Neutron call')

    // 2. fabricctl direct vs the curl replay, alternating.
    const replay = i => {
      const t0 = process.hrtime.bigint()
      for (const c of calls) {
        let body = c.body
        if (body && c.method === 'POST' && c.path.startsWith('/v2.0/ports')) body = renamePorts(body, `${tag}-curl${i}`)
        else if (body) body = body.replaceAll(`${tag}-rec`, `${tag}-curl${i}`)
        const p = c.path.replaceAll(encodeURIComponent(`${tag}-rec`), encodeURIComponent(`${tag}-curl${i}`))
        const args = [
          '-sS',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code}',
          '-X',
          c.method,
          '-H',
          'Content-Type: application/json',
          '-H',
          `X-Project-Id: ${project}`,
          ...(body ? ['--data-binary', body] : []),
          `${url}${p}`,
        ]
        const r = spawnSync('curl', args, {encoding: 'utf8', timeout: 120_000})
        if (r.status !== 0 || !/^2/.test(r.stdout))
          throw new Error(`curl ${c.method} ${p}: ${r.stdout} ${r.stderr.slice(0, 120)}`)
      }
      return Number(process.hrtime.bigint() - t0) / 1e6
    }
    const fab = [],
      curl = [],
      osc = []
    const openstack = fs.existsSync('/usr/bin/openstack')
    for (let i = 0; i < ROUNDS; i++) {
      fab.push(cli(['port', 'allocate', '--label', tag, '--name', `${tag}-f${i}`, '--json']))
      curl.push(replay(i))
      if (openstack) {
        const t0 = process.hrtime.bigint()
        const r = spawnSync(
          'openstack',
          [
            '--os-auth-type',
            'none',
            '--os-endpoint',
            url,
            // No --os-project-id: the auth-type-none plugin refuses it; the lab's noauth Neutron puts the port in
            // its default project, the one the bench's network belongs to.
            'port',
            'create',
            '--network',
            network.id,
            `${tag}-os${i}`,
            '-f',
            'json',
          ],
          {encoding: 'utf8', timeout: 300_000},
        )
        if (r.status !== 0) throw new Error(`openstack port create exited ${r.status}: ${r.stderr.slice(0, 200)}`)
        osc.push(Number(process.hrtime.bigint() - t0) / 1e6)
      }
    }
    const med = xs => percentile(xs, 50)
    const rows = [
      {
        group: 'live',
        metric: `fabricctl port allocate --label (one port; median of ${ROUNDS})`,
        value: med(fab),
        unit: 'ms',
        peer: {name: `curl replay of its ${calls.length} Neutron calls`, value: med(curl)},
        note: `goal 1.3x; calls: ${calls.map(c => `${c.method} ${c.path.split('?')[0]}`).join(', ')}`.slice(0, 240),
      },
    ]
    rows.push(
      openstack
        ? {
            group: 'live',
            metric: `openstack port create (python3-openstackclient; median of ${ROUNDS})`,
            value: med(osc),
            unit: 'ms',
            peer: {name: 'fabricctl port allocate', value: med(fab)},
          }
        : {
            group: 'live',
            metric: 'openstack port create',
            value: null,
            unit: '',
            note: 'skipped: python3-openstackclient not installed (apt-get install python3-openstackclient)',
          },
    )
    return rows
  } finally {
    proxy.close()
    fs.rmSync(tmp, {recursive: true, force: true})
    const {ports} = await call('GET', `/v2.0/ports?network_id=${network.id}`).catch(() => ({ports: []}))
    for (const p of ports) await call('DELETE', `/v2.0/ports/${p.id}`).catch(() => {})
    await call('DELETE', `/v2.0/networks/${network.id}`).catch(() => {})
  }
}

/** Run fabricctl without blocking this process (the recording proxy lives in it); rejects on a non-zero exit. */
function cliAsync(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {env, stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    child.stdout.on('data', d => (out += d))
    child.stderr.on('data', d => (out += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000)
    child.on('error', reject)
    child.on('close', code => {
      clearTimeout(timer)
      if (code === 0) resolve()
      else reject(new Error(`fabricctl ${args.join(' ')} exited ${code}: ${out.slice(0, 200)}`))
    })
  })
}

/** A create body with a fresh name, and without a fixed address (Neutron picks one). */
function renamePorts(text, name) {
  const doc = JSON.parse(text)
  const fix = p => {
    p.name = name
    if (Array.isArray(p.fixed_ips))
      p.fixed_ips = p.fixed_ips.map(({ip_address: _ip, ...rest}) => rest).filter(f => Object.keys(f).length > 0)
    if (p.fixed_ips?.length === 0) delete p.fixed_ips
    return p
  }
  if (doc.port) fix(doc.port)
  if (Array.isArray(doc.ports)) doc.ports.forEach(fix)
  return JSON.stringify(doc)
}

/** A loopback HTTP proxy to Neutron that records each request (method, path with query, body). */
async function recordingProxy(target) {
  const calls = []
  const server = http.createServer((req, res) => {
    const chunks = []
    req.on('data', c => chunks.push(c))
    req.on('end', async () => {
      const body = chunks.length ? Buffer.concat(chunks).toString('utf8') : null
      calls.push({method: req.method, path: req.url, body})
      try {
        const h = {...req.headers}
        delete h.host
        delete h['content-length']
        delete h.connection
        const up = await fetch(`${target}${req.url}`, {
          method: req.method,
          headers: h,
          body: body ?? undefined,
          signal: AbortSignal.timeout(120_000),
        })
        const buf = Buffer.from(await up.arrayBuffer())
        res.writeHead(up.status, {'content-type': up.headers.get('content-type') ?? 'application/json'})
        res.end(buf)
      } catch (error) {
        res.writeHead(502)
        res.end(String(error))
      }
    })
  })
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  return {url: `http://127.0.0.1:${server.address().port}`, calls, close: () => server.close()}
}
