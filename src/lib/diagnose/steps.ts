import type {LeafConfig, PlaneState} from '../model/types.js'
import {AGENT_STALE_AFTER_MS, CAUSES, type CauseCode, STEPS, type StepId} from './catalogue.js'
import type {
  CleanPortEvidence,
  Diagnosis,
  Finding,
  PortEvidence,
  PortVerdict,
  Step,
  StepStatus,
  Verdict,
} from './types.js'

/** Quote a command-line word only when it needs it. */
export function shellWord(s: string): string {
  return /^[\w.:@/+=,-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`
}

const STEP_BY_ID = new Map(STEPS.map(s => [s.id as StepId, s]))
const cmd = (...words: string[]) => ['fabricctl', ...words.map(shellWord)].join(' ')

function ago(ms: number): string {
  const s = Math.round(ms / 1000)
  return s < 120
    ? `${s} s`
    : s < 7200
      ? `${Math.floor(s / 60)} min ${s % 60} s`
      : `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`
}

/**
 * The diagnosis of one port: a pure function of its evidence. Walks every step of the spawn flow
 * (catalogue.ts STEPS, in order); a step is skipped (with the reason) only when what it needs is
 * missing. The verdict is the first failed step; warnings never change it.
 */
export function diagnosePort(ev: PortEvidence): Diagnosis {
  const steps: Step[] = []
  const repairs = new Map<StepId, string[]>()
  const add = (
    id: StepId,
    status: StepStatus,
    detail: string,
    evidence: Record<string, unknown> = {},
    cause: CauseCode | null = null,
    repair: string[] = [],
  ) => {
    const def = STEP_BY_ID.get(id)!
    steps.push({
      n: steps.length + 1,
      id,
      title: def.title,
      status,
      detail,
      cause: status === 'passed' || status === 'skipped' ? null : cause,
      evidence,
    })
    if (status === 'failed' || status === 'warning') repairs.set(id, repair)
  }
  const skipRest = (reason: string) => {
    for (const s of STEPS) if (!steps.some(x => x.id === s.id)) add(s.id, 'skipped', reason)
  }
  const clear = (kind: string, targets: readonly (string | null | undefined)[]): string[] =>
    ev.simFaults
      .filter(f => f.kind === kind && targets.includes(f.target))
      .map(f => cmd('sim', 'fault', 'clear', String(f.id)))

  const p = ev.port
  // 1. port exists ---------------------------------------------------------------------------
  if (!p) {
    add(
      'port-exists',
      'failed',
      `No port "${ev.ref}" in ${ev.origin.ports}; it is still seen in: ${ev.traces.join('; ') || 'nothing'}.`,
      {traces: ev.traces},
      'port-not-found',
    )
    skipRest('the port does not exist')
    return finish(ev, steps, repairs)
  }
  add('port-exists', 'passed', `Port ${p.name} (${p.id}) on network ${p.network}: ${p.ip}, ${p.mac}.`, {
    id: p.id,
    name: p.name,
    network: p.network,
    ip: p.ip,
    mac: p.mac,
  })

  const net = ev.network
  const spineLeaf = ev.topology !== 'hierarchical' && net?.l2Vni !== null && net?.l2Vni !== undefined
  const flat =
    ev.topology === 'hierarchical'
      ? 'hierarchical AZ: VLAN only, gateway on the core; no controller or leaf config to check'
      : 'the network has no VNI: no leaf overlay to check'

  // 2. bound -----------------------------------------------------------------------------------
  const bindHost = p.host ?? p.instanceHost
  const bindRepair = cmd('port', 'bind', p.name, '--host', bindHost ?? 'HOST')
  if (!p.host) {
    add(
      'port-bound',
      'failed',
      `The port has no host_id${p.instanceHost ? ` (its instance is on ${p.instanceHost})` : ''}: no host wires it and no leaf carries it.`,
      {hostId: null, instanceHost: p.instanceHost},
      'port-unbound',
      [bindRepair],
    )
    for (const s of STEPS) {
      if (s.id === 'duplicate-ip' || s.id === 'network-capacity') continue
      if (!steps.some(x => x.id === s.id)) add(s.id, 'skipped', 'the port is not bound to a host')
    }
    ipSteps(ev, add, clear)
    return finish(ev, steps, repairs)
  }
  if (p.vifType === 'binding_failed' || p.vifType === 'unbound')
    add(
      'port-bound',
      'failed',
      `host_id is ${p.host}, but Neutron's binding is ${p.vifType} (binding:vif_type): no mechanism driver bound the port on that host, so no agent wires it. Check that ${p.host} runs the L2 agent Neutron expects (and that it is alive), then re-bind.`,
      {hostId: p.host, vifType: p.vifType},
      'binding-failed',
      [bindRepair],
    )
  else
    add('port-bound', 'passed', `Bound to ${p.host}${p.vifType ? ` (vif_type ${p.vifType})` : ''}.`, {
      hostId: p.host,
      vifType: p.vifType,
    })

  // 3. host known --------------------------------------------------------------------------------
  const h = ev.host
  if (!h) {
    add(
      'host-known',
      'failed',
      `The port is bound to "${p.host}", which is not in the ${ev.origin.hosts}.`,
      {host: p.host},
      'host-unknown',
      p.instanceHost && p.instanceHost !== p.host ? [cmd('port', 'bind', p.name, '--host', p.instanceHost)] : [],
    )
  } else if (!h.readable) {
    add(
      'host-known',
      'failed',
      `Host ${h.name} could not be read: ${h.error ?? 'no answer'}.`,
      {host: h.name, error: h.error ?? null},
      'host-unreachable',
    )
  } else {
    add(
      'host-known',
      'passed',
      `Host ${h.name} (${h.role}) is known${ev.origin.overSsh ? ' and answered over SSH' : ''}.`,
      {host: h.name, role: h.role},
    )
  }
  const hostOk = h !== null && h.readable
  const bm = h?.role === 'baremetal'
  const noHost = !h ? 'the host is unknown' : 'the host could not be read'

  // 4. agent alive -----------------------------------------------------------------------------
  if (!hostOk) add('agent-alive', 'skipped', noHost)
  else if (bm) add('agent-alive', 'skipped', 'bare-metal host: no OVS agent, the instance owns the bond')
  else if (h.agent.state !== 'reported')
    add('agent-alive', 'skipped', h.agent.note ?? 'agent heartbeats are not available here', {agent: h.agent.state})
  else if (h.agent.heartbeatAt === null) {
    add(
      'agent-alive',
      'failed',
      `No OVS agent is registered for ${h.name}.`,
      {heartbeatAt: null},
      'agent-down',
      clear('agent-down', [h.name]),
    )
  } else {
    const age = Date.parse(ev.now) - Date.parse(h.agent.heartbeatAt)
    if (age > AGENT_STALE_AFTER_MS) {
      add(
        'agent-alive',
        'failed',
        `The OVS agent on ${h.name} last reported ${ago(age)} ago (at ${h.agent.heartbeatAt}; dead after ${AGENT_STALE_AFTER_MS / 1000} s): nothing on this host is being wired and its recorded states are stale. Restart neutron-openvswitch-agent on ${h.name}.`,
        {heartbeatAt: h.agent.heartbeatAt, ageMs: age, staleAfterMs: AGENT_STALE_AFTER_MS},
        'agent-down',
        clear('agent-down', [h.name]),
      )
    } else {
      add('agent-alive', 'passed', `Last heartbeat ${ago(Math.max(0, age))} ago.`, {
        heartbeatAt: h.agent.heartbeatAt,
        ageMs: Math.max(0, age),
      })
    }
  }

  // 5. OVS running -------------------------------------------------------------------------------
  if (!hostOk) add('ovs-running', 'skipped', noHost)
  else if (bm) add('ovs-running', 'skipped', 'bare-metal host: no Open vSwitch')
  else if (h.ovsRunning === null) add('ovs-running', 'skipped', 'not read')
  else if (!h.ovsRunning) {
    add(
      'ovs-running',
      'failed',
      `ovs-vswitchd is not running${ev.origin.overSsh ? ' (or does not answer ovs-appctl)' : ''} on ${h.name}: no device on it forwards. Start it (systemctl start openvswitch-switch).`,
      {ovsRunning: false},
      'ovs-down',
      clear('ovs-down', [h.name]),
    )
  } else add('ovs-running', 'passed', `ovs-vswitchd is running on ${h.name}.`, {ovsRunning: true})

  // 6. device on br-int, expected local VLAN ---------------------------------------------------
  const o = ev.ovs
  if (!hostOk) add('device-attached', 'skipped', noHost)
  else if (bm) add('device-attached', 'skipped', 'bare-metal host: the instance owns the bond, no br-int')
  else if (!o) add('device-attached', 'skipped', 'the OVS database could not be read')
  else if (!o.device) {
    const elsewhere = o.elsewhere.length
      ? ` It is still attached on ${o.elsewhere.join(', ')}: the instance is probably there and the binding is wrong.`
      : ' Re-plug the instance (restart the pod, hard-reboot the VM).'
    add(
      'device-attached',
      'failed',
      `No device of port ${p.id} on ${h.name}'s br-int.${elsewhere}`,
      {device: null, elsewhere: o.elsewhere, source: o.source},
      'device-missing',
      [
        ...clear('device-missing', [p.id]),
        ...(o.elsewhere.length === 1 ? [cmd('port', 'bind', p.name, '--host', o.elsewhere[0]!)] : []),
      ],
    )
  } else {
    const d = o.device
    const ev2 = {
      device: d.name,
      localVlan: d.localVlan,
      ofport: d.ofport,
      networkTags: o.networkTags,
      tagNetworks: o.tagNetworks,
      unmanaged: o.unmanaged,
      source: o.source,
    }
    const unmanagedNote = o.unmanaged.length
      ? ` ${o.unmanaged.length} other device(s) on br-int are not Neutron ports (unmanaged, not judged): ${o.unmanaged.slice(0, 5).join(', ')}${o.unmanaged.length > 5 ? ' …' : ''}.`
      : ''
    const otherNets = o.tagNetworks.filter(n => n !== p.network)
    let wrong: string | null = null
    if (d.localVlan === null || d.localVlan === 0 || d.localVlan >= 4095)
      wrong = `has tag ${d.localVlan ?? 'none'}${d.localVlan === 4095 ? ' (the dead VLAN: the agent could not bind it)' : ''}`
    else if (o.networkTags.length > 0 && !o.networkTags.includes(d.localVlan))
      wrong = `has local VLAN ${d.localVlan}, but the other devices of ${p.network} on this host use ${o.networkTags.join(', ')}`
    else if (otherNets.length > 0)
      wrong = `has local VLAN ${d.localVlan}, which ${otherNets.join(', ')} also use${otherNets.length === 1 ? 's' : ''} on this host (the networks leak into each other)`
    if (wrong) add('device-attached', 'failed', `Device ${d.name} ${wrong}.`, ev2, 'device-vlan-wrong', [bindRepair])
    else
      add(
        'device-attached',
        'passed',
        `Device ${d.name} on br-int (ofport ${d.ofport ?? '?'}), local VLAN ${d.localVlan}.${unmanagedNote}`,
        ev2,
      )
  }

  // 7. underlay state ---------------------------------------------------------------------------
  if (ev.recordAuthority.underlay === 'none') {
    add(
      'underlay-state',
      'skipped',
      `nothing records the underlay here (no L2 agent registered); recorded ${p.underlay} is not evidence, the steps above are`,
      {recorded: p.underlay},
    )
  } else if (p.underlay === 'ACTIVE') add('underlay-state', 'passed', 'Recorded ACTIVE.', {recorded: p.underlay})
  else {
    const cause: CauseCode =
      p.underlay === 'ERROR' ? 'underlay-error' : p.underlay === 'BUILD' ? 'underlay-pending' : 'underlay-down'
    const wired = steps.find(s => s.id === 'device-attached')?.status === 'passed'
    add(
      'underlay-state',
      'failed',
      `Recorded underlay ${p.underlay}${wired ? ', although the device is wired: the record is stale (the agent did not report)' : ''}. Re-binding makes the agent wire and report it again.`,
      {recorded: p.underlay, deviceWired: wired},
      cause,
      [...clear('agent-down', [h?.name]), bindRepair],
    )
  }

  // 8. controller has the port -------------------------------------------------------------------
  const c = ev.controller
  if (!spineLeaf) add('controller-port', 'skipped', flat)
  else if (!c.present) add('controller-port', 'skipped', c.note ?? 'no controller in this deployment')
  else if (!c.port) {
    add(
      'controller-port',
      'failed',
      `The controller has no record of port ${p.id}: it will never push leaf config for it. Re-binding makes Neutron send the port again.`,
      {controllerPort: null},
      'controller-missing-port',
      [...clear('controller-missing-port', [p.id]), bindRepair],
    )
  } else {
    const diffs = (
      [
        ['host', c.port.host, p.host],
        ['ip', c.port.ip, p.ip],
        ['mac', c.port.mac, p.mac],
        ['network', c.port.network, p.network],
      ] as const
    )
      .filter(([, a, b]) => a !== b)
      .map(([k, a, b]) => `${k} ${a ?? 'none'} (Neutron: ${b ?? 'none'})`)
    if (diffs.length)
      add(
        'controller-port',
        'failed',
        `The controller's record differs: ${diffs.join(', ')}.`,
        {controllerPort: c.port},
        'controller-port-mismatch',
        [bindRepair],
      )
    else
      add('controller-port', 'passed', 'The controller has the port with the same host, IP and MAC.', {
        controllerPort: c.port,
      })
  }

  // 9. host→leaf mapping vs cabling ------------------------------------------------------------
  const cabled =
    hostOk || h ? (h?.nics ?? []).map(n => ({leaf: n.switch, interface: n.interface, nic: n.name, up: n.up})) : []
  const cabledLeaves = [...new Set(cabled.map(x => x.leaf))]
  const pushAll = (leaves: readonly string[]) => leaves.map(l => cmd('leaf', 'push', l))
  if (!spineLeaf) add('host-leaf-map', 'skipped', flat)
  else if (!h) add('host-leaf-map', 'skipped', noHost)
  else if (!c.present)
    // No controller, no map of its own to go stale: the cabling is all there is, and leaf-config proves the leaves carry it.
    add(
      'host-leaf-map',
      'skipped',
      `no controller map in this deployment (${c.mapSource}); leaf-config checks ${cabled.map(x => `${x.leaf}:${x.interface}`).join(', ') || 'the cabled interfaces'}`,
      {hostMap: null, cabling: cabled, source: c.mapSource},
    )
  else if (c.hostMap.length === 0) {
    add(
      'host-leaf-map',
      'failed',
      `The controller (${c.mapSource}) has no leaf interfaces for ${h.name}: it cannot push config for its ports.`,
      {hostMap: [], cabling: cabled, source: c.mapSource},
      'host-map-missing',
    )
  } else {
    const diffs: string[] = []
    // Compared as (leaf, interface) pairs: a host may have both NICs on one leaf.
    const same = (a: {leaf: string; interface: string}, b: {leaf: string; interface: string}) =>
      a.leaf === b.leaf && a.interface === b.interface
    const unmapped = cabled.filter(x => !c.hostMap.some(m => same(m, x)))
    const uncabled = c.hostMap.filter(m => !cabled.some(x => same(m, x)))
    for (const x of unmapped) {
      const m = uncabled.find(y => y.leaf === x.leaf)
      if (m) {
        diffs.push(`${x.leaf}: mapped ${m.interface}, cabled ${x.interface}`)
        uncabled.splice(uncabled.indexOf(m), 1)
      } else diffs.push(`${x.leaf} ${x.interface} is cabled but not mapped`)
    }
    for (const m of uncabled) diffs.push(`${m.leaf} ${m.interface} is mapped but not cabled`)
    if (diffs.length) {
      add(
        'host-leaf-map',
        'failed',
        `The controller's host→leaf map for ${h.name} disagrees with the cabling (${diffs.join('; ')}): it pushes to the wrong interfaces. Correct the map, then push the leaves.`,
        {hostMap: c.hostMap, cabling: cabled, source: c.mapSource},
        'stale-host-map',
        [...clear('stale-host-map', [h.name]), ...pushAll(cabledLeaves)],
      )
    } else
      add(
        'host-leaf-map',
        'passed',
        `${cabled.map(x => `${x.leaf}:${x.interface}`).join(', ')} (${c.present ? `${c.mapSource} matches the cabling` : `${c.mapSource}; leaf-config proves the leaves carry them`}).`,
        {hostMap: c.hostMap, cabling: cabled, source: c.mapSource},
      )
  }

  // 10. uplinks -----------------------------------------------------------------------------------
  if (!h) add('host-uplinks', 'skipped', noHost)
  else if (cabled.length === 0) add('host-uplinks', 'skipped', 'the host has no recorded uplinks')
  else {
    const down = cabled.filter(x => x.up === false)
    const unread = cabled.filter(x => x.up === null)
    const evd = {nics: cabled}
    if (down.length === 0 && unread.length === cabled.length)
      add('host-uplinks', 'skipped', `the link state of ${unread.map(x => x.nic).join(', ')} could not be read`, evd)
    else if (down.length === 0)
      add(
        'host-uplinks',
        'passed',
        `${cabled
          .filter(x => x.up)
          .map(x => x.nic)
          .join(
            ', ',
          )} up.${unread.length ? ` Link state of ${unread.map(x => x.nic).join(', ')} unknown (not read).` : ''}`,
        evd,
      )
    else {
      const what = down.map(x => `${x.nic} (→ ${x.leaf} ${x.interface})`).join(', ')
      const status: StepStatus = down.length === cabled.length ? 'failed' : 'warning'
      add(
        'host-uplinks',
        status,
        status === 'failed'
          ? `Every uplink of ${h.name} is down: ${what}.`
          : `${what} down: the bond runs on one leg, no redundancy. Check the cable and optics.`,
        evd,
        'nic-down',
        clear('nic-down', [h.name]),
      )
    }
  }

  // 11. leaves reachable ------------------------------------------------------------------------
  const leafEv = cabledLeaves.map(
    l =>
      ev.leaves[l] ?? {
        name: l,
        reachable: false,
        error: 'no evidence gathered',
        running: null,
        hasVrfs: true,
        source: 'none',
      },
  )
  if (!spineLeaf) add('leaves-reachable', 'skipped', flat)
  else if (!h) add('leaves-reachable', 'skipped', noHost)
  else if (leafEv.length === 0) add('leaves-reachable', 'skipped', 'the host is not cabled to any leaf')
  else {
    const bad = leafEv.filter(l => !l.reachable)
    const evd = {
      leaves: leafEv.map(l => ({leaf: l.name, reachable: l.reachable, error: l.error ?? null, source: l.source})),
    }
    if (bad.length) {
      add(
        'leaves-reachable',
        'failed',
        `${bad.map(l => `${l.name} (${l.error ?? 'no answer'})`).join(', ')} did not answer: ${bad.length === 1 ? 'its' : 'their'} config could not be read.`,
        evd,
        'leaf-unreachable',
        bad.flatMap(l => clear('leaf-unreachable', [l.name])),
      )
    } else add('leaves-reachable', 'passed', `${leafEv.map(l => l.name).join(', ')} answered.`, evd)
  }

  // 12. leaf config ---------------------------------------------------------------------------
  if (!spineLeaf || !net) add('leaf-config', 'skipped', flat)
  else if (!h) add('leaf-config', 'skipped', noHost)
  else if (leafEv.filter(l => l.reachable).length === 0)
    add('leaf-config', 'skipped', 'no leaf of the host could be read')
  else {
    const problems: {leaf: string; missing: string[]}[] = []
    const read: string[] = []
    for (const l of leafEv) {
      if (!l.reachable || !l.running) continue
      read.push(l.name)
      const ifaces = cabled.filter(x => x.leaf === l.name).map(x => x.interface)
      const missing = leafConfigGaps(l.running, ifaces, net, l.hasVrfs)
      if (missing.length) problems.push({leaf: l.name, missing})
    }
    const unread = leafEv.filter(l => !l.reachable).map(l => l.name)
    const evd = {
      network: {vlan: net.vlan, l2Vni: net.l2Vni, gateway: net.gateway, vrf: net.vrf, l3Vni: net.l3Vni},
      checked: read,
      notChecked: unread,
      problems,
    }
    if (problems.length) {
      // A leaf whose VNI of this network was made outside fabricctl: a push would not touch it (refused), so no push repair.
      const handMade = problems
        .map(x => x.leaf)
        .filter(l => net.l2Vni !== null && !!leafEv.find(e => e.name === l)?.unmanagedVnis?.includes(net.l2Vni))
      const leaves = problems.map(x => x.leaf).filter(l => !handMade.includes(l))
      const what = problems.map(x => `${x.leaf}: ${x.missing.join(', ')}`).join('; ')
      const {cause, why} = overlayCause(p.overlay, ev.recordAuthority.overlay)
      const byHand = handMade.length
        ? ` On ${handMade.join(', ')} VNI ${net.l2Vni} is configured outside fabricctl (unmanaged, see \`fabricctl leaf diff\`): restore it there by hand, or add it to the context's manage: scope so that a push may repair it.`
        : ''
      add('leaf-config', 'failed', `${what}. ${why}${byHand}`, evd, cause, [
        ...leaves.flatMap(l => clear('push-fail', [l])),
        ...pushAll(leaves),
      ])
    } else {
      add(
        'leaf-config',
        'passed',
        `${read.join(', ')} carry VLAN ${net.vlan} on the host interface, VNI ${net.l2Vni}, gateway ${net.gateway}${leafEv.some(l => l.hasVrfs) ? ` and ${net.vrf}` : ''}${unread.length ? ` (${unread.join(', ')} not read)` : ''}.`,
        evd,
      )
    }
  }

  // 13. overlay state -------------------------------------------------------------------------
  if (ev.recordAuthority.overlay === 'none') {
    add(
      'overlay-state',
      'skipped',
      `nothing records the overlay here; recorded ${p.overlay} is not evidence, the leaf steps are`,
      {recorded: p.overlay},
    )
  } else if (p.overlay === 'ACTIVE')
    add(
      'overlay-state',
      'passed',
      `Recorded ACTIVE${ev.recordAuthority.overlay === 'data_plane_status' ? ' (Neutron data_plane_status)' : ev.recordAuthority.overlay === 'port-tag' ? ' (fabricctl-overlay port tag)' : ''}.`,
      {recorded: p.overlay, source: ev.recordAuthority.overlay},
    )
  else {
    const {cause, why} = overlayCause(p.overlay, ev.recordAuthority.overlay)
    add(
      'overlay-state',
      'failed',
      `Recorded overlay ${p.overlay}. ${why}`,
      {recorded: p.overlay, source: ev.recordAuthority.overlay},
      cause,
      [...cabledLeaves.flatMap(l => clear('push-fail', [l])), ...pushAll(cabledLeaves)],
    )
  }

  // 14. leftovers on other hosts' leaf interfaces ---------------------------------------------
  if (!spineLeaf) add('leftover-config', 'skipped', flat)
  else if (ev.leftovers === null) add('leftover-config', 'skipped', 'the leaves of the AZ could not all be read')
  else if (ev.leftovers.length === 0)
    add(
      'leftover-config',
      'passed',
      `No leaf interface carries VLAN ${net!.vlan} of ${net!.name} for a host without a port of it.`,
      {leftovers: []},
    )
  else {
    const leaves = [...new Set(ev.leftovers.map(x => x.leaf))]
    add(
      'leftover-config',
      'warning',
      `${ev.leftovers.map(x => `${x.leaf} ${x.interface} (${x.host ?? 'no host cabled'})`).join(', ')} still carr${ev.leftovers.length === 1 ? 'ies' : 'y'} VLAN ${net!.vlan} of ${net!.name}, but no port of it is there any more (left behind by a migration or a release). Push the leaves to remove it.`,
      {leftovers: ev.leftovers},
      'leftover-config',
      pushAll(leaves),
    )
  }

  ipSteps(ev, add, clear)
  return finish(ev, steps, repairs)
}

function ipSteps(
  ev: PortEvidence,
  add: (
    id: StepId,
    status: StepStatus,
    detail: string,
    evidence?: Record<string, unknown>,
    cause?: CauseCode | null,
    repair?: string[],
  ) => void,
  clear: (kind: string, targets: readonly (string | null | undefined)[]) => string[],
): void {
  const p = ev.port!
  // 15. duplicate IP --------------------------------------------------------------------------
  if (ev.sameIp === null) add('duplicate-ip', 'skipped', 'not read')
  else if (ev.sameIp.length === 0)
    add('duplicate-ip', 'passed', `No other port has ${p.ip}${ev.network?.vrf ? ` in ${ev.network.vrf}` : ''}.`, {
      sameIp: [],
    })
  else {
    add(
      'duplicate-ip',
      'failed',
      `${ev.sameIp.map(x => `${x.name} (${x.network})`).join(', ')} also ha${ev.sameIp.length === 1 ? 's' : 've'} ${p.ip}${ev.network?.vrf ? ` in ${ev.network.vrf}` : ''}: traffic goes to whichever answers ARP. Find which instance owns the address and release the other port.`,
      {sameIp: ev.sameIp},
      'duplicate-ip',
    )
  }
  // 16. network capacity (allocation-time) ----------------------------------------------------
  if (ev.networkFree === null) add('network-capacity', 'skipped', 'not read')
  else if (ev.networkFree > 0)
    add(
      'network-capacity',
      'passed',
      `${ev.networkFree} free address${ev.networkFree === 1 ? '' : 'es'} in ${p.network}.`,
      {free: ev.networkFree},
    )
  else {
    add(
      'network-capacity',
      'warning',
      `${p.network} has no free address: this port is not affected, but new ports on it fail. Allocate by label to spread over its sibling networks.`,
      {free: 0},
      'network-exhausted',
      clear('network-exhausted', [p.network]),
    )
  }
}

/** What a leaf lacks for a network on the given host interfaces (DESIGN.md §3). */
export function leafConfigGaps(
  running: LeafConfig,
  ifaces: readonly string[],
  net: NonNullable<PortEvidence['network']>,
  hasVrfs: boolean,
): string[] {
  const missing: string[] = []
  for (const i of ifaces)
    if (!running.interfaces[i]?.vlans.includes(net.vlan)) missing.push(`VLAN ${net.vlan} not on ${i}`)
  const v = net.l2Vni === null ? undefined : running.vnis[String(net.l2Vni)]
  if (!v) missing.push(`VNI ${net.l2Vni} absent`)
  else {
    if (v.vlan !== net.vlan) missing.push(`VNI ${net.l2Vni} mapped to VLAN ${v.vlan}, not ${net.vlan}`)
    const prefix = net.cidr.split('/')[1]
    if (v.gateway.address !== `${net.gateway}/${prefix}`)
      missing.push(`gateway ${v.gateway.address || 'none'}, not ${net.gateway}/${prefix}`)
    if (hasVrfs && net.vrf && v.vrf !== net.vrf)
      missing.push(`VNI ${net.l2Vni} in ${v.vrf || 'no VRF'}, not ${net.vrf}`)
  }
  if (hasVrfs && net.vrf) {
    const vrf = running.vrfs[net.vrf]
    if (!vrf) missing.push(`VRF ${net.vrf} absent`)
    else if (net.l3Vni !== null && vrf.l3Vni !== net.l3Vni)
      missing.push(`VRF ${net.vrf} L3 VNI ${vrf.l3Vni}, not ${net.l3Vni}`)
  }
  return missing
}

/** Missing leaf config means different things depending on what the controller recorded. */
function overlayCause(
  recorded: PlaneState,
  authority: PortEvidence['recordAuthority']['overlay'],
): {cause: CauseCode; why: string} {
  if (authority === 'none')
    return {
      cause: 'config-drift',
      why: 'Nothing records the overlay here, so the leaf simply lacks config the port needs (drift from the desired state): push the leaf.',
    }
  if (recorded === 'ACTIVE')
    return {
      cause: 'config-drift',
      why: 'The overlay is recorded ACTIVE, so this was pushed and has since disappeared from the leaf (drift): push the leaf again.',
    }
  if (recorded === 'ERROR')
    return {
      cause: 'push-failed',
      why: 'The controller recorded its push as failed (overlay ERROR): fix what made it fail, then push the leaf again.',
    }
  if (recorded === 'BUILD')
    return {
      cause: 'overlay-pending',
      why: 'The overlay is still BUILD: the controller has not pushed the leaf config yet.',
    }
  return {
    cause: 'overlay-down',
    why: 'The port is bound but its overlay is recorded DOWN: nothing asked the controller to push it.',
  }
}

function passedVerdict(warnings: number): Verdict {
  return {
    state: 'ACTIVE_ACTIVE',
    ok: true,
    cause: null,
    step: null,
    message: `Every step passed: the port should pass traffic${warnings ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}.`,
    repair: [],
  }
}

const ACTIVE_ACTIVE = {underlay: 'ACTIVE', overlay: 'ACTIVE', state: 'ACTIVE_ACTIVE'} as const

/**
 * The verdict of a port the gatherer found clean (types.ts CleanPortEvidence): what `finish` makes of a walk in
 * which every step passed and none warned, without the steps.
 */
export function cleanVerdict(c: CleanPortEvidence): PortVerdict {
  const p = c.port
  return {
    ref: c.ref,
    port: {id: p.id, name: p.name, network: p.network, ip: p.ip, mac: p.mac, host: p.host, az: c.az},
    recorded: {...ACTIVE_ACTIVE},
    evidence: {...ACTIVE_ACTIVE},
    disagreement: null,
    verdict: passedVerdict(0),
    warnings: [],
  }
}

/** `--all`: the fast verdict for a clean port, the full walk for any other. */
export function verdictOf(e: PortEvidence | CleanPortEvidence): PortVerdict {
  return 'clean' in e ? cleanVerdict(e) : diagnosePort(e)
}

function finish(ev: PortEvidence, steps: Step[], repairs: Map<StepId, string[]>): Diagnosis {
  const p = ev.port
  const failed = steps.find(s => s.status === 'failed')
  const warnings: Finding[] = steps
    .filter(s => s.status === 'warning')
    .map(s => ({cause: s.cause!, step: s.id, message: s.detail, repair: repairs.get(s.id) ?? []}))
  let verdict: Verdict
  if (!failed) {
    verdict = passedVerdict(warnings.length)
  } else {
    const cls = CAUSES[failed.cause!].class
    verdict = {
      state: cls === 'unreadable' ? 'UNKNOWN' : 'NOT_ACTIVE',
      ok: false,
      cause: failed.cause,
      step: failed.id,
      message: failed.detail,
      repair: repairs.get(failed.id) ?? [],
    }
  }
  const evidence = evidencePlanes(ev, steps)
  const recorded = p ? {underlay: p.underlay, overlay: p.overlay, state: `${p.underlay}_${p.overlay}`} : null
  let disagreement: Diagnosis['disagreement'] = null
  if (recorded) {
    // A disagreement is one side saying ACTIVE and the other not (BUILD vs ERROR is not news).
    const differs = (rec: PlaneState, evd: PlaneState | 'UNKNOWN') =>
      evd !== 'UNKNOWN' && (rec === 'ACTIVE') !== (evd === 'ACTIVE')
    const u = ev.recordAuthority.underlay !== 'none' && differs(recorded.underlay, evidence.underlay)
    const o = ev.recordAuthority.overlay !== 'none' && differs(recorded.overlay, evidence.overlay)
    if (u || o) {
      disagreement = {
        recorded: recorded.state,
        evidence: evidence.state,
        message: `Recorded ${recorded.state}, but the evidence shows ${evidence.state}: the evidence wins${failed ? ` (${failed.cause} at step ${failed.n} ${failed.id})` : ''}.`,
      }
    }
  }
  return {
    ref: ev.ref,
    port: p
      ? {id: p.id, name: p.name, network: p.network, ip: p.ip, mac: p.mac, host: p.host, az: ev.network?.az ?? null}
      : null,
    recorded,
    evidence,
    disagreement,
    steps,
    verdict,
    warnings,
  }
}

/** Each plane as the evidence shows it. */
function evidencePlanes(ev: PortEvidence, steps: Step[]): Diagnosis['evidence'] {
  const st = (id: StepId) => steps.find(s => s.id === id)!
  let underlay: PlaneState | 'UNKNOWN'
  let overlay: PlaneState | 'UNKNOWN'
  if (!ev.port) underlay = overlay = 'UNKNOWN'
  else if (!ev.port.host) underlay = overlay = 'DOWN'
  else {
    const hk = st('host-known')
    if (hk.cause === 'host-unreachable') underlay = 'UNKNOWN'
    else if (hk.status === 'failed') underlay = 'ERROR'
    else if (st('ovs-running').status === 'failed') underlay = 'ERROR'
    else if (st('device-attached').cause === 'device-missing') underlay = 'DOWN'
    else if (st('device-attached').status === 'failed') underlay = 'ERROR'
    else if (st('agent-alive').status === 'failed') underlay = 'UNKNOWN'
    else if (ev.host?.role !== 'baremetal' && st('device-attached').status === 'skipped') underlay = 'UNKNOWN'
    else underlay = 'ACTIVE'
    const leafSteps = (['controller-port', 'host-leaf-map', 'leaf-config'] as const).map(st)
    if (st('leaf-config').status === 'skipped' && st('leaves-reachable').status === 'skipped') overlay = 'UNKNOWN'
    else if (leafSteps.some(s => s.status === 'failed')) overlay = 'ERROR'
    else if (st('leaves-reachable').status === 'failed' || st('leaf-config').status === 'skipped') overlay = 'UNKNOWN'
    else overlay = 'ACTIVE'
  }
  return {underlay, overlay, state: `${underlay}_${overlay}`}
}
