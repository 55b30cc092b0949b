// host show/list on a live context print what the inventory cannot know as unknown (why), never a
// made-up "ovs running: true", "agent: alive" or NIC "up" (issue 11). The inventory is read locally:
// no host and no Neutron is contacted.
import fs from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {makeHome, runCli, type TestHome} from '../helpers/cli.js'
import {assertMatchesSchema} from '../helpers/schema.js'

let home: TestHome
beforeAll(() => {
  home = makeHome('fabricctl-host-unknown-')
  fs.writeFileSync(
    path.join(home.dir, 'config.yaml'),
    [
      'apiVersion: fabricctl/v1',
      'kind: Config',
      'contexts:',
      '  - name: inv',
      '    backend: live',
      '    neutron: {url: "http://127.0.0.1:1", timeoutMs: 500}',
      '    inventory:',
      '      azs: [{name: az1, topology: spine-leaf}]',
      '      leaves:',
      '        - {name: leaf1, az: az1, address: 127.0.0.1, port: 22, driver: frr}',
      '      hosts:',
      '        - name: h1',
      '          az: az1',
      '          address: 127.0.0.1',
      '          port: 22',
      '          plugging: direct',
      '          nics:',
      '            - {name: eth0, leaf: leaf1, interface: swp1, speedMbps: 10000}',
    ].join('\n'),
  )
})
afterAll(() => home.cleanup())

describe('live host facts the inventory does not hold', () => {
  it('host show: unknown (why) in human output, null plus the reason in JSON', async () => {
    const r = await runCli(['host', 'show', 'h1', '--context', 'inv'], {home})
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/ovs running:\s+unknown \(not in the inventory/)
    expect(r.stdout).toMatch(/agent:\s+unknown \(/)
    expect(r.stdout).not.toMatch(/\balive\b(?! from)/)
    expect(r.stdout).toMatch(/eth0.*unknown \(not in the inventory/)
    expect(r.stdout).not.toMatch(/\bup\b\s*$/m)
    const j = await runCli(['host', 'show', 'h1', '--context', 'inv', '--json'], {home})
    assertMatchesSchema(j.json)
    expect(j.json.host).toMatchObject({ovsRunning: null, agentAlive: null, agentHeartbeatAt: null})
    expect(j.json.host.nics[0].up).toBeNull()
    expect(j.json.host.unknown.ovsRunning).toMatch(/audit hosts/)
  })

  it('host list: agent unknown, not alive', async () => {
    const r = await runCli(['host', 'list', '--context', 'inv'], {home})
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/h1.*unknown\s*$/m)
    const j = await runCli(['host', 'list', '--context', 'inv', '--json'], {home})
    assertMatchesSchema(j.json)
    expect(j.json.hosts[0]).toMatchObject({ovsRunning: null, agentAlive: null})
  })
})
