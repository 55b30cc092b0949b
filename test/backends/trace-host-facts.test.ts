// Live trace's host part on the one evidence layer (issue 11): the host probe's `trace` selection decodes dpif/show
// and br-int's dump-flows (recorded from a real Open vSwitch, test/fixtures/ovs) into the one HostFacts; a fact it
// could not read is null with the reason, never []; and the trace evidence built from HostFacts says `unknown`
// where a fact was not read (never the 'bond0' it used to invent).
import {describe, expect, it} from 'vitest'

import {ALL_PROBES, collectEvidence, PROBE_SELECTIONS, PROBES} from '../../src/lib/audit/collect.js'
import {ofprotoTraceCommand} from '../../src/lib/backends/live/host-probe.js'
import {traceAttachment, traceHostEvidence} from '../../src/lib/backends/live/trace-evidence.js'
import {bridgesOf} from '../../src/lib/trace/bridges.js'
import type {LiveContext} from '../../src/lib/context/schema.js'
import {simHostProbe} from '../../src/lib/backends/sim/host-probe.js'
import {type HostFacts, openHostSession} from '../../src/lib/seam/host-probe.js'
import {generateFabric} from '../../src/lib/sim/generator.js'
import {PROFILES} from '../../src/lib/sim/profiles.js'
import {openDb} from '../../src/lib/store/db.js'
import {FabricStore} from '../../src/lib/store/fabric-store.js'
import {computeTrace} from '../../src/lib/trace/compute.js'
import type {EndpointEvidence, NetworkEvidence, TraceEvidence} from '../../src/lib/trace/types.js'
import {dualHomed, failed, ok, ovsFixture, recordedHost} from '../helpers/recorded-host.js'
import type {ProbeResult} from '../../src/lib/audit/collect.js'

const A = 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa'
const LINKS = ok(
  JSON.stringify([
    {ifname: 'eth0', flags: ['UP', 'LOWER_UP'], operstate: 'UP'},
    {ifname: 'eth1', flags: ['UP', 'LOWER_UP'], operstate: 'UP'},
    {ifname: 'tapaaaaaaaa-aa', flags: ['UP', 'LOWER_UP'], operstate: 'UP'},
  ]),
)

/** h1 as the probe reads it with facts 'trace': the recorded OVS, bond/show, dpif/show and br-int flows, unless overridden. */
const traceFacts = (probes: Record<string, ProbeResult> = {}) =>
  collectEvidence(
    recordedHost({
      links: LINKS,
      ovsBond: ok(ovsFixture('bond-show.active-backup.txt')),
      ovsLacp: ok(''),
      procBonding: ok(''),
      ovsDpif: ok(ovsFixture('dpif-show.txt')),
      brIntFlows: ok(ovsFixture('dump-flows.br-int.txt')),
      ...probes,
    }),
    dualHomed('h1'),
    'ssh',
    'h1',
    PROBE_SELECTIONS.trace,
  )

describe("the host probe's trace facts (recorded dpif/show and dump-flows br-int)", () => {
  it('decodes the datapath ports and br-int’s VLAN translations into HostFacts', async () => {
    const f = await traceFacts()
    // tapaaaaaaaa-aa is OpenFlow port 3 on br-int and datapath port 7; eth0 is port 2 of br-bond.
    expect(f.dpif).toContainEqual({bridge: 'br-int', name: 'tapaaaaaaaa-aa', ofport: 3, dp: 7})
    expect(f.dpif).toContainEqual({bridge: 'br-bond', name: 'eth0', ofport: 2, dp: 2})
    expect(f.dpif).toContainEqual({bridge: 'br-bond', name: 'phy-br-bond', ofport: 1, dp: null})
    // The OVS agent's flow: in from the patch port (4) on segment VLAN 101 → local VLAN 1.
    expect(f.brIntTranslations).toContainEqual({table: 0, priority: 3, inPort: '4', fromVlan: 101, toVlan: 1})
    expect(f.probeErrors.filter(e => e.probe === 'ovsDpif' || e.probe === 'brIntFlows')).toEqual([])
    expect(f.from.ovsDpif).toBe(`h1: ${PROBES.ovsDpif}`)
    expect(f.bond).toMatchObject({name: 'bond0', activeMember: 'eth0'})
  })

  it('an audit does not run them: not in the default selection, and its evidence has them null, "not read"', async () => {
    expect(ALL_PROBES).not.toContain('ovsDpif')
    expect(ALL_PROBES).not.toContain('brIntFlows')
    expect(PROBE_SELECTIONS.all).toBe(ALL_PROBES)
    const asked: string[] = []
    const runner = recordedHost({})
    const f = await collectEvidence(
      {batch: async cmds => (asked.push(...Object.keys(cmds)), runner.batch(cmds))},
      dualHomed('h1'),
      'ssh',
      'h1',
    )
    expect(asked).not.toContain('ovsDpif')
    expect(asked).not.toContain('brIntFlows')
    expect(f.dpif).toBeNull()
    expect(f.brIntTranslations).toBeNull()
    expect(f.probeErrors).toContainEqual({probe: 'ovsDpif', message: 'not read (this command reads fewer facts)'})
    expect(f.probeErrors).toContainEqual({probe: 'brIntFlows', message: 'not read (this command reads fewer facts)'})
  })

  it('unreadable dpif/show and dump-flows: null with the reason, not an empty list', async () => {
    const f = await traceFacts({
      ovsDpif: failed('ovs-appctl: cannot connect to "/var/run/openvswitch/ovs-vswitchd.ctl" (Connection refused)'),
      brIntFlows: failed('ovs-ofctl: br-int is not a bridge or a socket'),
    })
    expect(f.dpif).toBeNull()
    expect(f.brIntTranslations).toBeNull()
    expect(f.probeErrors).toContainEqual({
      probe: 'ovsDpif',
      message: expect.stringContaining('Connection refused'),
    })
    expect(f.probeErrors).toContainEqual({probe: 'brIntFlows', message: expect.stringContaining('not a bridge')})
  })

  it('a probe that did not run at all: null, and said so', async () => {
    const runner = recordedHost({links: LINKS})
    const f = await collectEvidence(
      {
        batch: async cmds => {
          const r = await runner.batch(cmds)
          r.delete('ovsDpif')
          return r
        },
      },
      dualHomed('h1'),
      'ssh',
      'h1',
      PROBE_SELECTIONS.trace,
    )
    expect(f.dpif).toBeNull()
    expect(f.probeErrors).toContainEqual({probe: 'ovsDpif', message: 'did not run'})
  })
})

describe('opening a host for a flow trace', () => {
  it('the sim probe has no datapath: openHostSession says so with a FabricError, it does not pretend', async () => {
    const store = new FabricStore(await openDb(':memory:'))
    try {
      store.tx(() => generateFabric(store, {profile: PROFILES.small, seed: 1, topology: 'spine-leaf'}))
      const probe = simHostProbe(store)
      const [host] = await probe.hosts()
      expect(probe.open).toBeUndefined()
      await expect(openHostSession(probe, host!, {facts: 'trace', timeoutMs: 1000})).rejects.toMatchObject({
        code: 'HOST_SESSION_UNSUPPORTED',
        message: expect.stringContaining(host!.name),
      })
    } finally {
      store.close()
    }
  })
})

describe('ofproto/trace on a probed host: bridge and flow checked and quoted', () => {
  it('quotes a valid flow, and refuses shell syntax in either', () => {
    const c = ofprotoTraceCommand('br-int', 'in_port=3,tcp,nw_src=10.0.0.1,nw_dst=10.0.0.2,dl_src=fa:16:3e:00:00:01')
    expect(c.command).toBe(
      "ovs-appctl --timeout=10 ofproto/trace 'br-int' 'in_port=3,tcp,nw_src=10.0.0.1,nw_dst=10.0.0.2,dl_src=fa:16:3e:00:00:01'",
    )
    expect(c.shown).toBe(
      'ovs-appctl ofproto/trace br-int in_port=3,tcp,nw_src=10.0.0.1,nw_dst=10.0.0.2,dl_src=fa:16:3e:00:00:01',
    )
    expect(() => ofprotoTraceCommand('br-int; reboot', 'in_port=1')).toThrow(/not an OVS bridge name/)
    expect(() => ofprotoTraceCommand('br-int', "in_port=1' ; touch /tmp/x '")).toThrow(/not an ofproto\/trace flow/)
    expect(() => ofprotoTraceCommand('br-int', 'in_port=$(id)')).toThrow(/not an ofproto\/trace flow/)
  })
})

// --- trace evidence from HostFacts (pure) ------------------------------------------------------------

const INV = {
  name: 'h1',
  az: 'az1',
  role: 'hypervisor',
  address: '127.0.0.1',
  port: 22,
  plugging: 'direct',
  nics: [
    {name: 'eth0', leaf: 'leaf-a', interface: 'swp1', speedMbps: 10_000},
    {name: 'eth1', leaf: 'leaf-b', interface: 'swp1', speedMbps: 10_000},
  ],
} as LiveContext['inventory']['hosts'][number]

const NET: NetworkEvidence = {
  name: 'blue',
  az: 'az1',
  tenant: 't1',
  vrf: null,
  l3Vni: null,
  vlan: 101,
  l2Vni: 10_101,
  cidr: '10.7.1.0/24',
  gateway: '10.7.1.1',
}

function endpoint(facts: HostFacts, id: string, ip: string): EndpointEvidence {
  const host = traceHostEvidence(INV, facts, undefined)
  const {attachment, underlay} = traceAttachment(host, facts, id, 'vm')
  return {
    ref: id,
    port: {
      id,
      name: id,
      ip,
      mac: 'fa:16:3e:00:00:01',
      network: 'blue',
      host: 'h1',
      instance: null,
      underlay,
      overlay: 'ACTIVE',
    },
    instanceKind: 'vm',
    network: NET,
    host,
    attachment,
  }
}

/** The source end's hops (the path ends at the switch port: this evidence has no switches). */
function srcHops(facts: HostFacts) {
  const src = endpoint(facts, A, '10.7.1.10')
  const ev: TraceEvidence = {
    backend: 'live',
    context: 'recorded',
    az: {name: 'az1', topology: 'spine-leaf'},
    src,
    dst: {...endpoint(facts, 'bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb', '10.7.1.11'), port: {...src.port, host: 'h2'}},
    switches: [],
    warnings: [],
  }
  return {src, trace: computeTrace(ev, {proto: 'tcp', sport: 49_152, dport: 80})}
}

describe('trace evidence from the host probe’s facts', () => {
  it('read facts: the bond, its active member, the device on br-int with its local VLAN, the host end', async () => {
    const {src, trace} = srcHops(await traceFacts())
    expect(src.host).toMatchObject({bond: 'bond0', activeMember: 'eth0', ovsRunning: true})
    expect(src.host!.unknown).toBeUndefined()
    expect(src.host!.nics.map(n => [n.name, n.up])).toEqual([
      ['eth0', true],
      ['eth1', true],
    ])
    expect(src.attachment).toMatchObject({
      hostEndPresent: true,
      brInt: {device: 'tapaaaaaaaa-aa', localVlan: 1, ofport: 3},
    })
    expect(src.port.underlay).toBe('ACTIVE')
    const bond = trace.hops.find(h => h.kind === 'bond')!
    expect(bond).toMatchObject({device: 'bond0', status: 'ok'})
    expect(bond.unknown).toBeUndefined()
    expect(trace.hops.find(h => h.kind === 'nic')!.device).toBe('eth0')
  })

  it("the bond not read (the OVS tables unreadable): the bond hop is unknown with the reason, never 'bond0'", async () => {
    const facts = await traceFacts({
      ovsPorts: failed('ovs-vsctl: unix:/var/run/openvswitch/db.sock: database connection failed'),
    })
    expect(facts.bond).toBeNull()
    const {src, trace} = srcHops(facts)
    expect(src.host!.bond).toBeNull()
    expect(src.host!.unknown?.bond).toMatch(/OVS tables were not read: .*database connection failed/)
    expect(src.attachment!.wiringUnknown).toMatch(/database connection failed/)
    expect(src.attachment!.brInt).toBeNull()
    const bond = trace.hops.find(h => h.kind === 'bond')!
    expect(bond.device).not.toBe('bond0')
    expect(bond.unknown).toMatch(/the bond was not read: .*database connection failed/)
    // br-int's wiring not read is not "device not on br-int": no drop is concluded from it, the hop says unknown.
    const brInt = trace.hops.find(h => h.device === 'br-int')!
    expect(brInt.status).toBe('ok')
    expect(brInt.unknown).toMatch(/br-int's wiring was not read/)
    expect(trace.hops.some(h => h.cause === 'DEVICE_NOT_ON_BR_INT' || h.cause === 'PORT_NOT_ACTIVE_ACTIVE')).toBe(false)
  })

  it('links and bond/show not read: NIC link state and the host end are unknown with the reason, not down or missing', async () => {
    const {src, trace} = srcHops(
      await traceFacts({
        links: failed('ip: command not found'),
        ovsBond: failed('ovs-appctl: cannot connect to "/var/run/openvswitch/ovs-vswitchd.ctl"'),
      }),
    )
    // A member's state is its link, or bond/show's enabled when the link was not read: here neither was.
    expect(src.host!.bond).toBe('bond0')
    expect(src.host!.activeMember).toBeNull()
    expect(src.host!.nics.map(n => n.up)).toEqual([null, null])
    expect(src.host!.nics[0]!.upUnknown).toMatch(/ip -j -d link was not read: .*command not found/)
    expect(src.attachment!.hostEndPresent).toBeNull()
    expect(trace.hops.some(h => h.cause === 'DEVICE_MISSING' || h.cause === 'BOND_NO_LINK')).toBe(false)
    expect(trace.hops.find(h => h.kind === 'tap')!.unknown).toMatch(/command not found/)
    expect(trace.hops.find(h => h.kind === 'bond')!.unknown).toMatch(
      /no member is known up; link state not read for eth0/,
    )
    expect(trace.hops.find(h => h.kind === 'nic')!.unknown).toMatch(/link state of eth\d was not read/)
  })

  it('links not read but bond/show read: the members are up as OVS enabled them (read, not assumed)', async () => {
    const {src} = srcHops(await traceFacts({links: failed('ip: command not found')}))
    expect(src.host!.nics.map(n => n.up)).toEqual([true, true])
    expect(src.host!.activeMember).toBe('eth0')
  })
})

describe("a host's bridges, as its OVS tables name them", () => {
  it('the uplink bridge holds the bond; the integration bridge is across its patch port; renamed ones are read', async () => {
    const facts = await traceFacts()
    expect(bridgesOf(facts)).toEqual({int: 'br-int', bond: 'br-bond', patchInt: 'int-br-bond', patchPhy: 'phy-br-bond'})
    // A deployment with its own names (integration_bridge, bridge_mappings): nothing is taken from the defaults.
    const rename: Record<string, string> = {
      'br-int': 'br-integration',
      'br-bond': 'br-uplink',
      'int-br-bond': 'int-br-uplink',
      'phy-br-bond': 'phy-br-uplink',
    }
    const renamed: HostFacts = structuredClone(facts)
    for (const i of renamed.ovs.interfaces!) {
      i.bridge = i.bridge ? (rename[i.bridge] ?? i.bridge) : null
      i.port = i.port ? (rename[i.port] ?? i.port) : null
      i.name = rename[i.name] ?? i.name
      i.peer = i.peer ? (rename[i.peer] ?? i.peer) : null
    }
    for (const b of renamed.ovs.bonds ?? []) b.bridge = b.bridge ? (rename[b.bridge] ?? b.bridge) : null
    expect(bridgesOf(renamed)).toEqual({
      int: 'br-integration',
      bond: 'br-uplink',
      patchInt: 'int-br-uplink',
      patchPhy: 'phy-br-uplink',
    })
    // The port's device is found on the renamed integration bridge.
    const device = renamed.ovs.interfaces!.find(i => i.ifaceId && i.bridge === 'br-integration')!
    expect(device, 'the recorded host has a Neutron port device').toBeDefined()
    const host = traceHostEvidence(INV, renamed, undefined)
    expect(traceAttachment(host, renamed, device.ifaceId!, 'vm').attachment.brInt?.device).toBe(device.name)
  })
})
