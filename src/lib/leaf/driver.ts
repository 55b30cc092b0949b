import type {LeafConfig} from '../model/types.js'
import type {LeafChange} from './diff.js'
import type {Known, Unknown} from './facts.js'

export type MaybePromise<T> = T | Promise<T>

/** A switch's hardware model, as the switch itself says it (never from its name or the inventory). */
export interface LeafPlatform {
  /** The model string (e.g. `x86_64-mlnx_msn2700-r0`); null when the leaf says none. */
  model: string | null
  /** Where it was read, e.g. `/etc/machine.conf onie_platform`. */
  source: string | null
  /** Why model is null. */
  reason: string | null
}

/**
 * What a leaf is running, in a form the driver can put back exactly. `config` is the model view
 * (DESIGN §3) every command compares; `raw` is the driver's own evidence (FRR: the running
 * configuration and the file, byte for byte, and the managed kernel devices).
 */
export interface LeafSnapshot {
  driver: string
  leaf: string
  takenAt: string
  config: LeafConfig
  raw?: unknown
}

export interface RunningState {
  config: LeafConfig
  snapshot: LeafSnapshot
  /** What the leaf carries that fabricctl does not manage (never changed; shown by `leaf diff`). */
  unmanaged?: string[]
  /**
   * Everything the leaf carries, managed or not (`config` is only what fabricctl manages): what the
   * traffic meets, for diagnose and trace. Absent when the driver's `config` already is all of it.
   */
  observed?: LeafConfig
  /**
   * Facts the driver read from the devices with the running state (never defaulted): the VTEP as the leaf's
   * VXLAN devices use it (`vtepOf`), or unknown with the reason. Absent: the driver does not read them.
   */
  facts?: {vtep: Known<'vtep'> | Unknown<'vtep'>}
}

/** One EVPN (BGP l2vpn evpn) session of a leaf, as the leaf reports it. */
export interface EvpnPeer {
  /** The neighbor address. */
  address: string
  /** The peer's hostname, when it advertises one (BGP hostname capability). */
  hostname: string | null
  /** The BGP state as read (Established, Active, Idle, …). */
  state: string | null
  established: boolean
}

/** A push the driver has checked and is ready to apply; `plan` is what it will do, for --dry-run. */
export interface PreparedPush {
  plan: string[]
  inverse: string[]
  data?: unknown
}

export type CheckSeverity = 'error' | 'warning' | 'info'
export interface VerifyCheck {
  name: string
  ok: boolean
  severity: CheckSeverity
  detail: string
}
export interface VerifyReport {
  running: RunningState
  checks: VerifyCheck[]
}

/** Why a driver call failed, with a stable code; `step` names what was being done when it failed. */
export class LeafDriverError extends Error {
  constructor(
    readonly code: LeafFailure,
    message: string,
    readonly step?: string,
    readonly hint?: string,
  ) {
    super(message)
    this.name = 'LeafDriverError'
  }
}

export type LeafFailure =
  | 'LEAF_UNREACHABLE'
  | 'LEAF_PUSH_FAILED'
  | 'LEAF_CANDIDATE_INVALID'
  | 'LEAF_VERIFY_FAILED'
  | 'LEAF_ROLLBACK_FAILED'
  | 'LEAF_PROFILE_UNSUPPORTED'
  | 'LEAF_DRIVER_UNSUPPORTED'
  | 'LEAF_BASE_CONFIG_MISSING'
  | 'LEAF_UNMANAGED'
  | 'LEAF_LOCKED'
  | 'LEAF_CONFIRM_UNSUPPORTED'
  /** A fact the push needs (VTEP address, anycast gateway MAC) could not be read from the devices: refused, nothing changed. */
  | 'LEAF_FACT_UNKNOWN'

/**
 * One interface for every kind of leaf (simulated, FRR over SSH, ...); the push engine and the
 * commands never know which one they hold. Methods may answer synchronously (the simulated leaf,
 * so the simulated controller can push inside its own store transaction) or with a promise.
 */
export interface LeafDriver {
  readonly driver: string
  readonly leaf: string
  /** Read the running state. Throws LeafDriverError(LEAF_UNREACHABLE) when the leaf does not answer. */
  read(): MaybePromise<RunningState>
  /** Render and check a candidate without changing anything (syntax, profile limits). Throws LEAF_CANDIDATE_INVALID. */
  prepare(desired: LeafConfig, running: RunningState, changes: readonly LeafChange[]): MaybePromise<PreparedPush>
  /** Apply a prepared push. Throws LeafDriverError(LEAF_PUSH_FAILED, step) when it fails part-way. */
  apply(prepared: PreparedPush): MaybePromise<void>
  /** Read back and check that the leaf really carries `desired`. */
  verify(desired: LeafConfig): MaybePromise<VerifyReport>
  /** Put a snapshot back (rollback): converge the leaf to it, whatever state it is in now. */
  restore(snapshot: LeafSnapshot): MaybePromise<void>
  /**
   * What a failed push (apply or verify) is rolled back to. `last-known-good` (the default: the sim, whose
   * snapshots hold only what fabricctl manages): the last state fabricctl pushed and verified. `pre-push`:
   * the state the leaf ran just before the push — for a driver whose snapshots hold the leaf's whole
   * configuration (FRR: the running configuration), where an older snapshot would also undo what others
   * changed since on a leaf fabricctl does not own alone (an operator's `neighbor … shutdown`, hand-made VNIs).
   */
  readonly failedPushRestores?: 'pre-push' | 'last-known-good'
  /**
   * Take the leaf's own lock for a push (held on the leaf, e.g. flock under /run), waiting up to waitMs.
   * Resolves with the release; throws LeafDriverError(LEAF_LOCKED) naming the holder. Optional: a driver
   * without it (the sim, whose store serialises pushes) is not locked.
   */
  lock?(waitMs: number): Promise<() => void>
  /** Commit-confirm: arm a revert to `snapshot` on the leaf itself, fired after `seconds` unless confirmed. */
  armRevert?(snapshot: LeafSnapshot, current: LeafSnapshot, seconds: number): Promise<PendingRevert>
  /** Disarm the leaf's armed reverts (confirm); returns what was disarmed. */
  confirm?(): Promise<PendingRevert[]>
  /** The leaf's armed reverts. */
  pending?(): Promise<PendingRevert[]>
  /**
   * Where the leaf has learned a MAC (drift fencing, issue 17): its bridge FDB and EVPN MAC table.
   * Optional: a driver without it leaves the leaf check unknown. Throws LeafDriverError(LEAF_UNREACHABLE).
   */
  macLocations?(mac: string, vni: number | null): MaybePromise<MacLocations>
  /**
   * The leaf's hardware model as the leaf says it (ONIE machine.conf, DMI), for limits keyed by model
   * (`leaf capacity`). Optional: a driver without it leaves the model unknown. Throws LeafDriverError(LEAF_UNREACHABLE).
   */
  platform?(): MaybePromise<LeafPlatform>
  /**
   * The leaf's EVPN sessions as it reports them (trace: which spines carry traffic), and where that was read.
   * Optional: a driver without it leaves the spines' health unknown. Throws LeafDriverError(LEAF_UNREACHABLE).
   */
  evpnPeers?(): MaybePromise<{peers: EvpnPeer[]; source: string}>
  close(): void
}

/** One place a leaf has learned a MAC: a local interface (FDB / EVPN local) or a remote VTEP. */
export interface MacLocation {
  /** The leaf interface (local) or the VXLAN device (remote). */
  interface: string
  origin: 'local' | 'remote'
  /** The remote VTEP, when remote and known. */
  vtep: string | null
  /** What said so: `bridge fdb`, `evpn mac vni N`, `sim: …`. */
  source: string
}

export interface MacLocations {
  entries: MacLocation[]
  /** The commands or tables read. */
  sources: string[]
}

/** A revert armed on a leaf by `leaf push --confirm-within`. */
export interface PendingRevert {
  id: string
  leaf: string
  armedAt: string
  deadline: string
  by: string
  pid: number | null
}

/** Client-side record of known-good states, per leaf (FRR 8.4 has no commit/rollback of its own). */
export interface SnapshotStore {
  get(leaf: string, which: SnapshotKind): LeafSnapshot | undefined
  /** Record the result of a verified change: `lastKnownGood` becomes current, `previous` what ran before it. */
  record(leaf: string, snaps: {lastKnownGood: LeafSnapshot; previous?: LeafSnapshot}): void
}

export type SnapshotKind = 'last-known-good' | 'previous'
