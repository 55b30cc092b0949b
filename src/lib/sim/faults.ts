import {FabricError, notFound, usageError} from '../cli/errors.js'
import {EXIT} from '../cli/exit-codes.js'
import type {LeafConfig} from '../model/types.js'
import {canonicalLeafConfig} from '../leaf/desired.js'
import type {FabricStore} from '../store/fabric-store.js'
import {hostNames, leafNames, portNames} from '../store/names.js'

type TargetKind = 'host' | 'port' | 'leaf' | 'network'

/**
 * Faults the simulated fabric takes. Behaviour faults (agent down, leaf unreachable, push failing,
 * network exhausted) change how the simulated components act while they are active. World faults
 * (device missing, controller lacking a port, stale mapping, drift, OVS down, NIC down) change the
 * evidence at once — the recorded port status is left as it was, as in a real fabric — and keep
 * what they changed so that `fault clear` puts it back.
 */
export const FAULT_KINDS = {
  'agent-down': {
    target: 'host',
    description: 'the OVS agent on a host stops: heartbeat goes stale, new devices are not wired',
  },
  'ovs-down': {target: 'host', description: 'ovs-vswitchd is not running on a host'},
  'nic-down': {target: 'host', description: 'one bond member NIC (eth1) of a host loses link'},
  'device-missing': {target: 'port', description: "a port's device is gone from br-int on its host"},
  'controller-missing-port': {target: 'port', description: 'the controller has no record of a port'},
  'stale-host-map': {target: 'host', description: 'the controller maps a host to the wrong leaf interface'},
  'leaf-unreachable': {target: 'leaf', description: 'a leaf does not answer (no reads, no pushes)'},
  'push-fail': {target: 'leaf', description: 'pushes to a leaf fail half-way'},
  'config-drift': {target: 'leaf', description: "a VLAN disappears from a host interface in a leaf's running config"},
  'network-exhausted': {target: 'network', description: 'a network has no free address left'},
  'old-host-unreachable': {
    target: 'host',
    description: 'a host cannot be reached (its devices cannot be read or removed; its agent keeps what it wired)',
  },
  'stale-device': {
    target: 'port',
    description: "a migrate leaves the port's device (plugged by the agent) on the old host's br-int",
  },
  'stale-foreign-device': {
    target: 'port',
    description: "a migrate leaves a device with the port's iface-id on the old host that the agent did not plug",
  },
} as const satisfies Record<string, {target: TargetKind; description: string}>

export type FaultKind = keyof typeof FAULT_KINDS
export const FAULT_KIND_NAMES = Object.keys(FAULT_KINDS) as FaultKind[]

export interface Fault {
  id: number
  kind: FaultKind
  target: string
  params: Record<string, unknown>
  createdAt: string
}

/** How long ago a downed agent last beat: well past any staleness threshold. */
export const AGENT_DOWN_AGE_MS = 5 * 60 * 1000

export function listFaults(store: FabricStore, kind?: FaultKind): Fault[] {
  const rows = store
    .sql('SELECT * FROM faults WHERE (? IS NULL OR kind = ?) ORDER BY id')
    .all(kind ?? null, kind ?? null) as {
    id: number
    kind: FaultKind
    target: string
    params: string
    created_at: string
  }[]
  return rows.map(r => ({
    id: r.id,
    kind: r.kind,
    target: r.target,
    params: JSON.parse(r.params) as Record<string, unknown>,
    createdAt: r.created_at,
  }))
}

/** Is a fault of this kind active on this target? Cheap enough for hot paths (indexed). */
export function hasFault(store: FabricStore, kind: FaultKind, target: string): boolean {
  return store.sql('SELECT 1 FROM faults WHERE kind = ? AND target = ? LIMIT 1').get(kind, target) !== undefined
}

function resolveTarget(store: FabricStore, kind: FaultKind, target: string): string {
  const want = FAULT_KINDS[kind].target
  const hint = `Give a ${want} name${want === 'port' ? ', id or IP' : ''}; list them with \`fabricctl ${want === 'port' ? 'port list' : `${want} list`}\`.`
  switch (want) {
    case 'host': {
      if (!store.host(target)) throw notFound('host', target, hint, hostNames(store))
      return target
    }
    case 'leaf': {
      const sw = store.switch(target)
      if (!sw || sw.role !== 'leaf') throw notFound('leaf', target, hint, leafNames(store))
      return target
    }
    case 'network': {
      const net = store.network(target)
      if (!net) throw notFound('network', target, hint)
      return net.name
    }
    case 'port': {
      const ports = store.findPorts(target)
      if (ports.length === 0) throw notFound('port', target, hint, portNames(store))
      if (ports.length > 1)
        throw usageError(
          'PORT_AMBIGUOUS',
          `"${target}" matches ${ports.length} ports.`,
          target,
          'Use the port name or id instead of the IP.',
        )
      return ports[0]!.id
    }
  }
}

export interface InjectOptions {
  interface?: string
  vlan?: number
}

/** Inject a fault; world faults apply their change in the same transaction. */
export function injectFault(store: FabricStore, kind: FaultKind, rawTarget: string, opts: InjectOptions = {}): Fault {
  if (!(kind in FAULT_KINDS)) {
    throw usageError(
      'FAULT_KIND_UNKNOWN',
      `Unknown fault kind "${kind}".`,
      kind,
      `Use one of: ${FAULT_KIND_NAMES.join(', ')}.`,
    )
  }
  return store.tx(() => {
    const target = resolveTarget(store, kind, rawTarget)
    if (hasFault(store, kind, target)) {
      throw new FabricError({
        code: 'FAULT_EXISTS',
        message: `A ${kind} fault is already active on ${rawTarget}.`,
        value: rawTarget,
        hint: 'List faults with `fabricctl sim fault list`; clear it first to inject it again.',
        exitCode: EXIT.USAGE,
      })
    }
    const params: Record<string, unknown> = {undo: applyWorldFault(store, kind, target, opts)}
    const createdAt = store.now()
    const info = store
      .sql('INSERT INTO faults(kind, target, params, created_at) VALUES (?, ?, ?, ?)')
      .run(kind, target, JSON.stringify(params), createdAt)
    return {id: Number(info.lastInsertRowid), kind, target, params, createdAt}
  })
}

function applyWorldFault(store: FabricStore, kind: FaultKind, target: string, opts: InjectOptions): unknown {
  switch (kind) {
    case 'agent-down': {
      const at = new Date(Date.parse(store.now()) - AGENT_DOWN_AGE_MS).toISOString()
      store.sql('UPDATE hosts SET agent_alive = 0, agent_heartbeat_at = ? WHERE name = ?').run(at, target)
      return null
    }
    case 'ovs-down':
      store.sql('UPDATE hosts SET ovs_running = 0 WHERE name = ?').run(target)
      return null
    case 'nic-down':
      store.sql(`UPDATE cabling SET up = 0 WHERE host = ? AND nic = 'eth1'`).run(target)
      return null
    case 'device-missing': {
      const row = store.sql('SELECT * FROM ovs_ports WHERE port_id = ?').get(target)
      if (!row)
        throw usageError(
          'FAULT_NOT_APPLICABLE',
          `Port ${target} has no device on any br-int (unbound or bare metal).`,
          target,
          'Pick a port bound to a host with OVS.',
        )
      store.sql('DELETE FROM ovs_ports WHERE port_id = ?').run(target)
      return row
    }
    case 'controller-missing-port': {
      const row = store.sql('SELECT * FROM controller_ports WHERE port_id = ?').get(target)
      store.sql('DELETE FROM controller_ports WHERE port_id = ?').run(target)
      return row ?? null
    }
    case 'stale-host-map': {
      const rows = store.sql('SELECT * FROM controller_host_map WHERE host = ?').all(target) as {
        host: string
        leaf: string
        interface: string
      }[]
      if (rows.length === 0)
        throw usageError(
          'FAULT_NOT_APPLICABLE',
          `The controller has no leaf mapping for host ${target}.`,
          target,
          'Pick a host cabled to leaves (spine-leaf AZ).',
        )
      // The host was recabled but the controller still points one port further along.
      for (const r of rows) {
        const n = Number(/\d+$/.exec(r.interface)?.[0] ?? 0)
        store
          .sql('UPDATE controller_host_map SET interface = ? WHERE host = ? AND leaf = ?')
          .run(`${r.interface.replace(/\d+$/, '')}${n + 100}`, r.host, r.leaf)
      }
      return rows
    }
    case 'config-drift': {
      const running = store.leafRunning(target)
      const iface = opts.interface ?? Object.keys(running?.interfaces ?? {})[0]
      const entry = iface === undefined ? undefined : running?.interfaces[iface]
      const vlan = opts.vlan ?? entry?.vlans[0]
      if (!running || !entry || vlan === undefined || !entry.vlans.includes(vlan)) {
        throw usageError(
          'FAULT_NOT_APPLICABLE',
          `Leaf ${target} has no VLAN ${vlan ?? ''} on interface ${iface ?? '(none)'} to drift.`.replace('  ', ' '),
          target,
          'Pick an interface and VLAN from `fabricctl leaf show LEAF`, with --interface and --vlan.',
        )
      }
      entry.vlans = entry.vlans.filter(v => v !== vlan)
      if (entry.vlans.length === 0) delete running.interfaces[iface!]
      writeRunning(store, target, running)
      return {interface: iface, vlan}
    }
    case 'leaf-unreachable':
    case 'push-fail':
    case 'network-exhausted':
    case 'old-host-unreachable':
    case 'stale-device':
    case 'stale-foreign-device':
      return null
  }
}

function writeRunning(store: FabricStore, leaf: string, cfg: LeafConfig): void {
  store
    .sql('UPDATE leaf_configs SET running = ?, updated_at = ? WHERE leaf = ?')
    .run(JSON.stringify(canonicalLeafConfig(cfg)), store.now(), leaf)
}

/** Clear faults (one id, or all) and put back what world faults changed. */
export function clearFaults(store: FabricStore, id: number | 'all'): Fault[] {
  return store.tx(() => {
    const faults = id === 'all' ? listFaults(store) : listFaults(store).filter(f => f.id === id)
    if (id !== 'all' && faults.length === 0) {
      throw usageError(
        'FAULT_NOT_FOUND',
        `No active fault with id ${id}.`,
        id,
        'List active faults with `fabricctl sim fault list`.',
      )
    }
    for (const f of faults) {
      undoWorldFault(store, f)
      store.sql('DELETE FROM faults WHERE id = ?').run(f.id)
    }
    return faults
  })
}

function undoWorldFault(store: FabricStore, f: Fault): void {
  const undo = f.params.undo as any
  switch (f.kind) {
    case 'agent-down':
      store.sql('UPDATE hosts SET agent_alive = 1, agent_heartbeat_at = ? WHERE name = ?').run(store.now(), f.target)
      break
    case 'ovs-down':
      store.sql('UPDATE hosts SET ovs_running = 1 WHERE name = ?').run(f.target)
      break
    case 'nic-down':
      store.sql(`UPDATE cabling SET up = 1 WHERE host = ? AND nic = 'eth1'`).run(f.target)
      break
    case 'device-missing':
      // Only if the port still lives on that host: a migrate meanwhile made the old device moot.
      if (store.port(f.target)?.host === undo.host) {
        store
          .sql('INSERT OR IGNORE INTO ovs_ports(host, device, port_id, local_vlan, ofport) VALUES (?, ?, ?, ?, ?)')
          .run(undo.host, undo.device, undo.port_id, undo.local_vlan, undo.ofport)
      }
      break
    case 'controller-missing-port':
      if (undo && store.port(f.target)) {
        const p = store.port(f.target)!
        store
          .sql('INSERT OR IGNORE INTO controller_ports(port_id, network, host, ip, mac) VALUES (?, ?, ?, ?, ?)')
          .run(p.id, p.network, p.host, p.ip, p.mac)
      }
      break
    case 'stale-host-map':
      for (const r of undo as {host: string; leaf: string; interface: string}[]) {
        store
          .sql('UPDATE controller_host_map SET interface = ? WHERE host = ? AND leaf = ?')
          .run(r.interface, r.host, r.leaf)
      }
      break
    case 'config-drift': {
      const running = store.leafRunning(f.target)
      if (!running) break
      const entry = (running.interfaces[undo.interface] ??= {vlans: []})
      if (!entry.vlans.includes(undo.vlan)) entry.vlans = [...entry.vlans, undo.vlan].sort((a, b) => a - b)
      writeRunning(store, f.target, running)
      break
    }
    default:
      break
  }
}
