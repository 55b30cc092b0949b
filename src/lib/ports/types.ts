import type {PlaneState, Port} from '../model/types.js'
import type {PortPlan} from './plan.js'

/**
 * The port service: allocate, bind, migrate, release, show, list, labels and IPAM, the same
 * for every backend. `sim.ts` implements it on the store (with the simulated agents and
 * controller), `live.ts` on Neutron's API. Commands hold a `PortService` and never ask which.
 */
export interface PortService {
  readonly backend: 'sim' | 'live'
  allocate(req: AllocateRequest): Promise<AllocateResult>
  bind(ref: string, host: string, opts: ChangeOptions): Promise<BindResultDoc>
  migrate(ref: string, toHost: string, opts: ChangeOptions): Promise<MigrateResult>
  release(refs: readonly string[], opts: ChangeOptions): Promise<ReleaseResult>
  show(ref: string): Promise<PortDetail>
  list(filter: PortListFilter): Promise<PortPage>
  label(action: 'add' | 'remove', network: string, label: string, opts: {dryRun: boolean}): Promise<LabelChange>
  usage(by: 'network' | 'label'): Promise<UsageRow[]>
  check(): Promise<IpamCheckResult>
}

/** Options of a port change: a dry run prints the plan; `maxChanges` gates each leaf push as `leaf push --max-changes` does. */
export interface ChangeOptions {
  dryRun: boolean
  maxChanges?: number
}

/** A port as the port commands print it: the model plus its `UNDERLAY_OVERLAY` state. */
export interface PortView extends Port {
  state: string
  /** Live only: Neutron's own status and binding:vif_type, as read. */
  neutron?: {status: string; vifType: string | null; networkId: string}
}

export interface AllocateRequest {
  network?: string
  label?: string
  az?: string
  name?: string
  nameTemplate?: string
  count: number
  host?: string
  ip?: string
  failIfExists: boolean
  dryRun: boolean
  /** The leaf gate (`--max-changes`) for allocate --host. */
  maxChanges?: number
  /** An interrupt (SIGINT/SIGTERM): live batches stop posting and undo what they created (the batch stays all-or-nothing). */
  shouldStop?: () => boolean
}

/** One network considered for an allocation, in policy order. */
export interface NetworkUsage {
  name: string
  az: string
  cidr: string
  labels: string[]
  used: number
  total: number
  free: number
  /** A network-exhausted fault (sim) makes it count as full. */
  exhausted: boolean
}

export interface AllocatedPort {
  id: string | null
  name: string
  network: string
  /** null in a live dry run: Neutron picks addresses (at random) only when it creates the port. */
  ip: string | null
  mac: string | null
  host: string | null
  underlay: PlaneState
  overlay: PlaneState
  state: string
  /** false: the name existed, this is the existing port, unchanged. */
  created: boolean
  reasons?: string[]
}

export interface LeafTouchDoc {
  leaf: string
  side: 'old' | 'new' | 'both'
  ok: boolean
  changed: boolean
  error?: string
  cause?: string
}

export interface AllocateResult {
  /** The ordered steps (each with its undo): what --dry-run prints and what the real run executed. */
  plan?: PortPlan
  dryRun: boolean
  policy: string
  candidates: NetworkUsage[]
  ports: AllocatedPort[]
  created: number
  existing: number
  leaves: LeafTouchDoc[]
}

export interface BindResultDoc {
  /** The ordered steps (each with its undo): what --dry-run prints and what the real run executed. */
  plan?: PortPlan
  dryRun: boolean
  port: PortView
  before: {host: string | null; state: string}
  host: string
  device: string | null
  leaves: LeafTouchDoc[]
  reasons: string[]
}

export interface MigrateSide {
  host: string | null
  ip: string
  mac: string
  state: string
  device: string | null
}

export interface MigrateResult {
  /** The ordered steps (each with its undo): what --dry-run prints and what the real run executed. */
  plan?: PortPlan
  dryRun: boolean
  changed: boolean
  port: PortView
  before: MigrateSide
  after: MigrateSide
  leaves: LeafTouchDoc[]
  reasons: string[]
}

export interface ReleaseResult {
  /** The ordered steps (each with its undo): what --dry-run prints and what the real run executed. */
  plan?: PortPlan
  dryRun: boolean
  released: {id: string; name: string; ip: string; network: string; host: string | null; device: string | null}[]
  leaves: LeafTouchDoc[]
}

export interface PortDetail {
  port: PortView
  /** Where the overlay plane is recorded (and so where `state` reads it from). */
  overlayRecord: 'store' | 'data_plane_status' | 'port-tag' | 'none'
  network: {
    name: string
    id: string
    az: string
    cidr: string
    gateway: string
    vlan: number
    l2Vni: number | null
    labels: string[]
  } | null
  evidence: {
    device: {host: string; device: string; localVlan: number; ofport: number} | null
    controller: {host: string | null; ip: string; mac: string} | null
    leaves: string[]
  } | null
}

export interface PortListFilter {
  host?: string
  network?: string
  label?: string
  az?: string
  /** `UNDERLAY_OVERLAY`; either side may be `*`. */
  state?: string
  namePrefix?: string
  limit: number
  after?: string
}

export interface PortPage {
  ports: PortView[]
  next: string | null
}

export interface LabelChange {
  dryRun: boolean
  action: 'add' | 'remove'
  network: string
  label: string
  changed: boolean
  labels: string[]
}

export interface UsageRow {
  name: string
  /** --by network: the network's AZ; --by label: the AZs its networks are in. */
  azs: string[]
  networks: string[]
  used: number
  free: number
  total: number
  exhausted: number
}

export interface IpamFinding {
  subject: string
  message: string
  evidence?: Record<string, unknown>
}

export interface IpamCheckItem {
  name:
    | 'duplicate-ips'
    | 'duplicate-names'
    | 'bad-addresses'
    | 'unknown-hosts'
    | 'missing-controller-record'
    | 'stale-controller-record'
    | 'leaf-config-without-port'
    | 'orphaned-port'
    | 'unbound-past-age'
  description: string
  /** unknown: nothing found, but some subjects could not be read (listed in `unknown`). */
  status: 'ok' | 'failed' | 'skipped' | 'unknown'
  reason?: string
  /** How many findings in all; `findings` lists at most the first 200. */
  count: number
  findings: IpamFinding[]
  /** Subjects that could not be checked, each with the reason (at most the first 200; `unknownCount` in all). */
  unknown?: IpamFinding[]
  unknownCount?: number
}

export interface IpamCheckResult {
  ok: boolean
  checks: IpamCheckItem[]
}
