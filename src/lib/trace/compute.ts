import {flowKey, fnv1a, pickByHash, VXLAN_PORT, vxlanSourcePort} from './hash.js'
import type {
  CauseCode,
  EndpointEvidence,
  Encapsulation,
  Flow,
  FlowSpec,
  InHostVerdict,
  NicEvidence,
  Segment,
  SwitchEvidence,
  Trace,
  TraceEndpoint,
  TraceEvidence,
  TraceHop,
} from './types.js'

/**
 * Compute the path of one flow from evidence: pure (no I/O, no clock), so the simulated and the
 * live backends share it and a test can feed it any evidence. The rules are in docs/trace.md.
 */

interface Fail {
  cause: CauseCode
  reason: string
}

/** A hop before numbering and verdict: the first failing check of this hop, if any, in `fail`. */
type Draft = Omit<TraceHop, 'n' | 'status' | 'cause' | 'reason'> & {fail: Fail | null}

/** The hop's `unknown`: the reasons given, joined; undefined when there is none. */
function unknowns(...why: (string | null | false | undefined)[]): string | undefined {
  const given = why.filter((w): w is string => !!w)
  return given.length ? given.join('; ') : undefined
}

const NO_ENCAP: Encapsulation = {vlan: null, vni: null, vrf: null, outer: null}
const vlanOnly = (vlan: number | null): Encapsulation => ({...NO_ENCAP, vlan})

/** Run checks in order; the first that fails is the hop's failure. */
function firstFail(...checks: (Fail | null | false | undefined)[]): Fail | null {
  for (const c of checks) if (c) return c
  return null
}

class PathBuilder {
  readonly hops: Draft[] = []
  complete = true

  add(d: Omit<Draft, 'fail' | 'evidence'> & {fail?: Fail | null; evidence?: string | null}): Draft {
    const {unknown, ...rest} = d
    const draft: Draft = {...rest, fail: d.fail ?? null, evidence: d.evidence ?? null, ...(unknown ? {unknown} : {})}
    this.hops.push(draft)
    return draft
  }

  /** A hop where the path cannot go on (no route, no link): it fails and nothing follows. */
  end(d: Omit<Draft, 'fail' | 'evidence'> & {fail: Fail; evidence?: string | null}): void {
    this.add(d)
    this.complete = false
  }
}

const state = (e: EndpointEvidence) => `${e.port.underlay}_${e.port.overlay}`

function who(e: EndpointEvidence): string {
  return `port ${e.port.name} (${e.port.ip})`
}

export function computeTrace(ev: TraceEvidence, spec: FlowSpec): Trace {
  const {src, dst} = ev
  const flow: Flow = {
    proto: spec.proto,
    srcIp: src.port.ip,
    dstIp: dst.port.ip,
    sport: spec.proto === 'icmp' ? 0 : spec.sport,
    dport: spec.proto === 'icmp' ? 0 : spec.dport,
  }
  const key = flowKey(flow)
  const sw = new Map(ev.switches.map(s => [s.name, s]))
  const sameNet = src.network.name === dst.network.name
  const sameTenant = src.network.tenant === dst.network.tenant
  const route: Trace['route'] = !sameTenant
    ? 'none'
    : !sameNet
      ? 'routed'
      : src.port.host !== null && src.port.host === dst.port.host && src.host?.ovsPresent
        ? 'local'
        : 'bridged'
  const b = new PathBuilder()
  let ecmp: Trace['ecmp'] = null

  const build = () => {
    // --- the source end, up to its bond -----------------------------------------------------
    if (!src.port.host) {
      return b.end({
        node: '(unbound)',
        nodeKind: 'host',
        device: src.attachment?.vnic ?? 'eth0',
        kind: 'vnic',
        plane: 'underlay',
        segment: 'src-end',
        encap: NO_ENCAP,
        action: 'send',
        fail: {
          cause: 'PORT_UNBOUND',
          reason: `${who(src)} is bound to no host (binding:host_id is empty); nothing can send from it.`,
        },
      })
    }
    if (!src.host) {
      return b.end({
        node: src.port.host,
        nodeKind: 'host',
        device: 'eth0',
        kind: 'vnic',
        plane: 'underlay',
        segment: 'src-end',
        encap: NO_ENCAP,
        action: 'send',
        fail: {
          cause: 'HOST_UNKNOWN',
          reason: `${who(src)} is bound to host ${src.port.host}, which the fabric does not know.`,
        },
      })
    }
    if (route === 'local') return localPath(b, src, dst)
    const srcNic = hostOut(b, src, key)
    if (!srcNic) return

    // --- the source end's switch port ---------------------------------------------------------
    const ingress = sw.get(srcNic.switch)
    if (!ingress) {
      return b.end({
        node: srcNic.switch,
        nodeKind: 'leaf',
        device: srcNic.interface,
        kind: 'switch-port',
        plane: 'underlay',
        segment: 'src-end',
        encap: vlanOnly(src.network.vlan),
        action: 'receive',
        fail: {
          cause: 'NO_UPLINK',
          reason: `${srcNic.name} of ${src.host.name} is cabled to ${srcNic.switch}, which the fabric does not know.`,
        },
      })
    }
    b.add({
      node: ingress.name,
      nodeKind: ingress.role,
      device: srcNic.interface,
      kind: 'switch-port',
      plane: 'underlay',
      segment: 'src-end',
      encap: vlanOnly(src.network.vlan),
      action: `receive ${wire(src.attachment?.verdictOut, src.network.vlan)} from ${src.host.name} ${srcNic.name}`,
      evidence: ingress.runningSource ?? null,
      fail: firstFail(
        unreachable(ingress),
        vlanMissing(ingress, srcNic.interface, src),
        overlayNotActive(src, ingress),
      ),
    })

    // --- where the destination is -------------------------------------------------------------
    const topology = ev.az.topology
    const edgeKind = topology === 'spine-leaf' ? 'leaf' : 'access'
    if (!dst.port.host || !dst.host) {
      const fail: Fail = !dst.port.host
        ? {
            cause: 'PORT_UNBOUND',
            reason: `destination ${who(dst)} is bound to no host: no switch has learned its MAC or host route.`,
          }
        : {
            cause: 'HOST_UNKNOWN',
            reason: `destination ${who(dst)} is bound to host ${dst.port.host}, which the fabric does not know.`,
          }
      return b.end({
        node: ingress.name,
        nodeKind: ingress.role,
        device: ingress.name,
        kind: edgeKind,
        plane: topology === 'spine-leaf' ? 'overlay' : 'underlay',
        segment: 'fabric',
        encap: vlanOnly(src.network.vlan),
        action: 'look up destination',
        fail,
      })
    }
    // NICs known up (or, when none is, those whose link state was not read: the NIC hop says so).
    const dstUp = usableNics(dst.host.nics).nics
    // An active-backup bond only takes frames on its active member; otherwise the ingress switch
    // delivers on its own link to the host (a shared Ethernet segment) or hashes over the host's links.
    const dstActive = dst.host.activeMember ? dstUp.find(n => n.name === dst.host!.activeMember) : undefined
    let dstNic: NicEvidence | undefined = dstActive ?? dstUp.find(n => n.switch === ingress.name)
    if (!dstNic) dstNic = pickByHash(dstUp, `es|${dst.host.name}`, key)?.chosen
    if (!dstNic) {
      return b.end({
        node: ingress.name,
        nodeKind: ingress.role,
        device: ingress.name,
        kind: edgeKind,
        plane: topology === 'spine-leaf' ? 'overlay' : 'underlay',
        segment: 'fabric',
        encap: vlanOnly(src.network.vlan),
        action: 'look up destination',
        fail: {
          cause: 'HOST_NO_LINK',
          reason: `destination host ${dst.host.name} has no NIC with link up (${dst.host.nics.map(n => n.name).join(', ') || 'none'}): nothing reaches it.`,
        },
      })
    }

    const egress = sw.get(dstNic.switch)
    if (!egress) {
      return b.end({
        node: ingress.name,
        nodeKind: ingress.role,
        device: ingress.name,
        kind: edgeKind,
        plane: 'underlay',
        segment: 'fabric',
        encap: vlanOnly(src.network.vlan),
        action: 'look up destination',
        fail: {
          cause: 'NO_UPLINK',
          reason: `destination host ${dst.host.name} is cabled to ${dstNic.switch}, which the fabric does not know.`,
        },
      })
    }
    const ok =
      topology === 'spine-leaf'
        ? spineLeaf(b, ev, flow, ingress, egress, (e: Trace['ecmp']) => (ecmp = e))
        : hierarchical(b, ev, ingress, egress)
    if (!ok) return

    // --- the destination end ------------------------------------------------------------------
    b.add({
      node: egress.name,
      nodeKind: egress.role,
      device: dstNic.interface,
      kind: 'switch-port',
      plane: 'underlay',
      segment: 'dst-end',
      encap: vlanOnly(dst.network.vlan),
      action: `send ${wire(dst.attachment?.verdictIn, dst.network.vlan)} to ${dst.host.name} ${dstNic.name}`,
      evidence: egress.runningSource ?? null,
      fail: firstFail(vlanMissing(egress, dstNic.interface, dst), overlayNotActive(dst, egress)),
    })
    hostIn(b, dst, dstNic)
  }
  build()

  // --- statuses: everything before the first failing hop passed; nothing after it was reached ---
  let dropAt = -1
  const hops: TraceHop[] = b.hops.map((d, i) => {
    let status: TraceHop['status'] = 'ok'
    if (dropAt >= 0) status = 'not-reached'
    else if (d.fail) {
      dropAt = i
      status = 'drop'
    }
    const {fail, ...rest} = d
    return {
      n: i + 1,
      ...rest,
      status,
      cause: status === 'drop' ? fail!.cause : null,
      reason: status === 'drop' ? fail!.reason : null,
    }
  })
  const dropped = dropAt >= 0 ? hops[dropAt]! : null
  const hostHops = hops.filter(h => h.segment !== 'fabric').length
  return {
    kind: 'Trace',
    schemaVersion: 1,
    context: ev.context,
    backend: ev.backend,
    az: ev.az.name,
    topology: ev.az.topology,
    flow,
    src: endpoint(src),
    dst: endpoint(dst),
    route,
    hops,
    disposition: dropped
      ? {
          result: 'dropped',
          hop: dropped.n,
          node: dropped.node,
          device: dropped.device,
          cause: dropped.cause!,
          reason: dropped.reason!,
        }
      : {result: 'delivered', hop: null, node: null, device: null, cause: null, reason: null},
    ecmp,
    summary: {hostHops, switchHops: hops.length - hostHops, totalHops: hops.length, complete: b.complete},
    warnings: [...ev.warnings],
  }
}

function endpoint(e: EndpointEvidence): TraceEndpoint {
  return {
    ref: e.ref,
    port: {id: e.port.id, name: e.port.name, ip: e.port.ip, mac: e.port.mac, network: e.port.network, state: state(e)},
    instance: e.port.instance,
    instanceKind: e.instanceKind,
    host: e.port.host,
    plugging: e.host ? (e.host.ovsPresent ? e.host.plugging : 'baremetal') : null,
    network: {
      name: e.network.name,
      tenant: e.network.tenant,
      vrf: e.network.vrf,
      vlan: e.network.vlan,
      l2Vni: e.network.l2Vni,
      l3Vni: e.network.l3Vni,
    },
  }
}

/** How the frame crosses the host–leaf link: tagged with the network's VLAN, or untagged when the host's own evidence says so. */
function wire(v: InHostVerdict | undefined, vlan: number): string {
  return v?.wireVlan === null ? `untagged (access port of VLAN ${vlan})` : `tagged VLAN ${v?.wireVlan ?? vlan}`
}

const verdictEvidence = (v: InHostVerdict | undefined): string | null => (v ? `${v.source} → ${v.detail}` : null)

// --- checks -------------------------------------------------------------------------------------

function unreachable(s: SwitchEvidence): Fail | null {
  return s.reachable
    ? null
    : {
        cause: 'LEAF_UNREACHABLE',
        reason: `${s.role} ${s.name} does not answer: its forwarding state cannot be read and it is presumed down.`,
      }
}

function vlanMissing(s: SwitchEvidence, iface: string, e: EndpointEvidence): Fail | null {
  if (!s.running || s.role !== 'leaf') return null
  const vlans = s.running.interfaces[iface]?.vlans ?? []
  return vlans.includes(e.network.vlan)
    ? null
    : {
        cause: 'LEAF_VLAN_MISSING',
        reason: `leaf ${s.name}'s running config does not allow VLAN ${e.network.vlan} (network ${e.network.name}) on ${iface} (allowed: ${vlans.length ? vlans.join(',') : 'none'}).`,
      }
}

function vniMissing(s: SwitchEvidence, e: EndpointEvidence): Fail | null {
  if (!s.running || s.role !== 'leaf') return null
  // The leaves were read and none carries a VNI for the network: that is what this leaf's config says.
  if (e.network.l2Vni === null)
    return e.network.l2VniUnknown === undefined
      ? null
      : {
          cause: 'LEAF_VNI_MISSING',
          reason: `leaf ${s.name}'s running config has no L2 VNI for network ${e.network.name} (VLAN ${e.network.vlan}): ${e.network.l2VniUnknown}.`,
        }
  const v = s.running.vnis[String(e.network.l2Vni)]
  if (v && v.vlan === e.network.vlan) return null
  return {
    cause: 'LEAF_VNI_MISSING',
    reason: v
      ? `leaf ${s.name} maps L2 VNI ${e.network.l2Vni} to VLAN ${v.vlan}, not to VLAN ${e.network.vlan} (network ${e.network.name}).`
      : `leaf ${s.name}'s running config has no L2 VNI ${e.network.l2Vni} (network ${e.network.name}, VLAN ${e.network.vlan}).`,
  }
}

function vrfMissing(s: SwitchEvidence, e: EndpointEvidence): Fail | null {
  if (!s.running || s.role !== 'leaf' || !e.network.vrf) return null
  const v = s.running.vrfs[e.network.vrf]
  if (v && (e.network.l3Vni === null || v.l3Vni === e.network.l3Vni)) return null
  return {
    cause: 'LEAF_VRF_MISSING',
    reason: v
      ? `leaf ${s.name} has VRF ${e.network.vrf} with L3 VNI ${v.l3Vni}, expected ${e.network.l3Vni}.`
      : `leaf ${s.name}'s running config has no VRF ${e.network.vrf} (tenant ${e.network.tenant}).`,
  }
}

function overlayNotActive(e: EndpointEvidence, s: SwitchEvidence): Fail | null {
  return e.port.overlay === 'ACTIVE'
    ? null
    : {
        cause: 'PORT_NOT_ACTIVE_ACTIVE',
        reason: `${who(e)} is ${state(e)}: overlay ${e.port.overlay}, the controller has not confirmed its config on ${s.name}.`,
      }
}

function underlayNotActive(e: EndpointEvidence): Fail | null {
  // Wiring not read: the live underlay (what br-int shows) is not evidence either way.
  return e.port.underlay === 'ACTIVE' || e.attachment?.wiringUnknown
    ? null
    : {
        cause: 'PORT_NOT_ACTIVE_ACTIVE',
        reason: `${who(e)} is ${state(e)}: underlay ${e.port.underlay}, the OVS agent on ${e.port.host} has not reported its device wired.`,
      }
}

function ovsDown(e: EndpointEvidence): Fail | null {
  // Only a read "not running" is a drop; not read (null) is the hop's unknown (ovsUnknown).
  return e.host!.ovsRunning !== false
    ? null
    : {cause: 'OVS_DOWN', reason: `ovs-vswitchd is not running on ${e.host!.name}: no OVS bridge forwards.`}
}

/** Why this end's OVS state or br-int wiring is not known (hop `unknown`), when it is not. */
function ovsUnknown(e: EndpointEvidence): string | undefined {
  return unknowns(
    e.host!.ovsRunning === null &&
      `whether ovs-vswitchd runs is not known: ${e.host!.unknown?.ovsRunning ?? 'not read'}`,
    e.attachment?.wiringUnknown && `br-int's wiring was not read: ${e.attachment.wiringUnknown}`,
  )
}

function nicUnknown(n: NicEvidence): string | undefined {
  return n.up === null ? `the link state of ${n.name} was not read: ${n.upUnknown ?? 'no reason given'}` : undefined
}

/** The bond's name as read, or a placeholder when none was read (the bond hop then carries `unknown`). */
function bondName(h: NonNullable<EndpointEvidence['host']>): string {
  return h.bond ?? '(bond unknown)'
}

function bondUnknown(h: NonNullable<EndpointEvidence['host']>): string | undefined {
  return h.bond === null ? `the bond was not read: ${h.unknown?.bond ?? 'no reason given'}` : undefined
}

/** The members a frame may use: those known up; when none is, those whose link state was not read (then said in `unknown`). */
function usableNics(nics: NicEvidence[]): {nics: NicEvidence[]; unknown?: string} {
  const up = nics.filter(n => n.up === true)
  if (up.length > 0) return {nics: up}
  const unread = nics.filter(n => n.up === null)
  return unread.length === 0
    ? {nics: []}
    : {
        nics: unread,
        unknown: `no member is known up; link state not read for ${unread.map(n => `${n.name} (${n.upUnknown ?? 'no reason given'})`).join(', ')}`,
      }
}

function agentDown(e: EndpointEvidence): Fail | null {
  return e.host!.agentAlive !== false
    ? null
    : {
        cause: 'AGENT_DOWN',
        reason: `the OVS agent on ${e.host!.name} is down (last heartbeat ${e.host!.agentHeartbeatAt ?? 'unknown'}): br-int's wiring for ${e.attachment?.brInt?.device ?? 'the device'} is not maintained or vouched for.`,
      }
}

function notOnBrInt(e: EndpointEvidence): Fail | null {
  if (e.attachment?.brInt || e.attachment?.wiringUnknown) return null
  const dev = e.attachment ? (e.attachment.qbr ? e.attachment.qbr.qvo : e.attachment.hostEnd) : 'the device'
  return {
    cause: 'DEVICE_NOT_ON_BR_INT',
    reason: `${dev} (${who(e)}) is not a port of ${e.host!.bridges.int} on ${e.host!.name}.`,
  }
}

function verdict(v: InHostVerdict | undefined, e: EndpointEvidence): Fail | null {
  if (!v || v.ok || v.unknown !== undefined) return null
  return {
    cause: 'OVS_FLOW_DROP',
    reason: `${e.host!.bridges.int} on ${e.host!.name} drops the frame: ${v.detail} (${v.source}).`,
  }
}

// --- host segments ------------------------------------------------------------------------------

/** The source end from the instance up to its bond and member NIC; returns the NIC, or null when the path ends. */
function hostOut(b: PathBuilder, e: EndpointEvidence, key: string): NicEvidence | null {
  const h = e.host!
  const net = e.network
  const seg: Segment = 'src-end'
  if (h.ovsPresent) {
    const a = e.attachment
    const lv = a?.brInt?.localVlan ?? null
    b.add({
      node: h.name,
      nodeKind: 'host',
      device: a?.vnic ?? 'eth0',
      kind: 'vnic',
      plane: 'underlay',
      segment: seg,
      encap: NO_ENCAP,
      action: `${e.instanceKind ?? 'instance'} ${e.port.instance ?? e.port.name} sends from ${e.port.ip} (${e.port.mac})`,
    })
    b.add({
      node: h.name,
      nodeKind: 'host',
      device: a?.hostEnd ?? '(unknown)',
      kind: a?.hostEndKind ?? 'tap',
      unknown: a?.hostEndUnknown,
      plane: 'underlay',
      segment: seg,
      encap: NO_ENCAP,
      action: a?.qbr ? `to ${a.qbr.bridge}` : `to ${h.bridges.int}`,
      fail:
        a && a.hostEndPresent === false
          ? {cause: 'DEVICE_MISSING', reason: `${a.hostEnd} (${who(e)}) does not exist on ${h.name}.`}
          : null,
    })
    if (a?.qbr) {
      b.add({
        node: h.name,
        nodeKind: 'host',
        device: a.qbr.bridge,
        kind: 'linux-bridge',
        plane: 'underlay',
        segment: seg,
        encap: NO_ENCAP,
        action: 'security-group rules (iptables), bridge to ' + a.qbr.qvb,
      })
      b.add({
        node: h.name,
        nodeKind: 'host',
        device: a.qbr.qvb,
        kind: 'veth',
        plane: 'underlay',
        segment: seg,
        encap: NO_ENCAP,
        action: `veth to ${a.qbr.qvo}`,
      })
      b.add({
        node: h.name,
        nodeKind: 'host',
        device: a.qbr.qvo,
        kind: 'veth',
        plane: 'underlay',
        segment: seg,
        encap: NO_ENCAP,
        action: `into ${h.bridges.int}`,
      })
    }
    b.add({
      node: h.name,
      nodeKind: 'host',
      device: h.bridges.int,
      kind: 'ovs-bridge',
      plane: 'underlay',
      segment: seg,
      encap: vlanOnly(lv),
      action:
        lv === null
          ? 'tag local VLAN ?'
          : `tag local VLAN ${lv} (ofport ${a!.brInt!.ofport}), to ${h.bridges.patchInt}`,
      evidence: verdictEvidence(a?.verdictOut) ?? 'ovs_ports (OVS agent wiring)',
      unknown: unknowns(ovsUnknown(e), a?.verdictOut?.unknown),
      fail: firstFail(ovsDown(e), notOnBrInt(e), agentDown(e), underlayNotActive(e), verdict(a?.verdictOut, e)),
    })
    b.add({
      node: h.name,
      nodeKind: 'host',
      device: h.bridges.patchInt,
      kind: 'ovs-patch',
      plane: 'underlay',
      segment: seg,
      encap: vlanOnly(lv),
      action: `patch to ${h.bridges.patchPhy}`,
    })
    b.add({
      node: h.name,
      nodeKind: 'host',
      device: h.bridges.patchPhy,
      kind: 'ovs-patch',
      plane: 'underlay',
      segment: seg,
      encap: vlanOnly(net.vlan),
      action: `local VLAN ${lv ?? '?'} → VLAN ${net.vlan}`,
    })
    b.add({
      node: h.name,
      nodeKind: 'host',
      device: h.bridges.bond,
      kind: 'ovs-bridge',
      plane: 'underlay',
      segment: seg,
      encap: vlanOnly(net.vlan),
      action: `to ${bondName(h)}`,
    })
  }
  const usable = usableNics(h.nics)
  const up = usable.nics
  const active = h.activeMember ? up.find(n => n.name === h.activeMember) : undefined
  const pick = active ? {chosen: active, hash: -1} : pickByHash(up, `bond|${h.name}`, key)
  const bondDev = {
    node: h.name,
    nodeKind: 'host' as const,
    device: bondName(h),
    kind: 'bond' as const,
    plane: 'underlay' as const,
    segment: seg,
    encap: vlanOnly(net.vlan),
    unknown: unknowns(bondUnknown(h), usable.unknown),
  }
  if (!pick) {
    b.end({
      ...bondDev,
      action: 'choose a member NIC',
      fail: {
        cause: 'BOND_NO_LINK',
        reason: `no member of ${bondName(h)} on ${h.name} has link (${h.nics.map(n => `${n.name} down`).join(', ') || 'no NICs'}).`,
      },
    })
    return null
  }
  const down = h.nics.filter(n => n.up === false).map(n => n.name)
  b.add({
    ...bondDev,
    action: `${h.ovsPresent ? '' : `instance ${e.port.instance ?? e.port.name} tags VLAN ${net.vlan}; `}${active ? 'active member' : 'hash'} → ${pick.chosen.name} (${up.length} of ${h.nics.length} members up${down.length ? `, ${down.join(',')} down` : ''})`,
  })
  b.add({
    node: h.name,
    nodeKind: 'host',
    device: pick.chosen.name,
    kind: 'nic',
    plane: 'underlay',
    segment: seg,
    encap: vlanOnly(net.vlan),
    action: `to ${pick.chosen.switch} ${pick.chosen.interface}`,
    unknown: nicUnknown(pick.chosen),
  })
  return pick.chosen
}

/** The destination end from its member NIC down to the instance. */
function hostIn(b: PathBuilder, e: EndpointEvidence, nic: NicEvidence): void {
  const h = e.host!
  const net = e.network
  const seg: Segment = 'dst-end'
  b.add({
    node: h.name,
    nodeKind: 'host',
    device: nic.name,
    kind: 'nic',
    plane: 'underlay',
    segment: seg,
    encap: vlanOnly(net.vlan),
    action: `to ${bondName(h)}`,
    unknown: nicUnknown(nic),
  })
  b.add({
    node: h.name,
    nodeKind: 'host',
    device: bondName(h),
    kind: 'bond',
    unknown: bondUnknown(h),
    plane: 'underlay',
    segment: seg,
    encap: vlanOnly(net.vlan),
    action: h.ovsPresent
      ? `to ${h.bridges.bond}`
      : `instance ${e.port.instance ?? e.port.name} receives VLAN ${net.vlan} at ${e.port.ip}`,
  })
  if (!h.ovsPresent) return
  const a = e.attachment
  const lv = a?.brInt?.localVlan ?? null
  b.add({
    node: h.name,
    nodeKind: 'host',
    device: h.bridges.bond,
    kind: 'ovs-bridge',
    plane: 'underlay',
    segment: seg,
    encap: vlanOnly(net.vlan),
    action: `to ${h.bridges.patchPhy}`,
    fail: ovsDown(e),
  })
  b.add({
    node: h.name,
    nodeKind: 'host',
    device: h.bridges.patchPhy,
    kind: 'ovs-patch',
    plane: 'underlay',
    segment: seg,
    encap: vlanOnly(net.vlan),
    action: `patch to ${h.bridges.patchInt}`,
  })
  b.add({
    node: h.name,
    nodeKind: 'host',
    device: h.bridges.patchInt,
    kind: 'ovs-patch',
    plane: 'underlay',
    segment: seg,
    encap: vlanOnly(lv),
    action: `VLAN ${net.vlan} → local VLAN ${lv ?? '?'}`,
  })
  b.add({
    node: h.name,
    nodeKind: 'host',
    device: h.bridges.int,
    kind: 'ovs-bridge',
    plane: 'underlay',
    segment: seg,
    encap: vlanOnly(lv),
    action:
      lv === null ? 'deliver to ?' : `untag local VLAN ${lv}, out ofport ${a!.brInt!.ofport} (${a!.brInt!.device})`,
    evidence: verdictEvidence(a?.verdictIn) ?? 'ovs_ports (OVS agent wiring)',
    unknown: unknowns(ovsUnknown(e), a?.verdictIn?.unknown),
    fail: firstFail(notOnBrInt(e), agentDown(e), underlayNotActive(e), verdict(a?.verdictIn, e)),
  })
  instanceDown(b, e, seg)
}

function instanceDown(b: PathBuilder, e: EndpointEvidence, seg: Segment): void {
  const h = e.host!
  const a = e.attachment
  if (a?.qbr) {
    b.add({
      node: h.name,
      nodeKind: 'host',
      device: a.qbr.qvo,
      kind: 'veth',
      plane: 'underlay',
      segment: seg,
      encap: NO_ENCAP,
      action: `veth to ${a.qbr.qvb}`,
    })
    b.add({
      node: h.name,
      nodeKind: 'host',
      device: a.qbr.qvb,
      kind: 'veth',
      plane: 'underlay',
      segment: seg,
      encap: NO_ENCAP,
      action: `into ${a.qbr.bridge}`,
    })
    b.add({
      node: h.name,
      nodeKind: 'host',
      device: a.qbr.bridge,
      kind: 'linux-bridge',
      plane: 'underlay',
      segment: seg,
      encap: NO_ENCAP,
      action: `security-group rules (iptables), bridge to ${a.hostEnd}`,
    })
  }
  b.add({
    node: h.name,
    nodeKind: 'host',
    device: a?.hostEnd ?? '(unknown)',
    kind: a?.hostEndKind ?? 'tap',
    unknown: a?.hostEndUnknown,
    plane: 'underlay',
    segment: seg,
    encap: NO_ENCAP,
    action: `to ${e.instanceKind ?? 'instance'} ${e.port.instance ?? e.port.name}`,
    fail:
      a && a.hostEndPresent === false
        ? {cause: 'DEVICE_MISSING', reason: `${a.hostEnd} (${who(e)}) does not exist on ${h.name}.`}
        : null,
  })
  b.add({
    node: h.name,
    nodeKind: 'host',
    device: a?.vnic ?? 'eth0',
    kind: 'vnic',
    plane: 'underlay',
    segment: seg,
    encap: NO_ENCAP,
    action: `delivered to ${e.port.ip} (${e.port.mac})`,
  })
}

/** Both ends on one host and one network: br-int bridges between them on the local VLAN; no switch. */
function localPath(b: PathBuilder, src: EndpointEvidence, dst: EndpointEvidence): void {
  const h = src.host!
  const a = src.attachment
  const lv = a?.brInt?.localVlan ?? null
  b.add({
    node: h.name,
    nodeKind: 'host',
    device: a?.vnic ?? 'eth0',
    kind: 'vnic',
    plane: 'underlay',
    segment: 'src-end',
    encap: NO_ENCAP,
    action: `${src.instanceKind ?? 'instance'} ${src.port.instance ?? src.port.name} sends from ${src.port.ip} (${src.port.mac})`,
  })
  b.add({
    node: h.name,
    nodeKind: 'host',
    device: a?.hostEnd ?? '(unknown)',
    kind: a?.hostEndKind ?? 'tap',
    unknown: a?.hostEndUnknown,
    plane: 'underlay',
    segment: 'src-end',
    encap: NO_ENCAP,
    action: a?.qbr ? `to ${a.qbr.bridge}` : `to ${h.bridges.int}`,
    fail:
      a && a.hostEndPresent === false
        ? {cause: 'DEVICE_MISSING', reason: `${a.hostEnd} (${who(src)}) does not exist on ${h.name}.`}
        : null,
  })
  if (a?.qbr) {
    b.add({
      node: h.name,
      nodeKind: 'host',
      device: a.qbr.bridge,
      kind: 'linux-bridge',
      plane: 'underlay',
      segment: 'src-end',
      encap: NO_ENCAP,
      action: 'security-group rules (iptables), bridge to ' + a.qbr.qvb,
    })
    b.add({
      node: h.name,
      nodeKind: 'host',
      device: a.qbr.qvb,
      kind: 'veth',
      plane: 'underlay',
      segment: 'src-end',
      encap: NO_ENCAP,
      action: `veth to ${a.qbr.qvo}`,
    })
    b.add({
      node: h.name,
      nodeKind: 'host',
      device: a.qbr.qvo,
      kind: 'veth',
      plane: 'underlay',
      segment: 'src-end',
      encap: NO_ENCAP,
      action: `into ${h.bridges.int}`,
    })
  }
  const dlv = dst.attachment?.brInt?.localVlan ?? null
  const mismatch: Fail | null =
    lv !== null && dlv !== null && lv !== dlv
      ? {
          cause: 'LOCAL_VLAN_MISMATCH',
          reason: `on ${h.bridges.int} of ${h.name}, ${src.attachment!.brInt!.device} has local VLAN ${lv} but ${dst.attachment!.brInt!.device} has ${dlv}, though both are on network ${src.network.name}.`,
        }
      : null
  b.add({
    node: h.name,
    nodeKind: 'host',
    device: h.bridges.int,
    kind: 'ovs-bridge',
    plane: 'underlay',
    segment: 'src-end',
    encap: vlanOnly(lv),
    action: `bridge on local VLAN ${lv ?? '?'} to ${dst.attachment?.brInt?.device ?? '?'} (ofport ${dst.attachment?.brInt?.ofport ?? '?'})`,
    evidence: verdictEvidence(a?.verdictOut) ?? 'ovs_ports (OVS agent wiring)',
    unknown: unknowns(ovsUnknown(src), ovsUnknown(dst), a?.verdictOut?.unknown),
    fail: firstFail(
      ovsDown(src),
      notOnBrInt(src),
      notOnBrInt(dst),
      agentDown(src),
      underlayNotActive(src),
      underlayNotActive(dst),
      mismatch,
      verdict(a?.verdictOut, src),
    ),
  })
  instanceDown(b, dst, 'dst-end')
}

// --- fabric segments ----------------------------------------------------------------------------

/** Leaf → [spine → leaf]: VLAN ↔ VNI at the leaves, ECMP over healthy spines, anycast gateway in the tenant VRF. */
function spineLeaf(
  b: PathBuilder,
  ev: TraceEvidence,
  flow: Flow,
  ingress: SwitchEvidence,
  egress: SwitchEvidence,
  setEcmp: (e: Trace['ecmp']) => void,
): boolean {
  const {src, dst} = ev
  const sn = src.network
  const dn = dst.network
  const routed = sn.name !== dn.name
  const sameLeaf = ingress.name === egress.name
  const base = {
    node: ingress.name,
    nodeKind: ingress.role,
    device: ingress.name,
    kind: 'leaf' as const,
    plane: 'overlay' as const,
    segment: 'fabric' as const,
    evidence: ingress.runningSource ?? null,
  }
  if (sn.tenant !== dn.tenant) {
    b.end({
      ...base,
      encap: {...NO_ENCAP, vlan: sn.vlan, vni: sn.l2Vni, vrf: sn.vrf},
      action: `route in ${sn.vrf ?? sn.tenant} at the anycast gateway ${sn.gateway}`,
      fail: firstFail(vniMissing(ingress, src), {
        cause: 'NO_ROUTE_BETWEEN_TENANTS',
        reason: `${dst.port.ip} (network ${dn.name}) belongs to tenant ${dn.tenant}; ${sn.vrf ?? `tenant ${sn.tenant}'s VRF`} has no route to it (tenants' VRFs are not leaked).`,
      })!,
    })
    return false
  }
  const gw = `anycast gateway ${sn.gateway}`
  if (sameLeaf) {
    b.add({
      ...base,
      encap: {...NO_ENCAP, vlan: sn.vlan, vni: sn.l2Vni, vrf: routed ? sn.vrf : null},
      action: routed
        ? `route in ${sn.vrf ?? 'the default VRF'} at the ${gw}: VLAN ${sn.vlan} → VLAN ${dn.vlan} (local)`
        : `bridge in VLAN ${sn.vlan} / L2 VNI ${sn.l2Vni ?? '?'} (local)`,
      fail: firstFail(vniMissing(ingress, src), routed && vrfMissing(ingress, src), routed && vniMissing(ingress, dst)),
    })
    return true
  }
  const outerSport = vxlanSourcePort(flow)
  const srcVtep = ingress.vtep ?? ingress.name
  const dstVtep = egress.vtep ?? egress.name
  // Symmetric IRB with the tenant's L3 VNI; without one (a leaf with no VRFs), asymmetric: route at the
  // ingress gateway straight into the destination's L2 VNI, which the ingress leaf must then carry.
  const asym = routed && sn.l3Vni === null
  const vni = routed ? (asym ? dn.l2Vni : sn.l3Vni) : sn.l2Vni
  const encap: Encapsulation = {
    vlan: null,
    vni,
    vrf: routed ? sn.vrf : null,
    outer: {srcVtep, dstVtep, udpSrcPort: outerSport, udpDstPort: VXLAN_PORT},
  }
  b.add({
    ...base,
    encap,
    action: routed
      ? `route in ${sn.vrf ?? 'the default VRF'} at the ${gw} → ${asym ? 'L2' : 'L3'} VNI ${vni ?? '?'}; VXLAN ${srcVtep} → ${dstVtep}`
      : `VLAN ${sn.vlan} → L2 VNI ${vni ?? '?'}; VXLAN ${srcVtep} → ${dstVtep}`,
    fail: firstFail(vniMissing(ingress, src), routed && vrfMissing(ingress, src), asym && vniMissing(ingress, dst)),
    unknown: unknowns(
      ingress.vtepUnknown && `the VTEP of ${ingress.name}: ${ingress.vtepUnknown}`,
      egress.vtepUnknown && `the VTEP of ${egress.name}: ${egress.vtepUnknown}`,
    ),
  })

  const spines = ev.switches.filter(s => s.role === 'spine' && s.az === ev.az.name)
  const healthy = spines.filter(s => s.healthy)
  const outerKey = `${srcVtep}|${dstVtep}|17|${outerSport}|${VXLAN_PORT}`
  const pick = pickByHash(healthy, 'ecmp', outerKey)
  setEcmp({
    candidates: healthy.map(s => s.name).sort(),
    chosen: pick?.chosen.name ?? null,
    outerUdpSrcPort: outerSport,
    hash: `0x${(pick?.hash ?? fnv1a(`ecmp|${outerKey}`)).toString(16).padStart(8, '0')}`,
  })
  if (!pick) {
    b.end({
      node: ev.az.name,
      nodeKind: 'spine',
      device: '(spine layer)',
      kind: 'spine',
      plane: 'overlay',
      segment: 'fabric',
      encap,
      action: 'ECMP over healthy spines',
      fail: {
        cause: 'NO_HEALTHY_SPINE',
        reason: `no healthy spine in ${ev.az.name} (${spines.length ? spines.map(s => `${s.name} unhealthy`).join(', ') : 'none known'}).`,
      },
    })
    return false
  }
  const idx = [...healthy].sort((x, y) => (x.name < y.name ? -1 : 1)).indexOf(pick.chosen)
  b.add({
    node: pick.chosen.name,
    nodeKind: 'spine',
    device: pick.chosen.name,
    kind: 'spine',
    plane: 'overlay',
    segment: 'fabric',
    encap,
    action: `ECMP: spine ${idx + 1} of ${healthy.length} healthy (hash ${`0x${pick.hash.toString(16).padStart(8, '0')}`} of the outer 5-tuple), route to VTEP ${dstVtep}`,
    unknown: unknowns(pick.chosen.healthUnknown && `the health of ${pick.chosen.name}: ${pick.chosen.healthUnknown}`),
  })
  b.add({
    node: egress.name,
    nodeKind: egress.role,
    device: egress.name,
    kind: 'leaf',
    plane: 'overlay',
    segment: 'fabric',
    encap: {...encap, vlan: dn.vlan},
    action: routed
      ? asym
        ? `decap L2 VNI ${vni ?? '?'} → VLAN ${dn.vlan} (routed at the ingress leaf)`
        : `decap L3 VNI ${vni ?? '?'} in ${dn.vrf ?? '?'}, route to ${dst.port.ip} → VLAN ${dn.vlan}`
      : `decap L2 VNI ${vni ?? '?'} → VLAN ${dn.vlan}`,
    evidence: egress.runningSource ?? null,
    fail: firstFail(unreachable(egress), vniMissing(egress, dst), routed && vrfMissing(egress, dst)),
  })
  return true
}

/** Access → aggregation → core (gateway) and back: VLANs only; the first healthy aggregation and core switch by name are active. */
function hierarchical(b: PathBuilder, ev: TraceEvidence, ingress: SwitchEvidence, egress: SwitchEvidence): boolean {
  const {src, dst} = ev
  const sn = src.network
  const dn = dst.network
  const routed = sn.name !== dn.name
  const active = (role: 'aggregation' | 'core') =>
    ev.switches
      .filter(s => s.role === role && s.az === ev.az.name && s.healthy)
      .sort((x, y) => (x.name < y.name ? -1 : 1))[0]
  const acc = (s: SwitchEvidence, vlan: number, action: string, fail: Fail | null = null) =>
    b.add({
      node: s.name,
      nodeKind: s.role,
      device: s.name,
      kind: 'access',
      plane: 'underlay',
      segment: 'fabric',
      encap: vlanOnly(vlan),
      action,
      fail,
    })
  if (!routed && ingress.name === egress.name) {
    acc(ingress, sn.vlan, `bridge in VLAN ${sn.vlan} (local)`)
    return true
  }
  acc(ingress, sn.vlan, `bridge in VLAN ${sn.vlan} to the aggregation layer`)
  const agg = active('aggregation')
  const noUplink = (role: string): Fail => ({cause: 'NO_UPLINK', reason: `no healthy ${role} switch in ${ev.az.name}.`})
  if (!agg) {
    b.end({
      node: ev.az.name,
      nodeKind: 'aggregation',
      device: '(aggregation layer)',
      kind: 'aggregation',
      plane: 'underlay',
      segment: 'fabric',
      encap: vlanOnly(sn.vlan),
      action: 'uplink',
      fail: noUplink('aggregation'),
    })
    return false
  }
  const aggHop = (vlan: number, action: string) =>
    b.add({
      node: agg.name,
      nodeKind: 'aggregation',
      device: agg.name,
      kind: 'aggregation',
      plane: 'underlay',
      segment: 'fabric',
      encap: vlanOnly(vlan),
      action,
    })
  if (!routed) {
    aggHop(sn.vlan, `bridge in VLAN ${sn.vlan} to ${egress.name}`)
    acc(egress, dn.vlan, `bridge in VLAN ${dn.vlan} to the host port`, unreachable(egress))
    return true
  }
  aggHop(sn.vlan, `VLAN ${sn.vlan} up to the gateway on the core`)
  const core = active('core')
  if (!core) {
    b.end({
      node: ev.az.name,
      nodeKind: 'core',
      device: '(core layer)',
      kind: 'core',
      plane: 'underlay',
      segment: 'fabric',
      encap: vlanOnly(sn.vlan),
      action: 'route',
      fail: noUplink('core'),
    })
    return false
  }
  if (sn.tenant !== dn.tenant) {
    b.end({
      node: core.name,
      nodeKind: 'core',
      device: core.name,
      kind: 'core',
      plane: 'underlay',
      segment: 'fabric',
      encap: {...NO_ENCAP, vlan: sn.vlan, vrf: sn.vrf},
      action: `route at the gateway ${sn.gateway}`,
      fail: {
        cause: 'NO_ROUTE_BETWEEN_TENANTS',
        reason: `${dst.port.ip} (network ${dn.name}) belongs to tenant ${dn.tenant}; the gateway of ${sn.name} (tenant ${sn.tenant}) has no route to it.`,
      },
    })
    return false
  }
  b.add({
    node: core.name,
    nodeKind: 'core',
    device: core.name,
    kind: 'core',
    plane: 'underlay',
    segment: 'fabric',
    encap: {...NO_ENCAP, vlan: dn.vlan, vrf: sn.vrf},
    action: `route at the gateway ${sn.gateway}: VLAN ${sn.vlan} → VLAN ${dn.vlan}`,
  })
  aggHop(dn.vlan, `bridge in VLAN ${dn.vlan} to ${egress.name}`)
  acc(egress, dn.vlan, `bridge in VLAN ${dn.vlan} to the host port`, unreachable(egress))
  return true
}
