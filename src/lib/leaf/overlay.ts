import type {PlaneState} from '../model/types.js'
import type {LeafDriverRegistry} from '../seam/leaf-drivers.js'
import type {PushResult} from './engine.js'

export interface PortLeavesOutcome {
  /** The port's overlay plane after the push, from the verified result. */
  overlay: PlaneState
  /** Leaves of the new host ('new'), of the previous host ('old'), or both. */
  leaves: (PushResult & {side: 'new' | 'old' | 'both'})[]
  /** Live: what was written to the Neutron port's data_plane_status (null when it was not written). */
  dataPlaneStatus: 'ACTIVE' | 'DOWN' | null
  reasons: string[]
}

/**
 * For the port bind / migrate / release paths: configure the leaves of the port's (new) host,
 * clean those of its previous host (a network's VLAN leaves an interface when its last port on that
 * host went; its VNI leaves the leaf when no host under it needs it — the desired state decides),
 * and record the overlay plane from the verified result: ACTIVE when every leaf of the new host
 * carries its desired state, ERROR otherwise, DOWN when the port has no host.
 *
 * Live: call it after Neutron holds the port's new `binding:host_id`; it writes the overlay state
 * to the port's `data_plane_status` (ACTIVE, or DOWN for ERROR/DOWN). Sim: it runs the same engine
 * from the cabling and writes ports.overlay (the simulated controller itself uses reconcileLeaves).
 * With `record: false` (a released port) nothing is recorded.
 */
export async function configurePortLeaves(
  fabric: {leafDrivers: LeafDriverRegistry},
  port: {portId: string; host: string | null; previousHost?: string | null},
  opts: {record?: boolean; push?: import('./engine.js').PushOptions} = {},
): Promise<PortLeavesOutcome> {
  const reg = fabric.leafDrivers
  const svc = await reg.service()
  try {
    const newLeaves = port.host ? await reg.leavesOfHost(port.host) : []
    const oldLeaves = port.previousHost ? await reg.leavesOfHost(port.previousHost) : []
    const all = [...new Set([...newLeaves, ...oldLeaves])]
    // All at once, as `leaf push --all` does: a VNI new to several leaves only verifies (each leaf sees the
    // others as remote VTEPs) once every one of them carries it, so one leaf after the other would fail the first.
    const pushed = await Promise.all(all.map(leaf => svc.push(leaf, opts.push ?? {force: true}))) // ports: the caller's gates (--max-changes)
    const {overlay, leaves, reasons} = portLeavesOutcome(port.host, {newLeaves, oldLeaves}, pushed)
    let dataPlaneStatus: 'ACTIVE' | 'DOWN' | null = null
    // record: false when the port is gone (release): only its previous host's leaves are cleaned.
    if (opts.record !== false) dataPlaneStatus = await reg.recordOverlay(port.portId, overlay)
    return {overlay, leaves, dataPlaneStatus, reasons}
  } finally {
    svc.close()
  }
}

/**
 * What the leaf pushes of a port change mean for the port: each push's side (the new host's leaves, the
 * old host's, or both) and the overlay plane, ACTIVE when every leaf of the new host carries its desired
 * state, ERROR otherwise, DOWN when the port has no host. The one reading, for every port path.
 */
export function portLeavesOutcome(
  host: string | null,
  sides: {newLeaves: readonly string[]; oldLeaves: readonly string[]},
  pushed: readonly PushResult[],
): Pick<PortLeavesOutcome, 'overlay' | 'leaves' | 'reasons'> {
  const {newLeaves, oldLeaves} = sides
  const leaves: PortLeavesOutcome['leaves'] = pushed.map(r => {
    const leaf = r.leaf
    return {
      ...r,
      side: newLeaves.includes(leaf) && oldLeaves.includes(leaf) ? 'both' : newLeaves.includes(leaf) ? 'new' : 'old',
    }
  })
  const ok = (r: PushResult) => r.status === 'applied' || r.status === 'unchanged'
  const failedNew = leaves.filter(r => r.side !== 'old' && !ok(r))
  const reasons: string[] = []
  let overlay: PlaneState
  if (!host) {
    overlay = 'DOWN'
    reasons.push('the port has no host')
  } else if (newLeaves.length === 0) {
    overlay = 'ERROR'
    reasons.push(`host ${host} is cabled to no leaf`)
  } else if (failedNew.length > 0) {
    overlay = 'ERROR'
    reasons.push(...failedNew.map(r => `${r.leaf}: ${r.error?.message ?? r.status}`))
  } else {
    overlay = 'ACTIVE'
    reasons.push(`${newLeaves.join(', ')} carry the port's network (verified)`)
  }
  for (const r of leaves.filter(x => x.side === 'old' && !ok(x)))
    reasons.push(`cleaning the previous host's leaf ${r.leaf} failed: ${r.error?.message ?? r.status}`)
  return {overlay, leaves, reasons}
}
