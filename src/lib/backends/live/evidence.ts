import type {LiveContext} from '../../context/schema.js'
import type {EvidenceSources} from '../../seam/evidence.js'
import type {LeafDriverRegistry} from '../../seam/leaf-drivers.js'

/**
 * Trace and diagnose evidence from Neutron, the hosts over SSH and the leaves (modules loaded on first
 * use). Trace and diagnose read leaves through the fabric's leaf-driver registry, as `leaf diff` does.
 */
export function liveEvidence(ctx: LiveContext, leafDrivers: Pick<LeafDriverRegistry, 'open'>): EvidenceSources {
  return {
    trace: async (src, dst, spec) =>
      (await import('../../trace/live.js')).liveEvidence(ctx, leafDrivers, src, dst, spec),
    port: async ref => (await import('../../diagnose/live.js')).livePortEvidence(ctx, leafDrivers, ref),
    allPorts: async scope => (await import('../../diagnose/live.js')).liveAllEvidence(ctx, leafDrivers, scope),
  }
}
