import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {makeHome, runCli, type TestHome} from './helpers/cli.js'
import {assertMatchesSchema} from './helpers/schema.js'

// The default fabric (profile small, seed 1) is the same on every machine: these names come from it.
const QBR_A = 'vm-az1-000009' // az1-h02, qbr, prod-a, leaf pair 01
const QBR_B = 'vm-az1-000035' // az1-h09, qbr, prod-a, leaf pair 02
const DIRECT_A = 'search-az1-000001' // az1-h01, direct, prod-a, pair 01
const DIRECT_B = 'checkout-az1-000030' // az1-h08, direct, prod-a, pair 02
const OTHER_TENANT = 'vm-az1-000036' // az1-h09, suba-prod (tenant sub-a)

let home: TestHome
beforeAll(async () => {
  home = makeHome()
  const r = await runCli(['sim', 'init', '--json'], {home})
  expect(r.exitCode).toBe(0)
})
afterAll(() => home.cleanup())

describe('fabricctl trace (simulated fabric)', () => {
  it('--json prints one Trace document; exit 0 when delivered; --format json is the same', async () => {
    const r = await runCli(['trace', QBR_A, QBR_B, '--json'], {home})
    expect(r.exitCode).toBe(0)
    expect(r.stderr).toBe('')
    assertMatchesSchema(r.json)
    expect(r.json).toMatchObject({
      kind: 'Trace',
      schemaVersion: 1,
      backend: 'sim',
      route: 'bridged',
      disposition: {result: 'delivered'},
    })
    expect(r.json.src).toMatchObject({host: 'az1-h02', plugging: 'qbr'})
    expect(r.json.dst).toMatchObject({host: 'az1-h09', plugging: 'qbr'})
    expect(r.json.summary).toEqual({hostHops: 24, switchHops: 3, totalHops: 27, complete: true})
    const f = await runCli(['trace', QBR_A, QBR_B, '--format', 'json'], {home})
    expect(f.stdout).toBe(r.stdout)
  })

  it('table by default when stdout is not a TTY: one row per hop, the result and the counts', async () => {
    const r = await runCli(['trace', DIRECT_A, DIRECT_B], {home})
    expect(r.exitCode).toBe(0)
    const lines = r.stdout.split('\n')
    expect(lines.find(l => l.startsWith('HOP'))).toMatch(
      /HOP\s+NODE\s+DEVICE\s+KIND\s+PLANE\s+VLAN\s+VNI\s+STATUS\s+ACTION/,
    )
    expect(lines.filter(l => /^\s+\d+\s/.test(l))).toHaveLength(21)
    expect(r.stdout).toContain('DELIVERED  18 host-path + 3 switch = 21 hops')
    expect(r.stdout).toMatch(/ECMP: az1-spine\d of \[az1-spine1, az1-spine2\]/)
  })

  it('a fault drops the trace: exit 1, the hop marked in the diagram and named in table and JSON', async () => {
    expect((await runCli(['sim', 'fault', 'inject', 'ovs-down', '--target', 'az1-h09'], {home})).exitCode).toBe(0)
    try {
      const j = await runCli(['trace', QBR_A, QBR_B, '--json'], {home})
      expect(j.exitCode).toBe(1)
      assertMatchesSchema(j.json)
      expect(j.json.disposition).toMatchObject({
        result: 'dropped',
        hop: 19,
        node: 'az1-h09',
        device: 'br-bond',
        cause: 'OVS_DOWN',
      })
      const d = await runCli(['trace', QBR_A, QBR_B, '--format', 'diagram'], {home})
      expect(d.exitCode).toBe(1)
      expect(d.stdout).toMatch(/┌─ host az1-h02 \(qbr\)/)
      expect(d.stdout).toMatch(/┌─ spine az1-spine\d/)
      expect(d.stdout).toMatch(/19 ✗ br-bond/)
      expect(d.stdout).toMatch(/✗ OVS_DOWN: ovs-vswitchd is not running on az1-h09/)
      expect(d.stdout).toMatch(/20 · phy-br-bond/)
      expect(d.stdout).toContain('DROPPED at hop 19 (az1-h09 br-bond): OVS_DOWN')
      expect(d.stdout).not.toMatch(/\u001B\[/) // NO_COLOR in tests: no escape codes
      const t = await runCli(['trace', QBR_A, QBR_B, '--format', 'table'], {home})
      expect(t.stdout).toMatch(/19\s+az1-h09\s+br-bond\s+ovs-bridge\s+underlay\s+\d+\s+-\s+DROP OVS_DOWN/)
      expect(t.stdout).toMatch(/20\s+az1-h09\s+phy-br-bond.*not reached/)
    } finally {
      await runCli(['sim', 'fault', 'clear', '--all'], {home})
    }
    expect((await runCli(['trace', QBR_A, QBR_B, '--json'], {home})).exitCode).toBe(0)
  })

  it('different tenants: dropped at the ingress leaf with exit 1', async () => {
    const r = await runCli(['trace', DIRECT_A, OTHER_TENANT, '--json', '--proto', 'icmp'], {home})
    expect(r.exitCode).toBe(1)
    assertMatchesSchema(r.json)
    expect(r.json.route).toBe('none')
    expect(r.json.flow).toMatchObject({proto: 'icmp', sport: 0, dport: 0})
    expect(r.json.disposition).toMatchObject({result: 'dropped', cause: 'NO_ROUTE_BETWEEN_TENANTS'})
  })

  it('bad input exits 2 with a message naming the value and what to do', async () => {
    const icmp = await runCli(['trace', DIRECT_A, DIRECT_B, '--proto', 'icmp', '--sport', '5', '--json'], {home})
    expect(icmp.exitCode).toBe(2)
    assertMatchesSchema(icmp.json)
    expect(icmp.json.error).toMatchObject({code: 'TRACE_PORTS_WITH_ICMP'})
    const unknown = await runCli(['trace', 'no-such-pod', DIRECT_B], {home})
    expect(unknown.exitCode).toBe(2)
    expect(unknown.stderr).toMatch(/No port or instance named "no-such-pod"/)
    expect(unknown.stderr).toMatch(/What to do:/)
    expect(unknown.stdout).toBe('')
    const proto = await runCli(['trace', DIRECT_A, DIRECT_B, '--proto', 'sctp'], {home})
    expect(proto.exitCode).toBe(2)
  })

  it('--help shows examples and exit codes', async () => {
    const r = await runCli(['trace', '--help'], {home})
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toMatch(/EXAMPLES/)
    expect(r.stdout).toMatch(/--proto/)
    expect(r.stdout).toMatch(/trace dropped/)
  })

  it('hierarchical topology: access, aggregation, core gateway and back', async () => {
    const h = makeHome()
    try {
      expect((await runCli(['sim', 'init', '--topology', 'hierarchical'], {home: h})).exitCode).toBe(0)
      // Same seed, same hosts and networks as the spine-leaf fabric: prod-a → prod-b across access pairs is routed at the core.
      const r = await runCli(['trace', DIRECT_A, 'payment-az1-000027', '--json'], {home: h})
      expect(r.exitCode).toBe(0)
      assertMatchesSchema(r.json)
      expect(r.json.topology).toBe('hierarchical')
      expect(r.json.hops.filter((x: any) => x.segment === 'fabric').map((x: any) => `${x.kind}:${x.node}`)).toEqual([
        'access:az1-acc01a',
        'aggregation:az1-agg1',
        'core:az1-core1',
        'aggregation:az1-agg1',
        expect.stringMatching(/^access:az1-acc02[ab]$/),
      ])
    } finally {
      h.cleanup()
    }
  })
})
