import type {EvidenceSources} from '../../seam/evidence.js'
import type {FabricStore} from '../../store/fabric-store.js'

/** Trace and diagnose evidence from the simulated store (modules loaded on first use). */
export function simEvidence(contextName: string, store: FabricStore): EvidenceSources {
  return {
    trace: async (src, dst) => (await import('../../trace/sim.js')).simEvidence(store, contextName, src, dst),
    port: async ref => (await import('../../diagnose/sim.js')).simPortEvidence(store, ref),
    allPorts: async scope => (await import('../../diagnose/sim.js')).simEvidenceStream(store, scope),
  }
}
