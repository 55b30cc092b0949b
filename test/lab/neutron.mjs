#!/usr/bin/env node
// Seeds the lab's Neutron: networks (VLAN segments, tags as labels), subnets, and one port per
// instance bound to its host. Usage: node neutron.mjs seed URL TOPOLOGY.json OUT.json
//        node neutron.mjs wait URL TIMEOUT_S
//        node neutron.mjs wait-agents URL HOST1,HOST2,... TIMEOUT_S   (prod: every OVS agent alive)
//        node neutron.mjs wait-active URL SEED.json TIMEOUT_S          (prod: every seeded port ACTIVE)
import {readFileSync, writeFileSync} from 'node:fs'

const HEADERS = {'content-type': 'application/json', 'x-project-id': 'fake_project_id'}

async function call(url, method, path, body) {
  const ctl = new AbortController()
  const t = setTimeout(() => ctl.abort(), 30000)
  try {
    const res = await fetch(url + path, {
      method,
      headers: HEADERS,
      body: body ? JSON.stringify(body) : undefined,
      signal: ctl.signal,
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`neutron ${method} ${path} -> ${res.status}: ${text.slice(0, 400)}`)
    return text ? JSON.parse(text) : null
  } finally {
    clearTimeout(t)
  }
}

async function wait(url, timeoutS) {
  const deadline = Date.now() + timeoutS * 1000
  let last = ''
  while (Date.now() < deadline) {
    try {
      await call(url, 'GET', '/v2.0/networks')
      return
    } catch (e) {
      last = e.cause?.code ?? e.message
    }
    await new Promise(r => setTimeout(r, 250))
  }
  throw new Error(`neutron-server at ${url} did not answer GET /v2.0/networks within ${timeoutS}s (last: ${last})`)
}

// prod profile: poll /v2.0/agents until every host's Open vSwitch agent is alive (bounded)
async function waitAgents(url, hosts, timeoutS) {
  const deadline = Date.now() + timeoutS * 1000
  let missing = hosts
  while (Date.now() < deadline) {
    const {agents} = await call(url, 'GET', '/v2.0/agents?agent_type=Open+vSwitch+agent')
    missing = hosts.filter(h => !agents.some(a => a.host === h && a.alive === true))
    if (missing.length === 0) return
    await new Promise(r => setTimeout(r, 1000))
  }
  throw new Error(
    `the Open vSwitch agent of ${missing.join(', ')} did not report alive in /v2.0/agents within ${timeoutS}s`,
  )
}

// prod profile: poll the seeded ports until Neutron itself says ACTIVE (the agents wired them)
async function waitActive(url, seedFile, timeoutS) {
  const ports = JSON.parse(readFileSync(seedFile, 'utf8')).ports
  const deadline = Date.now() + timeoutS * 1000
  let notActive = []
  while (Date.now() < deadline) {
    const q = ports.map(p => `id=${p.id}`).join('&')
    const got = (await call(url, 'GET', `/v2.0/ports?${q}&fields=id&fields=status&fields=binding:vif_type`)).ports
    notActive = ports
      .filter(p => got.find(g => g.id === p.id)?.status !== 'ACTIVE')
      .map(p => {
        const g = got.find(x => x.id === p.id)
        return `${p.instance} (${g?.status ?? 'missing'}, vif_type ${g?.['binding:vif_type'] ?? '?'})`
      })
    if (notActive.length === 0) return
    await new Promise(r => setTimeout(r, 1000))
  }
  throw new Error(`ports not ACTIVE after ${timeoutS}s: ${notActive.join(', ')}`)
}

async function seed(url, topoFile, outFile) {
  const topo = JSON.parse(readFileSync(topoFile, 'utf8'))
  const out = {networks: [], ports: []}
  const existing = (await call(url, 'GET', '/v2.0/networks')).networks
  if (existing.some(n => n.name.startsWith('lab-')))
    throw new Error('neutron already holds lab networks; the lab database was not fresh')
  for (const n of topo.networks) {
    const {network} = await call(url, 'POST', '/v2.0/networks', {
      network: {
        name: n.name,
        admin_state_up: true,
        project_id: 'fake_project_id',
        'provider:network_type': 'vlan',
        'provider:physical_network': n.physnet,
        'provider:segmentation_id': n.vlan,
        description: `fabricctl lab network, VNI ${n.vni}`,
      },
    })
    const [a, b, c] = n.cidr.split('.')
    const {subnet} = await call(url, 'POST', '/v2.0/subnets', {
      subnet: {
        name: `${n.name}-v4`,
        network_id: network.id,
        project_id: 'fake_project_id',
        ip_version: 4,
        cidr: n.cidr,
        gateway_ip: n.gateway,
        enable_dhcp: false,
        allocation_pools: [{start: `${a}.${b}.${c}.10`, end: `${a}.${b}.${c}.250`}],
      },
    })
    await call(url, 'PUT', `/v2.0/networks/${network.id}/tags`, {tags: n.tags})
    out.networks.push({
      name: n.name,
      id: network.id,
      subnetId: subnet.id,
      vlan: n.vlan,
      vni: n.vni,
      cidr: n.cidr,
      gateway: n.gateway,
      tags: n.tags,
    })
  }
  for (const h of topo.hosts) {
    for (const inst of h.instances) {
      const net = out.networks.find(n => n.name === inst.network)
      const {port} = await call(url, 'POST', '/v2.0/ports', {
        port: {
          name: inst.name,
          network_id: net.id,
          admin_state_up: true,
          project_id: 'fake_project_id',
          device_owner: `compute:${topo.az}`,
          device_id: crypto.randomUUID(),
          'binding:host_id': h.name,
        },
      })
      const ip = port.fixed_ips[0].ip_address
      out.ports.push({
        instance: inst.name,
        host: h.name,
        network: net.name,
        id: port.id,
        mac: port.mac_address,
        ip,
        prefix: Number(net.cidr.split('/')[1]),
        gateway: net.gateway,
        vlan: net.vlan,
        vni: net.vni,
        networkId: net.id,
      })
    }
  }
  writeFileSync(outFile, JSON.stringify(out, null, 2) + '\n')
}

const [cmd, ...rest] = process.argv.slice(2)
try {
  if (cmd === 'wait') await wait(rest[0], Number(rest[1] ?? 60))
  else if (cmd === 'seed') await seed(rest[0], rest[1], rest[2])
  else if (cmd === 'wait-agents') await waitAgents(rest[0], rest[1].split(','), Number(rest[2] ?? 120))
  else if (cmd === 'wait-active') await waitActive(rest[0], rest[1], Number(rest[2] ?? 180))
  else
    throw new Error(
      `usage: neutron.mjs wait URL TIMEOUT_S | seed URL TOPOLOGY.json OUT.json | wait-agents URL HOSTS TIMEOUT_S | wait-active URL SEED.json TIMEOUT_S (got ${cmd})`,
    )
} catch (e) {
  process.stderr.write(`neutron.mjs: ${e.message}\n`)
  process.exit(1)
}
