import type {LiveContext} from '../../context/schema.js'
import type {EvidenceSources} from '../../seam/evidence.js'
import type {HostProbe} from '../../seam/host-probe.js'
import type {LeafDriverRegistry} from '../../seam/leaf-drivers.js'

/**
 * Trace and diagnose evidence from Neutron, the hosts over SSH and the leaves (modules loaded on first
 * use). Trace and diagnose read leaves through the fabric's leaf-driver registry, as `leaf diff` does, and
 * hosts through the fabric's host probe, as audit does (trace: `hostProbe.open`, whose session also runs ofproto/trace).
 */
export function liveEvidence(
  ctx: LiveContext,
  leafDrivers: Pick<LeafDriverRegistry, 'open'>,
  hostProbe: HostProbe,
): EvidenceSources {
  return {
    trace: async (src, dst, spec) =>
      (await import('./trace-evidence.js')).liveTraceEvidence(ctx, {leafDrivers, hostProbe}, src, dst, spec),
    port: async ref => (await import('../../diagnose/live.js')).livePortEvidence(ctx, {leafDrivers, hostProbe}, ref),
    allPorts: async scope =>
      (await import('../../diagnose/live.js')).liveAllEvidence(ctx, {leafDrivers, hostProbe}, scope),
  }
}
