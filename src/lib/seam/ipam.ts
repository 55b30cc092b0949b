import type {PlaneState} from '../model/types.js'
import type {PortService} from '../ports/types.js'

/**
 * The IPAM member of the fabric seam (issue 11): what a port operation needs from the port store,
 * whichever backend holds it. The sim implements it on the embedded store
 * (`backends/sim/ipam.ts`), live on Neutron's HTTP API (`backends/live/ipam.ts`). Capabilities use
 * these members and never ask which backend they hold.
 */

/** Where the overlay plane of a port is recorded. */
export type OverlayRecord =
  /** The simulated controller's own column (sim). */
  | 'store'
  /** Neutron's `data_plane_status` extension (ACTIVE / DOWN). */
  | 'data_plane_status'
  /** A port tag `fabricctl-overlay:ACTIVE|DOWN`, where Neutron has `standard-attr-tag` but not data_plane_status. */
  | 'port-tag'
  /** Nowhere: the overlay is not recorded; only the leaves' evidence (`port diagnose`) tells it. */
  | 'none'

export interface IpamCapabilities {
  /** Neutron extension aliases as read from /v2.0/extensions (sim: the ones it behaves as if it had). */
  extensions: string[]
  overlayRecord: OverlayRecord
  /** Conditional updates (`If-Match: revision_number=N`, the `revision-if-match` extension). */
  revisionIfMatch: boolean
}

/** A port as the IPAM member returns it: enough to plan, bind, undo and record. */
export interface IpamPort {
  id: string
  name: string
  networkId: string
  ip: string
  mac: string
  host: string | null
  /** Neutron's revision_number (sim: null; its changes are serialised by one transaction). */
  revision: number | null
}

export interface IpamChangeOptions {
  /** Apply only if the port is still at this revision (If-Match); a mismatch is PORT_CHANGED_CONCURRENTLY. */
  ifRevision?: number | null
  /**
   * What the caller's plan rests on, as it read the port. Neutron moves a port's revision without a change
   * anyone made (ML2 retries a failed binding on reads and updates: each retry bumps it), so a revision
   * mismatch is only a concurrent change when one of these differs now; otherwise the update is retried
   * on the new revision (bounded).
   */
  basis?: PortBasis
}

/** The facts of a port that a change plan rests on. */
export interface PortBasis {
  host: string | null
  ips: string[]
  mac: string
  deviceId: string
}

export interface Ipam {
  capabilities(): Promise<IpamCapabilities>
  /** Ports a reference (name, id or IP) names: zero, one, or several (names are not unique in Neutron). */
  findPorts(ref: string): Promise<IpamPort[]>
  port(id: string): Promise<IpamPort>
  /** Create ports in one atomic batch (Neutron's bulk POST: all or none). */
  createBatch(bodies: {networkId: string; name: string; host?: string; ip?: string}[]): Promise<IpamPort[]>
  bind(id: string, host: string, opts?: IpamChangeOptions): Promise<IpamPort>
  unbind(id: string, opts?: IpamChangeOptions): Promise<IpamPort>
  delete(id: string): Promise<void>
  tagNetwork(networkId: string, tag: string, action: 'add' | 'remove'): Promise<void>
  /** Record the overlay plane where the deployment allows (see `OverlayRecord`); returns where it went. */
  recordOverlay(id: string, overlay: PlaneState): Promise<{record: OverlayRecord; value: 'ACTIVE' | 'DOWN' | null}>
  /**
   * The backend's port engine (allocate, bind, migrate, release, show, list, IPAM reads), opened
   * lazily. Both engines share the rules of `ports/common.ts` and the step plans of `ports/plan.ts`.
   */
  portService(): Promise<PortService>
}

export const OVERLAY_TAG_PREFIX = 'fabricctl-overlay:'

export function overlayTag(value: 'ACTIVE' | 'DOWN'): string {
  return `${OVERLAY_TAG_PREFIX}${value}`
}

/** The fields of a Neutron port that carry its recorded state. */
export interface RecordedNeutronPort {
  status: string
  'binding:host_id'?: string | null
  'binding:vif_type'?: string | null
  data_plane_status?: string | null
  tags?: string[] | null
}

/** The overlay as recorded on a Neutron port: data_plane_status first, else fabricctl's port tag. */
export function recordedOverlay(p: RecordedNeutronPort): {value: 'ACTIVE' | 'DOWN' | null; source: OverlayRecord} {
  if (p.data_plane_status === 'ACTIVE' || p.data_plane_status === 'DOWN')
    return {value: p.data_plane_status, source: 'data_plane_status'}
  const tag = (p.tags ?? []).find(t => t.startsWith(OVERLAY_TAG_PREFIX))
  if (tag) {
    const v = tag.slice(OVERLAY_TAG_PREFIX.length)
    if (v === 'ACTIVE' || v === 'DOWN') return {value: v, source: 'port-tag'}
  }
  return {value: null, source: 'none'}
}

/**
 * The one reading of a Neutron port's recorded planes, used by `port show/list`, `port states` and
 * `port diagnose` alike, so they never disagree.
 * - Unbound: DOWN_DOWN.
 * - Underlay: Neutron status ACTIVE → ACTIVE, ERROR → ERROR; bound with `binding:vif_type`
 *   binding_failed → ERROR (no mechanism driver could bind it there); otherwise BUILD.
 * - Overlay: the recorded value (data_plane_status, else fabricctl's port tag): ACTIVE, or ERROR for
 *   DOWN on a bound port; nothing recorded → BUILD (never inferred from the underlay's status).
 */
export function recordedPlanes(p: RecordedNeutronPort): {
  underlay: PlaneState
  overlay: PlaneState
  source: OverlayRecord
} {
  const rec = recordedOverlay(p)
  if (!p['binding:host_id']) return {underlay: 'DOWN', overlay: 'DOWN', source: rec.source}
  const underlay: PlaneState =
    p.status === 'ACTIVE'
      ? 'ACTIVE'
      : p.status === 'ERROR'
        ? 'ERROR'
        : p['binding:vif_type'] === 'binding_failed'
          ? 'ERROR'
          : 'BUILD'
  const overlay: PlaneState = rec.value === 'ACTIVE' ? 'ACTIVE' : rec.value === 'DOWN' ? 'ERROR' : 'BUILD'
  return {underlay, overlay, source: rec.source}
}

/** Where a deployment with these extensions records the overlay. */
export function overlayRecordFor(extensions: readonly string[]): OverlayRecord {
  if (extensions.includes('data-plane-status')) return 'data_plane_status'
  if (extensions.includes('standard-attr-tag')) return 'port-tag'
  return 'none'
}
