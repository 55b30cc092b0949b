import {FabricError, notFound, usageError} from '../../cli/errors.js'
import {EXIT} from '../../cli/exit-codes.js'
import type {LiveContext} from '../../context/schema.js'
import type {NNetwork, NPort, NSubnet} from '../../live/neutron/api.js'
import {neutronRequest} from '../../live/neutron/http.js'
import type {InstanceKind} from '../../model/types.js'
import {type LeafReading, readLeavesThrough} from '../../leaf/observe.js'
import {
  type FlowTraceResult,
  type HostFacts,
  type HostProbe,
  type HostSession,
  openHostSession,
} from '../../seam/host-probe.js'
import type {LeafDriverRegistry} from '../../seam/leaf-drivers.js'
import {bridgesOf} from '../../trace/bridges.js'
import {gatewayMac, leafSwitches, networkVni, spineSwitches} from '../../trace/leaves.js'
import type {
  AttachmentEvidence,
  EndpointEvidence,
  FlowSpec,
  HostEvidence,
  InHostVerdict,
  PortEvidence,
  SwitchEvidence,
  TraceEvidence,
} from '../../trace/types.js'
import {type DpifPort, parseDatapathActions, type VlanTranslation} from './parse/index.js'

/**
 * Evidence for a trace from a live fabric: Neutron for the ports and networks; the hosts through the fabric's host
 * probe (`hostProbe.open`, facts `trace`: one SSH session per host reads the OVS tables, links, bond/show + lacp/show,
 * dpif/show and br-int's dump-flows into the one HostFacts, then runs `ovs-appctl ofproto/trace` on the same session
 * for the in-host verdicts, their datapath ports named through dpif/show); the leaves through the fabric's leaf
 * drivers (`leafDrivers.open`: the driver's parsed model of what the leaf carries, its VTEP fact and its EVPN
 * sessions; src/lib/trace/leaves.ts turns them into evidence). A fact the probe did not read is unknown with its
 * reason (the hop's `unknown`), never a default.
 */

/** Budget to connect to a host and read its facts (the ofproto/trace calls have their own, in the probe). */
const HOST_OPEN_TIMEOUT_MS = 60_000

/** Neutron's objects as trace reads them: the shared Neutron types, plus the owning project (the tenant). */
type Owned = {project_id?: string; tenant_id?: string}
type NeutronPort = NPort & Owned
type NeutronNetwork = NNetwork & Owned
type NeutronSubnet = NSubnet

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/

async function resolveLivePort(ctx: LiveContext, ref: string, which: string): Promise<NeutronPort> {
  let found: NeutronPort[]
  if (UUID.test(ref)) {
    found = (await neutronRequest<{ports: NeutronPort[]}>(ctx, 'GET', `/v2.0/ports?id=${encodeURIComponent(ref)}`))
      .ports
  } else if (IPV4.test(ref)) {
    found = (
      await neutronRequest<{ports: NeutronPort[]}>(
        ctx,
        'GET',
        `/v2.0/ports?fixed_ips=${encodeURIComponent(`ip_address=${ref}`)}`,
      )
    ).ports
  } else {
    found = (await neutronRequest<{ports: NeutronPort[]}>(ctx, 'GET', `/v2.0/ports?name=${encodeURIComponent(ref)}`))
      .ports
    if (found.length === 0) {
      const inst = ctx.inventory.instances.find(i => i.name === ref && i.portId)
      if (inst)
        found = (
          await neutronRequest<{ports: NeutronPort[]}>(ctx, 'GET', `/v2.0/ports?id=${encodeURIComponent(inst.portId!)}`)
        ).ports
    }
  }
  if (found.length > 1) {
    throw usageError(
      'TRACE_ENDPOINT_AMBIGUOUS',
      `${which} "${ref}" matches ${found.length} Neutron ports (${found
        .slice(0, 5)
        .map(p => p.id)
        .join(', ')}).`,
      ref,
      'Give the port id instead (Neutron port names and IPs need not be unique).',
    )
  }
  if (found.length === 0)
    throw notFound(
      'port or instance',
      ref,
      `${which} must be a Neutron port name, id or IP, or an instance of the context's inventory.`,
    )
  return found[0]!
}

// --- host facts → trace evidence (pure: exported for tests) ----------------------------------------

type InventoryHost = LiveContext['inventory']['hosts'][number]
interface NeutronAgent {
  host: string
  alive: boolean
  agent_type: string
  heartbeat_timestamp?: string
}

/** Why a probe's fact is null: its probe error, else that it was not read. */
export function probeWhy(facts: HostFacts, ...probes: string[]): string {
  for (const p of probes) {
    const e = facts.probeErrors.find(x => x.probe === p)
    if (e) return e.message
  }
  return `not read (${probes.join(', ')} did not run)`
}

/** Why the OVS tables (bridges, ports, interfaces) are null. */
function ovsTablesWhy(facts: HostFacts): string {
  const e = facts.probeErrors.find(x => ['ovsTables', 'ovsBridges', 'ovsPorts', 'ovsInterfaces'].includes(x.probe))
  return e?.message ?? facts.ovs.runningDetail ?? probeWhy(facts, 'ovsInterfaces')
}

/** The trace's view of a host, from the inventory (name, role, cabling) and the probe's facts (never a default). */
export function traceHostEvidence(inv: InventoryHost, facts: HostFacts, agent: NeutronAgent | undefined): HostEvidence {
  const unknown: NonNullable<HostEvidence['unknown']> = {}
  const ovsRunning = facts.ovs.vswitchdRunning
  if (ovsRunning === null) unknown.ovsRunning = facts.ovs.runningDetail ?? probeWhy(facts, 'ovsDaemon')
  const bond = facts.bond
  if (!bond)
    unknown.bond =
      facts.ovs.bonds === null
        ? `the OVS tables were not read: ${ovsTablesWhy(facts)}`
        : 'the host has no bond (ovs-vsctl lists no bonded port, /proc/net/bonding none)'
  const links = facts.links
  return {
    name: inv.name,
    az: inv.az,
    role: inv.role,
    plugging: inv.plugging,
    ovsPresent: inv.role !== 'baremetal',
    ovsRunning,
    agentAlive: agent ? agent.alive : null,
    agentHeartbeatAt: agent?.heartbeat_timestamp ?? null,
    bond: bond?.name ?? null,
    nics: inv.nics.map(n => {
      // A bond member: its link and OVS's enabled state (the probe's nics); else its link alone; a NIC that is no
      // link of a host whose links were read is not up.
      const read =
        facts.nics?.find(x => x.name === n.name)?.up ?? (links ? links.some(l => l.name === n.name && l.up) : null)
      return {
        name: n.name,
        switch: n.leaf,
        interface: n.interface,
        up: read,
        ...(read === null ? {upUnknown: `ip -j -d link was not read: ${probeWhy(facts, 'links')}`} : {}),
      }
    }),
    // The member bond/show names as active (every mode names one; none when no member is enabled, or not read).
    activeMember: bond?.activeMember ?? null,
    bridges: bridgesOf(facts),
    ...(Object.keys(unknown).length > 0 ? {unknown} : {}),
  }
}

/**
 * How a port is plugged into a host with OVS, from the probe's facts: the device carrying its iface-id on br-int
 * (its OpenFlow port and local VLAN tag), the host end, the qbr devices of legacy plugging; and the underlay as br-int
 * shows it. The OVS tables or links not read: `wiringUnknown` / `hostEndUnknown`, not a missing device.
 */
export function traceAttachment(
  host: HostEvidence,
  facts: HostFacts,
  portId: string,
  instanceKind: InstanceKind | null,
): {attachment: AttachmentEvidence; underlay: PortEvidence['underlay']} {
  const id11 = portId.slice(0, 11)
  const interfaces = facts.ovs.interfaces
  const iface = interfaces?.find(x => x.ifaceId === portId)
  // The device Neutron names (tap…/qvo…) when none carries the port's iface-id (or the tables were not read).
  const device = iface?.name ?? (host.plugging === 'qbr' ? `qvo${id11}` : `tap${id11}`)
  const dev = interfaces?.find(x => x.name === device)
  const onBrInt = dev && dev.bridge === host.bridges.int && dev.ofport !== null && dev.ofport > 0 ? dev : undefined
  const localVlan = typeof onBrInt?.tag === 'number' ? onBrInt.tag : 0
  const links = facts.links
  const attachment: AttachmentEvidence = {
    vnic: 'eth0',
    hostEnd: `tap${id11}`,
    hostEndKind: instanceKind === 'vm' ? 'tap' : 'veth',
    hostEndPresent: links ? links.some(l => l.name === `tap${id11}`) : null,
    ...(links ? {} : {hostEndUnknown: `ip -j -d link was not read: ${probeWhy(facts, 'links')}`}),
    qbr: host.plugging === 'qbr' ? {bridge: `qbr${id11}`, qvb: `qvb${id11}`, qvo: `qvo${id11}`} : null,
    brInt: onBrInt ? {device, localVlan, ofport: onBrInt.ofport!} : null,
    ...(interfaces ? {} : {wiringUnknown: `the OVS tables were not read: ${ovsTablesWhy(facts)}`}),
  }
  return {attachment, underlay: onBrInt ? (localVlan > 0 ? 'ACTIVE' : 'BUILD') : 'DOWN'}
}

// --- gathering ----------------------------------------------------------------------------------

interface Endpoint {
  ref: string
  port: NeutronPort
  net: NeutronNetwork
  subnet: NeutronSubnet | undefined
  invHost: InventoryHost | undefined
}

function flowMatch(spec: FlowSpec, srcIp: string, dstIp: string, smac: string, dmac: string): string {
  const l3 = `nw_src=${srcIp},nw_dst=${dstIp}`
  const proto = spec.proto === 'icmp' ? `icmp,${l3}` : `${spec.proto},${l3},tp_src=${spec.sport},tp_dst=${spec.dport}`
  return `${proto},dl_src=${smac},dl_dst=${dmac}`
}

export async function liveTraceEvidence(
  ctx: LiveContext,
  sources: {leafDrivers: Pick<LeafDriverRegistry, 'open'>; hostProbe: HostProbe},
  srcRef: string,
  dstRef: string,
  spec: FlowSpec,
): Promise<TraceEvidence> {
  const inv = ctx.inventory
  const ports = await Promise.all([resolveLivePort(ctx, srcRef, 'SRC'), resolveLivePort(ctx, dstRef, 'DST')])
  // Networks and subnets are fetched while the SSH sessions open (hosts come from the ports' bindings).
  const netsP = Promise.all([
    Promise.all(
      [...new Set(ports.map(p => p.network_id))].map(id =>
        neutronRequest<{network: NeutronNetwork}>(ctx, 'GET', `/v2.0/networks/${id}`).then(r => r.network),
      ),
    ),
    neutronRequest<{subnets: NeutronSubnet[]}>(
      ctx,
      'GET',
      `/v2.0/subnets?${[...new Set(ports.map(p => `network_id=${p.network_id}`))].join('&')}`,
    ).then(r => r.subnets),
  ])
  netsP.catch(() => {}) // awaited below; keep an early failure from being reported as unhandled
  const hostOf = (p: NeutronPort) => inv.hosts.find(h => h.name === p['binding:host_id'])
  const azName = hostOf(ports[0])?.az ?? inv.azs[0]?.name ?? 'default'
  const dstAz = hostOf(ports[1])?.az
  if (hostOf(ports[0]) && dstAz && dstAz !== azName) {
    throw usageError(
      'TRACE_CROSS_AZ',
      `${srcRef} is in ${azName} and ${dstRef} in ${dstAz}; a trace stays within one availability zone.`,
      `${srcRef} ${dstRef}`,
      'Trace two ports of the same AZ.',
    )
  }
  const topology = inv.azs.find(a => a.name === azName)?.topology ?? 'spine-leaf'
  const evidenceFromHosts = readHostsAndLeaves(ctx, sources, ports.map(hostOf))
  evidenceFromHosts.catch(() => {})
  const [nets, subnets] = await netsP.catch(async (error: unknown) => {
    for (const sess of (await evidenceFromHosts.catch(() => null))?.sessions.values() ?? []) sess.close()
    throw error
  })
  const ends: Endpoint[] = ports.map((port, i) => {
    const ip = port.fixed_ips.find(f => IPV4.test(f.ip_address))
    return {
      ref: i === 0 ? srcRef : dstRef,
      port,
      net: nets.find(n => n.id === port.network_id)!,
      subnet:
        subnets.find(s => s.id === ip?.subnet_id) ??
        subnets.find(s => s.network_id === port.network_id && s.ip_version === 4),
      invHost: hostOf(port),
    }
  })
  const {sessions, leafReads, leafNames, agents} = await evidenceFromHosts
  try {
    // --- networks: VLAN from Neutron, VNI from the leaves (the VNI holding the gateway, or on the VLAN) ----
    const reads = [...leafReads.values()]
    // The gateway's MAC (the routed frame's destination in the host traces): the leaf gateway's, else the
    // fabric's anycast MAC (declared or read); unknown: the routed host traces are not run (said in the hop).
    const gwMac = (gw: string | null | undefined) => gatewayMac(reads, gw, ctx.overlay.anycastMac)
    const netEv = ends.map(e => {
      const vlan = e.net['provider:network_type'] === 'vlan' ? (e.net['provider:segmentation_id'] ?? 0) : 0
      const vni = networkVni(reads, e.subnet?.gateway_ip, vlan)
      return {
        name: e.net.name || e.net.id,
        az: azName,
        tenant: e.net.project_id ?? e.net.tenant_id ?? 'default',
        vrf: null,
        l3Vni: null,
        vlan,
        ...(vni.vni === null ? {l2Vni: null, l2VniUnknown: vni.reason} : {l2Vni: vni.vni}),
        cidr: e.subnet?.cidr ?? '',
        gateway: e.subnet?.gateway_ip ?? '',
      }
    })

    // --- agents: Neutron's OVS agent for the host, when one reports ----------------------------------

    const endpoints: EndpointEvidence[] = []
    for (const [i, e] of ends.entries()) {
      const ip = e.port.fixed_ips.find(f => IPV4.test(f.ip_address))?.ip_address ?? ''
      const instance =
        inv.instances.find(x => x.portId === e.port.id) ?? inv.instances.find(x => x.name === e.port.name)
      const hostName = e.port['binding:host_id'] || null
      const facts = hostName ? sessions.get(hostName)?.facts : undefined
      const agent = agents.find(a => a.host === hostName && /open vswitch/i.test(a.agent_type))
      let host: HostEvidence | null = null
      let attachment: AttachmentEvidence | null = null
      let underlay: PortEvidence['underlay'] = 'DOWN'
      if (e.invHost && facts) {
        host = traceHostEvidence(e.invHost, facts, agent)
        if (host.ovsPresent) ({attachment, underlay} = traceAttachment(host, facts, e.port.id, instance?.kind ?? null))
      }
      endpoints.push({
        ref: e.ref,
        port: {
          id: e.port.id,
          name: e.port.name || e.port.id,
          ip,
          mac: e.port.mac_address,
          network: netEv[i]!.name,
          host: hostName,
          instance: instance?.name ?? null,
          // Live Neutron keeps no UNDERLAY_OVERLAY state: the underlay is what br-int shows; the overlay is proven hop by hop on the leaves.
          underlay: host?.ovsPresent === false ? 'ACTIVE' : underlay,
          overlay: hostName ? 'ACTIVE' : 'DOWN',
        },
        instanceKind: instance?.kind ?? null,
        network: netEv[i]!,
        host,
        attachment,
      })
    }

    // --- the in-host verdicts: ofproto/trace through br-int (and the patch into br-bond) -------------
    const [src, dst] = endpoints as [EndpointEvidence, EndpointEvidence]
    const sameNet = src.network.name === dst.network.name
    const local = sameNet && src.port.host !== null && src.port.host === dst.port.host
    // A routed frame is addressed to the gateway's MAC; when it is unknown, the host trace is not run (not guessed).
    const srcGwMac = sameNet ? null : gwMac(src.network.gateway)
    const dstGwMac = sameNet ? null : gwMac(dst.network.gateway)
    const notTraced = (bridge: string, reason: string): InHostVerdict => ({
      ok: false,
      unknown: `${bridge}'s verdict was not traced: ${reason}`,
      detail: `not traced: ${reason}`,
      source: `ovs-appctl ofproto/trace ${bridge} (not run)`,
    })
    // The datapath port numbers of ofproto/trace's actions, named through dpif/show (read by the probe).
    const dpName = (dpif: DpifPort[], dp: number) => dpif.find(p => p.dp === dp)?.name ?? `dp${dp}`
    const noDpif = (facts: HostFacts) =>
      `the datapath's ports were not read, so its datapath actions cannot be named (${probeWhy(facts, 'ovsDpif')})`
    const outbound = async () => {
      if (src.attachment?.brInt && src.host) {
        if (srcGwMac && srcGwMac.mac === null) {
          src.attachment.verdictOut = notTraced(src.host.bridges.int, srcGwMac.reason)
          return
        }
        const session = sessions.get(src.host.name)!
        const dpif = session.facts.dpif
        if (!dpif) {
          src.attachment.verdictOut = notTraced(src.host.bridges.int, noDpif(session.facts))
          return
        }
        const match = flowMatch(spec, src.port.ip, dst.port.ip, src.port.mac, srcGwMac?.mac ?? dst.port.mac)
        const t = await session.ofprotoTrace(src.host.bridges.int, `in_port=${src.attachment.brInt.ofport},${match}`)
        const acts = parseDatapathActions(t.text)
        const outs = (acts?.outputs ?? []).map(o => ({...o, name: dpName(dpif, o.dp)}))
        const target = local ? dst.attachment?.brInt?.device : undefined
        const nic = outs.find(o => src.host!.nics.some(n => n.name === o.name))
        const ok = !!acts && !acts.drop && (local ? outs.some(o => o.name === target) : !!nic)
        if (nic && !local) src.host.activeMember = nic.name
        src.attachment.verdictOut = {
          ...verdictOf(acts, outs, ok, t.command, local ? `to ${target}` : 'to a bond member NIC'),
          ...(nic ? {wireVlan: nic.vlan} : {}),
        }
      }
    }
    const inbound = async () => {
      if (local || !dst.attachment?.brInt || !dst.host) return
      const session = sessions.get(dst.host.name)!
      const facts = session.facts
      const bridge = dst.host.bridges.bond
      const dpif = facts.dpif
      if (!dpif) {
        dst.attachment.verdictIn = notTraced(bridge, noDpif(facts))
        return
      }
      // The frame enters by the member the bond names as active, else one known up (never an assumed one).
      const inNic = dst.host.activeMember ?? dst.host.nics.find(n => n.up === true)?.name
      const inPort = dpif.find(p => p.bridge === bridge && p.name === inNic)
      if (inPort?.ofport == null) {
        dst.attachment.verdictIn = notTraced(
          bridge,
          inNic
            ? `${inNic} is not an OpenFlow port of ${bridge} in dpif/show`
            : `no member of the bond is known up or active on ${dst.host.name}`,
        )
        return
      }
      if (dstGwMac && dstGwMac.mac === null) {
        dst.attachment.verdictIn = notTraced(bridge, dstGwMac.reason)
        return
      }
      // The VLAN the frame arrives with, as the flows installed say: the source host's br-bond wrote it
      // (its outbound ofproto/trace), and br-int here translates it to the device's local VLAN
      // (dump-flows: in_port=<patch>,dl_vlan=<segment> → mod_vlan_vid:<local>). Untagged and the
      // network's VLAN are tried last, for hosts without such flows; br-int's flows not read (and no
      // source trace to go by): not traced, not guessed.
      const sourceWire = sameNet ? src.attachment?.verdictOut?.wireVlan : undefined
      if (sourceWire === undefined && facts.brIntTranslations === null) {
        dst.attachment.verdictIn = notTraced(
          bridge,
          `br-int's flows were not read, so the VLAN the frame arrives with is not known (${probeWhy(facts, 'brIntFlows')})`,
        )
        return
      }
      const inMatch = flowMatch(spec, src.port.ip, dst.port.ip, dstGwMac?.mac ?? src.port.mac, dst.port.mac)
      const candidates = wireVlanCandidates(
        sourceWire,
        facts.brIntTranslations ?? [],
        dst.attachment.brInt.localVlan,
        dst.network.vlan,
      )
      let wireVlan: number | null = null
      let t: FlowTraceResult | undefined
      let acts: ReturnType<typeof parseDatapathActions> = null
      const device = dst.attachment.brInt.device
      const delivers = (a: typeof acts) => !!a && a.outputs.some(o => dpName(dpif, o.dp) === device)
      for (const v of candidates) {
        const tried = await session.ofprotoTrace(
          bridge,
          `in_port=${inPort.ofport},${v === null ? '' : `dl_vlan=${v},`}${inMatch}`,
        )
        const ta = parseDatapathActions(tried.text)
        if (!t || delivers(ta)) {
          t = tried
          acts = ta
          wireVlan = v
        }
        if (delivers(ta)) break
      }
      const outs = (acts?.outputs ?? []).map(o => ({...o, name: dpName(dpif, o.dp)}))
      dst.attachment.verdictIn = {
        ...verdictOf(acts, outs, delivers(acts), t!.command, `to ${device}`),
        ...(delivers(acts) ? {wireVlan} : {}),
      }
    }
    // Outbound first: the VLAN the source's flows put on the wire is what the destination's trace starts from.
    await outbound()
    await inbound()

    // --- switches: the leaves as their drivers read them, the spines by the leaves' EVPN sessions ----------
    const leavesEv = leafSwitches(inv.leaves, leafNames, leafReads)
    const spinesEv = spineSwitches(inv.spines, azName, reads)
    const switches: SwitchEvidence[] = [...leavesEv.switches, ...spinesEv.switches]
    const warnings = [...leavesEv.warnings, ...spinesEv.warnings]
    return {backend: 'live', context: ctx.name, az: {name: azName, topology}, src, dst, switches, warnings}
  } finally {
    for (const s of sessions.values()) s.close()
  }
}

/** The two hosts through the probe (one session each, kept open for ofproto/trace) and the leaves through their drivers, in parallel, plus Neutron's agents. */
async function readHostsAndLeaves(
  ctx: LiveContext,
  sources: {leafDrivers: Pick<LeafDriverRegistry, 'open'>; hostProbe: HostProbe},
  hosts: (InventoryHost | undefined)[],
) {
  const inv = ctx.inventory
  const sessions = new Map<string, HostSession>()
  const hostNames = [...new Set(hosts.map(h => h?.name).filter((h): h is string => !!h))]
  const leafNames = [...new Set(hosts.flatMap(h => h?.nics.map(n => n.leaf) ?? []))].filter(n =>
    inv.leaves.some(l => l.name === n),
  )
  // The leaves through the fabric's drivers (a leaf that cannot be read is a reading with the error).
  let leafReads = new Map<string, LeafReading>()
  // Neutron's OVS agents (when any report), read while the hosts are probed.
  const agentsP = neutronRequest<{agents: NeutronAgent[]}>(ctx, 'GET', '/v2.0/agents')
    .then(r => r.agents)
    .catch(() => [])
  // allSettled: every session that opens is known (and closed on failure) before this returns.
  const settled = await Promise.allSettled([
    ...hostNames.map(async name => {
      const h = inv.hosts.find(x => x.name === name)!
      try {
        const target = {name, az: h.az, address: h.address}
        sessions.set(
          name,
          await openHostSession(sources.hostProbe, target, {facts: 'trace', timeoutMs: HOST_OPEN_TIMEOUT_MS}),
        )
      } catch (error) {
        throw new FabricError({
          code: 'HOST_UNREACHABLE',
          message: `Cannot read host ${name} over SSH: ${(error as Error).message}`,
          value: name,
          hint: 'The in-host hops of a live trace come from the host itself; check SSH to it (`fabricctl audit hosts` shows the same failure).',
          exitCode: EXIT.PARTIAL,
          cause: error,
        })
      }
    }),
    readLeavesThrough(sources.leafDrivers, leafNames, {peers: true}).then(r => {
      leafReads = r
    }),
  ])
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed) {
    for (const s of sessions.values()) s.close()
    throw failed.reason
  }
  return {sessions, leafReads, leafNames, agents: await agentsP}
}

/**
 * The VLANs to try, in order, for a frame arriving at a host's bond: when the source host was traced
 * on the same network, only the one its flows put on the wire (its outbound ofproto/trace; null =
 * untagged); else each segment VLAN that this host's br-int flows translate into the device's local
 * VLAN (dump-flows), then untagged, then the network's VLAN (hosts without such flows).
 */
export function wireVlanCandidates(
  sourceWire: number | null | undefined,
  brIntTranslations: VlanTranslation[],
  localVlan: number,
  networkVlan: number,
): (number | null)[] {
  // What the source's flows put on the wire is what arrives (same network, bridged end to end): only that.
  if (sourceWire !== undefined) return [sourceWire]
  const fromFlows = brIntTranslations.filter(x => x.toVlan === localVlan).map(x => x.fromVlan)
  const out: (number | null)[] = []
  for (const v of [...fromFlows, null, networkVlan]) if (!out.includes(v)) out.push(v)
  return out
}

function verdictOf(
  acts: ReturnType<typeof parseDatapathActions>,
  outs: {name: string; vlan: number | null}[],
  ok: boolean,
  cmd: string,
  want: string,
): InHostVerdict {
  if (!acts) return {ok: false, detail: 'ofproto/trace printed no datapath actions', source: cmd}
  const shown = outs.map(o => `${o.name}${o.vlan === null ? '' : ` (vlan ${o.vlan})`}`).join(', ')
  return {
    ok,
    detail: `Datapath actions: ${acts.line}${shown ? ` → ${shown}` : ''}${ok ? '' : `; nothing ${want}`}`,
    source: cmd,
  }
}
