import type {CleanPortEvidence, PortEvidence} from '../diagnose/types.js'
import type {FlowSpec, TraceEvidence} from '../trace/types.js'

/**
 * What trace and diagnose read about ports and paths, gathered by the backend (sim: the store;
 * live: Neutron, the hosts over SSH, the leaves). The verdicts are computed above the seam, from
 * this evidence only (trace/compute.ts, diagnose/steps.ts), the same for both backends.
 */
export interface EvidenceSources {
  /** The evidence for one flow between two endpoints (port name, id or IP). */
  trace(srcRef: string, dstRef: string, spec: FlowSpec): Promise<TraceEvidence>
  /** Everything known about one port (name, id or IP). */
  port(ref: string): Promise<PortEvidence>
  /**
   * Every port in scope (an AZ, a recorded UNDERLAY_OVERLAY state), streamed where the backend can. A backend
   * that indexes its evidence in bulk may hand a port it checked clean as CleanPortEvidence (the fast path).
   */
  allPorts(scope: {az?: string; state?: string}): Promise<Iterable<PortEvidence | CleanPortEvidence>>
}
