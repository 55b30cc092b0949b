import {FabricError, notFound, usageError} from '../cli/errors.js'
import {EXIT} from '../cli/exit-codes.js'
import type {Port, Tenant} from '../model/types.js'
import {hasFault} from '../sim/faults.js'
import {deviceName} from '../sim/generator.js'
import type {FabricStore} from '../store/fabric-store.js'
import type {PortRow} from '../store/rows.js'
import {toPort} from '../store/rows.js'
import {DEFAULT_BRIDGES} from './bridges.js'
import type {EndpointEvidence, HostEvidence, SwitchEvidence, TraceEvidence} from './types.js'
import {portNames} from '../store/names.js'

export {DEFAULT_BRIDGES}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/

/**
 * Evidence for a trace from the simulated fabric's store, honouring its faults: the OVS agent's
 * wiring (`ovs_ports`), hosts (OVS running, agent heartbeat, NIC link), the leaves' running
 * configs and the `leaf-unreachable` fault. Spines have no fault kind: every spine is healthy.
 */
export function simEvidence(store: FabricStore, context: string, srcRef: string, dstRef: string): TraceEvidence {
  const tenants = new Map(store.tenants().map(t => [t.name, t]))
  const src = endpoint(store, tenants, srcRef, 'SRC')
  const dst = endpoint(store, tenants, dstRef, 'DST')
  const azName = src.network.az
  if (dst.network.az !== azName) {
    throw usageError(
      'TRACE_CROSS_AZ',
      `${srcRef} is in ${azName} and ${dstRef} in ${dst.network.az}; a trace stays within one availability zone (the interconnect between AZs is not modelled).`,
      `${srcRef} ${dstRef}`,
      'Trace two ports of the same AZ.',
    )
  }
  const az = store.az(azName)!
  const wanted = new Set([...(src.host?.nics ?? []), ...(dst.host?.nics ?? [])].map(n => n.switch))
  const switches: SwitchEvidence[] = []
  const warnings: string[] = []
  for (const s of store.switches({az: azName})) {
    const onPath = wanted.has(s.name)
    if (!onPath && (s.role === 'leaf' || s.role === 'access')) continue
    const reachable = !(s.role === 'leaf' && hasFault(store, 'leaf-unreachable', s.name))
    const running = s.role === 'leaf' && reachable ? (store.leafRunning(s.name) ?? null) : null
    switches.push({
      name: s.name,
      role: s.role,
      az: s.az,
      pair: s.pair,
      vtep: s.vtep,
      reachable,
      healthy: true,
      running,
      runningSource: running ? `leaf_configs.running of ${s.name}` : undefined,
    })
    if (s.role === 'leaf' && hasFault(store, 'push-fail', s.name))
      warnings.push(`pushes to leaf ${s.name} fail: a config change for these ports would not land there.`)
  }
  for (const e of [src, dst]) {
    if (
      e.host &&
      store
        .controllerHostMap(e.host.name)
        .some(m => !e.host!.nics.some(n => n.switch === m.leaf && n.interface === m.interface))
    ) {
      warnings.push(
        `the controller maps ${e.host.name} to leaf interfaces it is not cabled to: its next push for this host would miss the real ports.`,
      )
    }
    if (!store.controllerPort(e.port.id))
      warnings.push(`the controller has no record of ${e.port.name}: it would not push or repair its leaf config.`)
  }
  return {
    backend: 'sim',
    context,
    az: {name: az.name, topology: az.topology},
    src,
    dst,
    switches,
    warnings: [...new Set(warnings)],
  }
}

/** A port by name, id or IP, else an instance by name (its only port). */
export function resolvePort(store: FabricStore, ref: string, which: string): Port {
  // Name (unique) and id (primary key) by index first; only an IP needs the wider lookup.
  const exact = (store.sql('SELECT * FROM ports WHERE name = ?').get(ref) ??
    store.sql('SELECT * FROM ports WHERE id = ?').get(ref)) as PortRow | undefined
  if (exact && !IPV4.test(ref)) return toPort(exact)
  const ports = store.findPorts(ref)
  if (ports.length > 1) {
    throw usageError(
      'TRACE_ENDPOINT_AMBIGUOUS',
      `${which} "${ref}" matches ${ports.length} ports (${ports
        .slice(0, 5)
        .map(p => `${p.name} on ${p.network}`)
        .join(', ')}).`,
      ref,
      'Give the port name or id instead of the IP.',
    )
  }
  if (ports.length === 1) return ports[0]!
  const byInstance = (store.sql('SELECT * FROM ports WHERE instance = ? ORDER BY name').all(ref) as PortRow[]).map(
    toPort,
  )
  if (byInstance.length > 1) {
    throw usageError(
      'TRACE_ENDPOINT_AMBIGUOUS',
      `${which} instance "${ref}" has ${byInstance.length} ports (${byInstance.map(p => p.name).join(', ')}).`,
      ref,
      'Give one of its port names.',
    )
  }
  if (byInstance.length === 1) return byInstance[0]!
  throw notFound(
    'port or instance',
    ref,
    `${which} must be a port name, id or IP, or an instance name; list ports with \`fabricctl port list\`.`,
    portNames(store),
  )
}

function endpoint(store: FabricStore, tenants: Map<string, Tenant>, ref: string, which: string): EndpointEvidence {
  const port = resolvePort(store, ref, which)
  const net = store.network(port.network)
  if (!net)
    throw new FabricError({
      code: 'STORE_INCONSISTENT',
      message: `Port ${port.name} names network ${port.network}, which is not in the store.`,
      value: port.network,
      hint: 'Regenerate the fabric with `fabricctl sim init --force`.',
      exitCode: EXIT.CHECK_FAILED,
    })
  const tenant = tenants.get(net.tenant)
  const kind = port.instance
    ? ((
        store.sql('SELECT kind FROM instances WHERE name = ?').get(port.instance) as
          {kind: EndpointEvidence['instanceKind']} | undefined
      )?.kind ?? null)
    : null
  const h = port.host ? store.host(port.host) : undefined
  const host: HostEvidence | null = h
    ? {
        name: h.name,
        az: h.az,
        role: h.role,
        plugging: h.plugging,
        ovsPresent: h.ovsVersion !== null,
        // The simulated store always records these (rows.ts): true/false, never null.
        ovsRunning: h.ovsRunning === true,
        agentAlive: h.agentAlive,
        agentHeartbeatAt: h.agentHeartbeatAt,
        bond: h.bond,
        nics: h.nics.map(n => ({name: n.name, switch: n.switch, interface: n.interface, up: n.up === true})),
        bridges: {...DEFAULT_BRIDGES},
      }
    : null
  let attachment: EndpointEvidence['attachment'] = null
  if (host?.ovsPresent) {
    const ovs = store.ovsPortOf(port.id)
    const onHost = ovs && ovs.host === host.name ? ovs : undefined
    attachment = {
      vnic: 'eth0',
      hostEnd: deviceName('tap', port.id),
      hostEndKind: kind === 'vm' ? 'tap' : 'veth',
      hostEndPresent: true,
      qbr:
        host.plugging === 'qbr'
          ? {bridge: deviceName('qbr', port.id), qvb: deviceName('qvb', port.id), qvo: deviceName('qvo', port.id)}
          : null,
      brInt: onHost ? {device: onHost.device, localVlan: onHost.localVlan, ofport: onHost.ofport} : null,
    }
  }
  return {
    ref,
    port: {
      id: port.id,
      name: port.name,
      ip: port.ip,
      mac: port.mac,
      network: port.network,
      host: port.host,
      instance: port.instance,
      underlay: port.underlay,
      overlay: port.overlay,
    },
    instanceKind: kind,
    network: {
      name: net.name,
      az: net.az,
      tenant: net.tenant,
      vrf: tenant?.vrf ?? null,
      l3Vni: tenant?.l3Vni ?? null,
      vlan: net.vlan,
      l2Vni: net.l2Vni,
      cidr: net.cidr,
      gateway: net.gateway,
    },
    host,
    attachment,
  }
}
