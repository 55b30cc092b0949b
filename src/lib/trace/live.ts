import {FabricError, notFound, usageError} from '../cli/errors.js'
import {EXIT} from '../cli/exit-codes.js'
import type {LiveContext} from '../context/schema.js'
import {neutronRequest} from '../live/neutron/http.js'
import type {SshSession, SshTarget} from '../live/ssh.js'
import {type LeafReading, readLeavesThrough} from '../leaf/observe.js'
import type {LeafDriverRegistry} from '../seam/leaf-drivers.js'
import {DEFAULT_BRIDGES} from './bridges.js'
import {gatewayMac, leafSwitches, networkVni, spineSwitches} from './leaves.js'
import {
  type BondShow,
  type DpifPort,
  parseBondShow,
  parseDatapathActions,
  parseDpifShow,
  parseDumpFlows,
  parseOvsdbList,
  type VlanTranslation,
  vlanTranslations,
} from '../backends/live/parse/index.js'
import type {
  AttachmentEvidence,
  EndpointEvidence,
  FlowSpec,
  HostEvidence,
  InHostVerdict,
  SwitchEvidence,
  TraceEvidence,
} from './types.js'

/**
 * Evidence for a trace from a live fabric: Neutron for the ports and networks, the hosts over SSH
 * (ovs-vsctl for the wiring, ovs-appctl dpif/show + bond/show, `ip -j link`, and
 * `ovs-appctl ofproto/trace` for the in-host verdict, its datapath ports mapped through dpif/show),
 * the leaves through the fabric's leaf drivers (`fabric.leafDrivers.open`: the driver's parsed model of
 * what the leaf carries, its VTEP fact and its EVPN sessions; src/lib/trace/leaves.ts turns them into evidence).
 */

const SEP = '@@fabricctl-trace@@'

interface NeutronPort {
  id: string
  name: string
  network_id: string
  mac_address: string
  status: string
  device_id: string
  fixed_ips: {subnet_id: string; ip_address: string}[]
  'binding:host_id'?: string
  project_id?: string
  tenant_id?: string
}
interface NeutronNetwork {
  id: string
  name: string
  project_id?: string
  tenant_id?: string
  'provider:network_type'?: string
  'provider:segmentation_id'?: number | null
}
interface NeutronSubnet {
  id: string
  network_id: string
  cidr: string
  gateway_ip: string | null
  ip_version: number
}

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

// --- parsing command output (exported for tests) ------------------------------------------------

// The one parser per command output lives in backends/live/parse (re-exported for the tests that import them here).
export {parseDatapathActions, parseDpifShow as parseDpif} from '../backends/live/parse/index.js'
export type {DpifPort} from '../backends/live/parse/index.js'

// --- gathering ----------------------------------------------------------------------------------

const HOST_SCRIPT = [
  'ovs-vsctl --timeout=5 --format=json --columns=name,ofport,external_ids,link_state list Interface',
  'ovs-vsctl --timeout=5 --format=json --columns=name,tag list Port',
  'ovs-appctl --timeout=5 dpif/show',
  'ovs-appctl --timeout=5 bond/show',
  'ip -j link show',
  `ovs-ofctl --timeout=5 dump-flows ${DEFAULT_BRIDGES.int}`,
].join(`; echo ${SEP}; `)

interface HostFacts {
  interfaces: Record<string, unknown>[]
  ports: Record<string, unknown>[]
  dpif: DpifPort[]
  bonds: BondShow[]
  links: {ifname: string; flags?: string[]}[]
  /** br-int's VLAN translations as installed (the OVS agent's `dl_vlan=<segment> → mod_vlan_vid:<local>`). */
  brIntTranslations: VlanTranslation[]
  ovsRunning: boolean
}

async function readHost(s: SshSession): Promise<HostFacts> {
  const r = await s.exec(HOST_SCRIPT)
  const [ifs = '', ports = '', dpif = '', bond = '', links = '', flows = ''] = r.stdout.split(SEP)
  const safe = <T>(f: () => T, d: T): T => {
    try {
      return f()
    } catch {
      return d
    }
  }
  const dp = parseDpifShow(dpif)
  return {
    interfaces: safe(() => parseOvsdbList(ifs), []),
    ports: safe(() => parseOvsdbList(ports), []),
    dpif: dp,
    bonds: parseBondShow(bond),
    links: safe(() => JSON.parse(links) as {ifname: string; flags?: string[]}[], []),
    brIntTranslations: vlanTranslations(parseDumpFlows(flows)),
    ovsRunning: dp.length > 0,
  }
}

interface Endpoint {
  ref: string
  port: NeutronPort
  net: NeutronNetwork
  subnet: NeutronSubnet | undefined
  invHost: LiveContext['inventory']['hosts'][number] | undefined
}

function flowMatch(spec: FlowSpec, srcIp: string, dstIp: string, smac: string, dmac: string): string {
  const l3 = `nw_src=${srcIp},nw_dst=${dstIp}`
  const proto = spec.proto === 'icmp' ? `icmp,${l3}` : `${spec.proto},${l3},tp_src=${spec.sport},tp_dst=${spec.dport}`
  return `${proto},dl_src=${smac},dl_dst=${dmac}`
}

async function ofprotoTrace(s: SshSession, bridge: string, match: string): Promise<{cmd: string; text: string}> {
  const cmd = `ovs-appctl --timeout=10 ofproto/trace ${bridge} '${match}'`
  const r = await s.exec(cmd)
  return {cmd: `ovs-appctl ofproto/trace ${bridge} ${match}`, text: `${r.stdout}\n${r.stderr}`}
}

export async function liveEvidence(
  ctx: LiveContext,
  leafDrivers: Pick<LeafDriverRegistry, 'open'>,
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
  const evidenceFromHosts = readHostsAndLeaves(ctx, leafDrivers, ports.map(hostOf))
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
  const {sessions, hostFacts, leafReads, leafNames, agents} = await evidenceFromHosts
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
      const facts = hostName ? hostFacts.get(hostName) : undefined
      const agent = agents.find(a => a.host === hostName && /open vswitch/i.test(a.agent_type))
      let host: HostEvidence | null = null
      let attachment: AttachmentEvidence | null = null
      let underlay: 'ACTIVE' | 'BUILD' | 'DOWN' = 'DOWN'
      if (e.invHost && facts) {
        const bond = facts.bonds[0]
        const linkUp = (n: string) => (facts.links.find(l => l.ifname === n)?.flags ?? []).includes('LOWER_UP')
        host = {
          name: e.invHost.name,
          az: e.invHost.az,
          role: e.invHost.role,
          plugging: e.invHost.plugging,
          ovsPresent: e.invHost.role !== 'baremetal',
          ovsRunning: facts.ovsRunning,
          agentAlive: agent ? agent.alive : null,
          agentHeartbeatAt: agent?.heartbeat_timestamp ?? null,
          bond: bond?.name ?? 'bond0',
          nics: e.invHost.nics.map(n => ({
            name: n.name,
            switch: n.leaf,
            interface: n.interface,
            up: bond?.members.find(m => m.name === n.name)?.enabled ?? linkUp(n.name),
          })),
          // The member bond/show names as active (every mode names one; none when no member is enabled).
          activeMember: bond?.activeMember ?? null,
          bridges: {...DEFAULT_BRIDGES},
        }
        if (host.ovsPresent) {
          const id11 = e.port.id.slice(0, 11)
          const iface = facts.interfaces.find(
            x => (x.external_ids as Record<string, string> | null)?.['iface-id'] === e.port.id,
          )
          const device = (iface?.name as string | undefined) ?? (host.plugging === 'qbr' ? `qvo${id11}` : `tap${id11}`)
          const onBrInt = facts.dpif.find(p => p.bridge === host!.bridges.int && p.name === device)
          const tag = facts.ports.find(p => p.name === device)?.tag
          const localVlan = typeof tag === 'number' ? tag : 0
          underlay = onBrInt ? (localVlan > 0 ? 'ACTIVE' : 'BUILD') : 'DOWN'
          attachment = {
            vnic: 'eth0',
            hostEnd: `tap${id11}`,
            hostEndKind: instance?.kind === 'vm' ? 'tap' : 'veth',
            hostEndPresent: facts.links.some(l => l.ifname === `tap${id11}`),
            qbr: host.plugging === 'qbr' ? {bridge: `qbr${id11}`, qvb: `qvb${id11}`, qvo: `qvo${id11}`} : null,
            brInt: onBrInt && onBrInt.ofport !== null ? {device, localVlan, ofport: onBrInt.ofport} : null,
          }
        }
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
    const dpName = (facts: HostFacts, dp: number) => facts.dpif.find(p => p.dp === dp)?.name ?? `dp${dp}`
    const outbound = async () => {
      if (src.attachment?.brInt && src.host) {
        if (srcGwMac && srcGwMac.mac === null) {
          src.attachment.verdictOut = notTraced(src.host.bridges.int, srcGwMac.reason)
          return
        }
        const match = flowMatch(spec, src.port.ip, dst.port.ip, src.port.mac, srcGwMac?.mac ?? dst.port.mac)
        const facts = hostFacts.get(src.host.name)!
        const t = await ofprotoTrace(
          sessions.get(src.host.name)!,
          src.host.bridges.int,
          `in_port=${src.attachment.brInt.ofport},${match}`,
        )
        const acts = parseDatapathActions(t.text)
        const outs = (acts?.outputs ?? []).map(o => ({...o, name: dpName(facts, o.dp)}))
        const target = local ? dst.attachment?.brInt?.device : undefined
        const nic = outs.find(o => src.host!.nics.some(n => n.name === o.name))
        const ok = !!acts && !acts.drop && (local ? outs.some(o => o.name === target) : !!nic)
        if (nic && !local) src.host.activeMember = nic.name
        src.attachment.verdictOut = {
          ...verdictOf(acts, outs, ok, t.cmd, local ? `to ${target}` : 'to a bond member NIC'),
          ...(nic ? {wireVlan: nic.vlan} : {}),
        }
      }
    }
    const inbound = async () => {
      if (!local && dst.attachment?.brInt && dst.host) {
        const facts = hostFacts.get(dst.host.name)!
        const inNic = dst.host.activeMember ?? dst.host.nics.find(n => n.up)?.name
        const inPort = facts.dpif.find(p => p.bridge === dst.host!.bridges.bond && p.name === inNic)
        if (inPort?.ofport != null && dstGwMac && dstGwMac.mac === null)
          dst.attachment.verdictIn = notTraced(dst.host.bridges.bond, dstGwMac.reason)
        else if (inPort?.ofport != null) {
          const inMatch = flowMatch(spec, src.port.ip, dst.port.ip, dstGwMac?.mac ?? src.port.mac, dst.port.mac)
          // The VLAN the frame arrives with, as the flows installed say: the source host's br-bond wrote it
          // (its outbound ofproto/trace), and br-int here translates it to the device's local VLAN
          // (dump-flows: in_port=<patch>,dl_vlan=<segment> → mod_vlan_vid:<local>). Untagged and the
          // network's VLAN are tried last, for hosts without such flows.
          const candidates = wireVlanCandidates(
            sameNet ? src.attachment?.verdictOut?.wireVlan : undefined,
            facts.brIntTranslations,
            dst.attachment.brInt.localVlan,
            dst.network.vlan,
          )
          let wireVlan: number | null = null
          let t: {cmd: string; text: string} | undefined
          let acts: ReturnType<typeof parseDatapathActions> = null
          const delivers = (a: typeof acts) =>
            !!a && a.outputs.some(o => dpName(facts, o.dp) === dst.attachment!.brInt!.device)
          for (const v of candidates) {
            const tried = await ofprotoTrace(
              sessions.get(dst.host.name)!,
              dst.host.bridges.bond,
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
          const outs = (acts?.outputs ?? []).map(o => ({...o, name: dpName(facts, o.dp)}))
          dst.attachment.verdictIn = {
            ...verdictOf(acts, outs, delivers(acts), t!.cmd, `to ${dst.attachment.brInt.device}`),
            ...(delivers(acts) ? {wireVlan} : {}),
          }
        }
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

/** SSH to both hosts, the leaves they are cabled to through their drivers, in parallel, plus Neutron's agents. */
async function readHostsAndLeaves(
  ctx: LiveContext,
  leafDrivers: Pick<LeafDriverRegistry, 'open'>,
  hosts: (LiveContext['inventory']['hosts'][number] | undefined)[],
) {
  const inv = ctx.inventory
  const {SshSession} = await import('../live/ssh.js')
  const sessions = new Map<string, SshSession>()
  const open = async (t: SshTarget) => {
    const s = await SshSession.open(ctx, t)
    sessions.set(t.name, s)
    return s
  }
  const hostNames = [...new Set(hosts.map(h => h?.name).filter((h): h is string => !!h))]
  const leafNames = [...new Set(hosts.flatMap(h => h?.nics.map(n => n.leaf) ?? []))].filter(n =>
    inv.leaves.some(l => l.name === n),
  )
  const hostFacts = new Map<string, HostFacts>()
  // The leaves through the fabric's drivers (a leaf that cannot be read is a reading with the error).
  let leafReads = new Map<string, LeafReading>()
  // Neutron's OVS agents (when any report), read while the SSH sessions open.
  const agentsP = neutronRequest<{
    agents: {host: string; alive: boolean; agent_type: string; heartbeat_timestamp?: string}[]
  }>(ctx, 'GET', '/v2.0/agents')
    .then(r => r.agents)
    .catch(() => [])
  // allSettled: every session that opens is known (and closed on failure) before this returns.
  const settled = await Promise.allSettled([
    ...hostNames.map(async name => {
      const h = inv.hosts.find(x => x.name === name)!
      try {
        hostFacts.set(name, await readHost(await open({name, address: h.address, port: h.port})))
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
    readLeavesThrough(leafDrivers, leafNames, {peers: true}).then(r => {
      leafReads = r
    }),
  ])
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed) {
    for (const s of sessions.values()) s.close()
    throw failed.reason
  }
  return {sessions, hostFacts, leafReads, leafNames, agents: await agentsP}
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
