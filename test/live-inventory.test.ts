import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import type {AddressInfo} from 'node:net'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {liveFabric} from '../src/lib/backends/live/index.js'
import {contextSchema, type LiveContext} from '../src/lib/context/schema.js'
import {inventoryContract} from './contract/inventory.contract.js'
import {makeHome, runCli, type TestHome} from './helpers/cli.js'
import {assertMatchesSchema} from './helpers/schema.js'

/**
 * The live inventory against a Neutron stand-in on loopback (two networks, their subnets): the VNI
 * a live network shows comes from the context's overlay.vniBase, and host facts the inventory does
 * not hold are printed unknown, with why, never made up.
 */
let home: TestHome
let server: http.Server
const requests: string[] = []

const NETWORKS = [
  {
    id: 'n-1',
    name: 'prod-a',
    tags: ['prod-env'],
    'provider:network_type': 'vlan',
    'provider:segmentation_id': 101,
    subnets: ['s-1'],
  },
  {
    id: 'n-2',
    name: 'flat-b',
    tags: [],
    'provider:network_type': 'flat',
    'provider:segmentation_id': null,
    subnets: ['s-2'],
  },
]
const SUBNETS = [
  {id: 's-1', network_id: 'n-1', cidr: '10.16.0.0/24', gateway_ip: '10.16.0.1', ip_version: 4},
  {id: 's-2', network_id: 'n-2', cidr: '10.17.0.0/24', gateway_ip: '10.17.0.1', ip_version: 4},
]

const PORTS = [
  {id: 'p-1', network_id: 'n-1', status: 'ACTIVE', data_plane_status: 'ACTIVE', 'binding:host_id': 'h1'},
  {id: 'p-2', network_id: 'n-2', status: 'DOWN', data_plane_status: null, 'binding:host_id': ''},
]
let neutronPort = 0

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`)
    const url = new URL(req.url ?? '/', 'http://x')
    const body =
      url.pathname === '/v2.0/networks'
        ? {networks: NETWORKS}
        : url.pathname === '/v2.0/subnets'
          ? {subnets: SUBNETS}
          : url.pathname === '/v2.0/ports'
            ? {ports: PORTS}
            : undefined
    res.writeHead(body ? 200 : 404, {'content-type': 'application/json'})
    res.end(JSON.stringify(body ?? {NeutronError: {message: 'not found'}}))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  neutronPort = port
  home = makeHome('fabricctl-live-inventory-')
  fs.writeFileSync(
    path.join(home.dir, 'config.yaml'),
    [
      'apiVersion: fabricctl/v1',
      'kind: Config',
      'contexts:',
      '  - name: lab',
      '    backend: live',
      `    neutron: {url: "http://127.0.0.1:${port}", timeoutMs: 3000}`,
      '    overlay: {vniBase: 20000}',
      '    inventory:',
      '      azs: [{name: az1}]',
      '      leaves: [{name: leaf1, az: az1, address: 127.0.0.1}]',
      '      hosts:',
      '        - name: h1',
      '          az: az1',
      '          address: 127.0.0.1',
      '          nics: [{name: eth0, leaf: leaf1, interface: swp1, speedMbps: 25000}]',
      '',
    ].join('\n'),
  )
})
afterAll(async () => {
  await new Promise(resolve => server.close(resolve))
  home.cleanup()
})

describe('live inventory', () => {
  it('network list/show: a VLAN network shows VNI vniBase + VLAN (20000 + 101); a network with no VLAN none', async () => {
    const j = await runCli(['network', 'list', '--context', 'lab', '--json'], {home})
    expect(j.exitCode, j.stderr).toBe(0)
    assertMatchesSchema(j.json)
    expect(
      j.json.networks.map((n: {name: string; vlan: number; l2Vni: number | null}) => [n.name, n.vlan, n.l2Vni]),
    ).toEqual([
      ['flat-b', 0, null],
      ['prod-a', 101, 20101],
    ])
    const t = await runCli(['network', 'list', '--context', 'lab'], {home})
    const row = t.stdout.split('\n').find(l => l.startsWith('prod-a'))
    expect(row).toMatch(/\s101\s+20101\s/)
    const s = await runCli(['network', 'show', 'prod-a', '--context', 'lab', '--json'], {home})
    assertMatchesSchema(s.json)
    expect(s.json.network).toMatchObject({vlan: 101, l2Vni: 20101})
    expect((await runCli(['network', 'show', 'prod-a', '--context', 'lab'], {home})).stdout).toMatch(
      /^l2 vni:\s+20101$/m,
    )
    expect(requests.some(r => r.startsWith('GET /v2.0/networks'))).toBe(true)
  })

  it('host show: OVS running, the agent and NIC links are unknown (with why), JSON null plus the reason', async () => {
    const j = await runCli(['host', 'show', 'h1', '--context', 'lab', '--json'], {home})
    expect(j.exitCode, j.stderr).toBe(0)
    assertMatchesSchema(j.json)
    expect(j.json.host).toMatchObject({ovsRunning: null, agentAlive: null, agentHeartbeatAt: null})
    expect(j.json.host.nics).toEqual([{name: 'eth0', switch: 'leaf1', interface: 'swp1', speedMbps: 25000, up: null}])
    expect(Object.keys(j.json.host.unknown).sort()).toEqual([
      'agentAlive',
      'agentHeartbeatAt',
      'kernel',
      'nics.eth0.up',
      'ovsRunning',
      'ovsVersion',
    ])
    expect(j.json.host.unknown.ovsRunning).toMatch(/audit hosts/)
    const t = await runCli(['host', 'show', 'h1', '--context', 'lab'], {home})
    expect(t.exitCode).toBe(0)
    expect(t.stdout).toMatch(/^ovs running:\s+unknown \(not in the inventory; .*audit hosts.*\)$/m)
    expect(t.stdout).toMatch(/^agent:\s+unknown \(/m)
    expect(t.stdout).not.toMatch(/alive|: true/)
    const nicRow = t.stdout.split('\n').find(l => l.startsWith('eth0'))
    expect(nicRow).toMatch(/swp1\s+25G\s+unknown \(/)
  })

  it('host list: the agent column says unknown, JSON null (never "alive" from a default)', async () => {
    const j = await runCli(['host', 'list', '--context', 'lab', '--json'], {home})
    expect(j.exitCode, j.stderr).toBe(0)
    assertMatchesSchema(j.json)
    expect(j.json.hosts.map((h: {name: string; agentAlive: boolean | null}) => [h.name, h.agentAlive])).toEqual([
      ['h1', null],
    ])
    const t = await runCli(['host', 'list', '--context', 'lab'], {home})
    const row = t.stdout.split('\n').find(l => l.startsWith('h1'))
    expect(row).toMatch(/\sunknown$/)
    expect(t.stdout).not.toContain('alive')
  })

  it('host show on the sim: every fact read, no "unknown" (output as before)', async () => {
    const simHome = makeHome('fabricctl-sim-host-')
    try {
      const j = await runCli(['host', 'show', 'az1-h01', '--json'], {home: simHome})
      expect(j.exitCode, j.stderr).toBe(0)
      assertMatchesSchema(j.json)
      expect(j.json.host.unknown).toBeUndefined()
      expect(typeof j.json.host.ovsRunning).toBe('boolean')
      const t = await runCli(['host', 'show', 'az1-h01'], {home: simHome})
      expect(t.stdout).toMatch(/^ovs running:\s+(true|false)$/m)
      expect(t.stdout).not.toContain('unknown (')
    } finally {
      simHome.cleanup()
    }
  })
})

// The same behaviours the sim meets (test/contract/), against the live backend and the stand-in.
inventoryContract('live (a Neutron stand-in on loopback)', async () =>
  liveFabric(
    contextSchema.parse({
      name: 'lab',
      backend: 'live',
      neutron: {url: `http://127.0.0.1:${neutronPort}`, timeoutMs: 3000},
      overlay: {vniBase: 20000},
      inventory: {
        azs: [{name: 'az1'}],
        leaves: [{name: 'leaf1', az: 'az1', address: '127.0.0.1'}],
        hosts: [
          {
            name: 'h1',
            az: 'az1',
            address: '127.0.0.1',
            nics: [{name: 'eth0', leaf: 'leaf1', interface: 'swp1', speedMbps: 25000}],
          },
        ],
      },
    }) as LiveContext,
  ),
)
