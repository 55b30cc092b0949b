import {beforeUnit, pacing} from '../../cli/interrupt.js'
import {FabricError} from '../../cli/errors.js'
import {EXIT} from '../../cli/exit-codes.js'
import type {HostProbe, PortDevice, PortWiring, ProbeTarget} from '../../seam/host-probe.js'
import {hasFault} from '../../sim/faults.js'
import type {FabricStore} from '../../store/fabric-store.js'

/** The host probe of the simulated fabric: facts from the store, in batches (memory stays flat on large fabrics). */
export function simHostProbe(store: FabricStore): HostProbe {
  return {
    wiring: simWiring(store),
    source: 'sim',
    unknownHostHint: 'List hosts with `fabricctl host list`.',
    hosts: async () => store.hosts(),
    async deviceLastSeen(portIds) {
      const want = new Set(portIds)
      const rows = store.sql(`SELECT target, created_at FROM faults WHERE kind = 'device-missing'`).all() as {
        target: string
        created_at: string
      }[]
      return new Map(rows.filter(r => want.has(r.target)).map(r => [r.target, r.created_at]))
    },
    async facts(targets, opts, onResult) {
      const {simEvidence} = await import('../../audit/sources/sim.js')
      const all = new Map(store.hosts().map(h => [h.name, h]))
      const hosts = targets.map(t => all.get(t.name)!)
      const pace = pacing()
      for (let i = 0; i < hosts.length && !opts.shouldStop?.(); i += 250) {
        const batch = hosts.slice(i, i + 250)
        const t0 = performance.now()
        const evidence = simEvidence(store, batch, opts.facts)
        const per = (performance.now() - t0) / Math.max(1, batch.length)
        for (const [j, e] of evidence.entries()) {
          if (pace) await beforeUnit(e.host)
          if (opts.shouldStop?.()) return
          await onResult({host: targets[i + j]!, facts: e, elapsedMs: per}, i + j)
        }
        // Let the live view and the ndjson stream breathe between batches.
        await new Promise(resolve => setImmediate(resolve))
      }
    },
  }
}

/**
 * The sim's port wiring: the devices of the OVS agents' table (ovs_ports). A device is reported with
 * the external_ids its plugger set: the agent's plug carries iface-id and attached-mac; the device a
 * `stale-foreign-device` fault leaves on a host the port has left carries only the iface-id (plugged
 * by hand). `old-host-unreachable` and `ovs-down` make the host unreadable.
 */
function simWiring(store: FabricStore): PortWiring {
  const unreadable = (host: string): {code: string; message: string; hint: string | null} | null => {
    if (hasFault(store, 'old-host-unreachable', host))
      return {
        code: 'SSH_UNREACHABLE',
        message: `host ${host} does not answer (sim fault old-host-unreachable)`,
        hint: 'Clear the fault with `fabricctl sim fault clear ID`.',
      }
    const h = store.host(host)
    if (h && h.ovsVersion !== null && h.ovsRunning === false)
      return {
        code: 'OVSDB_UNREADABLE',
        message: `ovsdb-server is not running on ${host} (sim fault ovs-down)`,
        hint: 'Start OVS on the host, then run the command again.',
      }
    return null
  }
  return {
    async portDevices(target: ProbeTarget, portId: string) {
      const source = `sim: ovs_ports of ${target.name}`
      const failure = unreadable(target.name)
      if (failure) return {host: target.name, failure, source}
      const port = store.port(portId)
      const rows = store
        .sql('SELECT device, ofport FROM ovs_ports WHERE host = ? AND port_id = ? ORDER BY device')
        .all(target.name, portId) as {device: string; ofport: number}[]
      const foreign = hasFault(store, 'stale-foreign-device', portId) && port?.host !== target.name
      const devices = rows.map((r): PortDevice => ({
        host: target.name,
        device: r.device,
        bridge: 'br-int',
        ofport: r.ofport,
        externalIds: foreign
          ? {'iface-id': portId}
          : {'iface-id': portId, 'attached-mac': port?.mac ?? '', 'iface-status': 'active'},
      }))
      return {host: target.name, devices, source}
    },
    async unplug(target: ProbeTarget, device: PortDevice, portId: string) {
      const failure = unreadable(target.name)
      if (failure)
        throw new FabricError({
          code: failure.code,
          message: `Cannot remove ${device.device} from ${target.name}: ${failure.message}.`,
          value: target.name,
          hint: failure.hint ?? 'Check the host.',
          exitCode: EXIT.PARTIAL,
        })
      store
        .sql('DELETE FROM ovs_ports WHERE host = ? AND device = ? AND port_id = ?')
        .run(target.name, device.device, portId)
    },
  }
}
