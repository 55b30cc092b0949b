import type {LeafDriver, PendingRevert, SnapshotKind} from '../leaf/driver.js'
import type {LeafChange} from '../leaf/diff.js'
import type {PushError, PushOptions, PushResult, RollbackResult, VerifyResult} from '../leaf/engine.js'
import type {LeafConfig, PlaneState, Switch} from '../model/types.js'

/**
 * The leaf-driver registry (issue 11's seam member `fabric.leafDrivers`): the one way capabilities
 * reach leaves, whichever backend serves the fabric. `open(leaf)` gives the leaf's driver (read,
 * prepare, apply, verify, restore); `service()` the leaf capability built on the drivers (desired
 * state, diff, push with its gates, verify, rollback). Leaf, diagnose and trace use it and never ask
 * which backend they hold. Implementations: `backends/sim/leaf-drivers.ts`, `backends/live/leaf-drivers.ts`.
 */
export interface LeafDriverRegistry {
  /**
   * The driver of one leaf; the caller closes it. Throws LeafDriverError (LEAF_UNREACHABLE, LEAF_DRIVER_UNSUPPORTED).
   * Live: the Neutron state behind the drivers (catalogue, host ports, expected MACs) is read at the registry's
   * first open and shared by every later one; open after a port change, or use a new fabric.
   */
  open(leaf: string): Promise<LeafDriver>
  /**
   * The leaf capability (desired state, diff, push, verify, rollback); one per command, closed by the caller.
   * `assume`: the desired state as if these ports were bound there, for gating a planned port change with dry-run
   * pushes before anything is applied (live). The sim plans its port changes inside a rolled-back transaction of
   * its port engine and refuses `assume` (NOT_SUPPORTED) rather than ignore it.
   */
  service(opts?: {assume?: readonly PortAssumption[]}): Promise<LeafService>
  /** The leaves a host is cabled to (the inventory's / the store's cabling). */
  leavesOfHost(host: string): Promise<string[]>
  /** Whether pushes to several leaves must run one at a time (the sim's single store), not `--concurrency` at once. */
  readonly serialPush: boolean
  /** Where the desired state comes from, for display: the sim's cabling, or Neutron + the context's inventory. */
  readonly desiredSource: 'cabling' | 'neutron+inventory'
  /** The running configuration recorded without asking the leaf (the sim's store), or null when none is kept. */
  recordedRunning(leaf: string): Promise<LeafConfig | null>
  /**
   * Record a port's overlay plane after its leaves were pushed (sim: ports.overlay; live: Neutron's
   * data_plane_status, ACTIVE or DOWN). Returns what was written to Neutron, or null (sim).
   * (Belongs with the state recorder once that member lands; kept here so overlay.ts needs no backend test.)
   */
  recordOverlay(portId: string, overlay: PlaneState): Promise<'ACTIVE' | 'DOWN' | null>
}

/** A port read as bound to `host` (null: unbound or gone) for a planned port change. */
export interface PortAssumption {
  portId: string
  host: string | null
  /** For a port the change will create (not in the IPAM yet): its network. */
  networkId?: string
}

export interface LeafDiffResult {
  leaf: string
  driver: string
  status: 'in-sync' | 'differs' | 'unreachable'
  changes: LeafChange[]
  summary: string[]
  /** Unified diff of the running configuration (---) against the desired one (+++). */
  diff: string[]
  /** What the leaf carries that fabricctl does not manage (information only; never changed). */
  unmanaged?: string[]
  error?: PushError
}

/** The leaf capability: commands hold one and never ask which backend it is. */
export interface LeafService {
  leaves(): Promise<Switch[]>
  /** Leaf names from a name, --all or --port. */
  targets(sel: {leaf?: string; all?: boolean; port?: string}): Promise<string[]>
  desired(leaf: string): Promise<LeafConfig>
  diff(leaf: string): Promise<LeafDiffResult>
  push(leaf: string, opts: PushOptions): Promise<PushResult>
  verify(leaf: string): Promise<VerifyResult>
  rollback(leaf: string, to: SnapshotKind, opts: {dryRun?: boolean}): Promise<RollbackResult>
  /** Commit-confirm: disarm the reverts armed on a leaf (`leaf confirm`). */
  confirm(leaf: string): Promise<LeafConfirmResult>
  /** Commit-confirm: the reverts armed on a leaf (`leaf pending`). */
  pending(leaf: string): Promise<LeafConfirmResult>
  /** The driver's rendering of the desired state (FRR text and kernel commands), when it has one. */
  render(leaf: string): Promise<{driver: string; profile: string; frr: string; kernel: string[]; notes: string[]}>
  close(): void
}

export interface LeafConfirmResult {
  leaf: string
  driver: string
  status: 'ok' | 'unsupported' | 'unreachable'
  reverts: PendingRevert[]
  error?: PushError
}
