import {beforeUnit, pacing} from '../../cli/interrupt.js'
import type {HostProbe} from '../../seam/host-probe.js'
import type {FabricStore} from '../../store/fabric-store.js'

/** The host probe of the simulated fabric: facts from the store, in batches (memory stays flat on large fabrics). */
export function simHostProbe(store: FabricStore): HostProbe {
  return {
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
        const evidence = simEvidence(store, batch)
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
