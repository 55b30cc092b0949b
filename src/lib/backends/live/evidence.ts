import type {LiveContext} from '../../context/schema.js'
import type {EvidenceSources} from '../../seam/evidence.js'

/** Trace and diagnose evidence from Neutron, the hosts over SSH and the leaves (modules loaded on first use). */
export function liveEvidence(ctx: LiveContext): EvidenceSources {
  return {
    trace: async (src, dst, spec) => (await import('../../trace/live.js')).liveEvidence(ctx, src, dst, spec),
    port: async ref => (await import('../../diagnose/live.js')).livePortEvidence(ctx, ref),
    allPorts: async scope => (await import('../../diagnose/live.js')).liveAllEvidence(ctx, scope),
  }
}
