import type {LeafConfig, Nic, PlaneState, Topology} from '../model/types.js'
import type {CauseCode, StepId} from './catalogue.js'

/**
 * Everything `diagnose` knows about one port, read by a backend's evidence gatherer (sim: the
 * store; live: Neutron, SSH to the host and its leaves). The step logic (steps.ts) is a pure
 * function of this, so both backends share it.
 */
/** Where a backend read its evidence, in the words the findings use. */
export interface EvidenceOrigin {
  /** Where ports are recorded: "the store", "Neutron". */
  ports: string
  /** What lists the hosts: "fabric", "inventory". */
  hosts: string
  /** Host facts were read on the host over SSH (so "not running" may also mean "does not answer"). */
  overSsh: boolean
}
export const SIM_ORIGIN: EvidenceOrigin = {ports: 'the store', hosts: 'fabric', overSsh: false}
export const LIVE_ORIGIN: EvidenceOrigin = {ports: 'Neutron', hosts: 'inventory', overSsh: true}

export interface PortEvidence {
  backend: 'sim' | 'live'
  origin: EvidenceOrigin
  /** ISO time the evidence was read (agent staleness is judged against it). */
  now: string
  ref: string
  /** The recorded port (store / Neutron); null when it does not exist. */
  port: null | {
    id: string
    name: string
    network: string
    ip: string
    mac: string
    host: string | null
    /** Host the port's instance is on, when known (suggests the bind repair). */
    instanceHost: string | null
    /**
     * Neutron's `binding:vif_type` (ovs, binding_failed, unbound…): evidence whether or not Neutron
     * lists agents. null: not recorded by this backend (the simulated store has no binding details).
     */
    vifType: string | null
    underlay: PlaneState
    overlay: PlaneState
  }
  /** Where the id was still seen when the port itself is gone. */
  traces: string[]
  network: null | {
    name: string
    az: string
    cidr: string
    gateway: string
    vlan: number
    l2Vni: number | null
    vrf: string | null
    l3Vni: number | null
  }
  topology: Topology | null
  /** Who sets the recorded planes: `agent`/`controller` when present; `none` when nothing could set them (lab without agents). */
  recordAuthority: {underlay: 'agent' | 'none'; overlay: 'controller' | 'data_plane_status' | 'port-tag' | 'none'}
  /** Host facts; null when the port is unbound or the host is unknown. */
  host: null | HostEvidence
  ovs: null | OvsEvidence
  controller: ControllerEvidence
  /** Leaves relevant to the port: those the host is cabled to and those the controller maps it to. */
  leaves: Record<string, LeafEvidence>
  /** Leaf interfaces carrying the port's network for a host without a port of that network. */
  leftovers: {leaf: string; interface: string; host: string | null}[] | null
  /** Other ports with the same IP in the same VRF. */
  sameIp: {id: string; name: string; network: string}[] | null
  /** Free addresses left in the port's network (null: unknown). */
  networkFree: number | null
  /** Active simulated faults that touch this port (for honest sim-only repairs); [] in live. */
  simFaults: {id: number; kind: string; target: string}[]
}

/**
 * The `--all` fast path: a port whose gatherer found, from its bulk index, that every step passes and nothing
 * warns (recorded ACTIVE_ACTIVE, spine-leaf, no fault naming it or its network, host or leaves). The gatherer
 * hands this instead of building the full evidence; `cleanVerdict` (steps.ts) turns it into exactly the
 * verdict `diagnosePort` gives the full evidence (test/diagnose-fast-path.test.ts compares them port by port).
 * Any doubt sends the port down the full path.
 */
export interface CleanPortEvidence {
  clean: true
  ref: string
  port: {id: string; name: string; network: string; ip: string; mac: string; host: string}
  az: string
}

export interface HostEvidence {
  name: string
  role: 'hypervisor' | 'container' | 'baremetal'
  /** false: the host could not be read (SSH); the reason is in `error`. */
  readable: boolean
  error?: string
  agent: {state: 'reported' | 'none-registered' | 'not-checked'; heartbeatAt: string | null; note?: string}
  ovsRunning: boolean | null
  /** The host's uplinks; `up` null: the link state could not be read (never assumed up). */
  nics: (Omit<Nic, 'up'> & {up: boolean | null})[]
}

export interface OvsEvidence {
  /** The port's device on this host's br-int, or null. */
  device: null | {name: string; localVlan: number | null; ofport: number | null}
  /** Other hosts where a device of this port is still attached. */
  elsewhere: string[]
  /** Local VLAN tags other devices of the same network use on this host. */
  networkTags: number[]
  /** Networks that other devices with the device's tag belong to (Neutron ports only). */
  tagNetworks: string[]
  /**
   * Devices on br-int that are not Neutron ports (no iface-id, or one Neutron does not know): other
   * software's, "unmanaged" — never a leak, never a wrong-VLAN reason.
   */
  unmanaged: string[]
  source: string
}

export interface ControllerEvidence {
  /** false: the deployment has no controller (live lab): controller steps map onto what can be proven. */
  present: boolean
  note?: string
  port: null | {network: string; host: string | null; ip: string; mac: string}
  /** The controller's host→leaf map for the port's host. */
  hostMap: {leaf: string; interface: string}[]
  mapSource: string
}

export interface LeafEvidence {
  name: string
  reachable: boolean
  error?: string
  running: LeafConfig | null
  /** VNIs the leaf carries that fabricctl does not manage (hand-made: a push would not touch them). */
  unmanagedVnis?: number[]
  /** false when this leaf model has no tenant VRFs (native lab: gateway in the default VRF). */
  hasVrfs: boolean
  source: string
}

export type StepStatus = 'passed' | 'failed' | 'warning' | 'skipped'

export interface Step {
  n: number
  id: StepId
  title: string
  status: StepStatus
  /** A sentence: what was found (or why skipped). */
  detail: string
  cause: CauseCode | null
  evidence: Record<string, unknown>
}

export interface Verdict {
  /** Evidence-based: ACTIVE_ACTIVE, or NOT_ACTIVE (a fault), or UNKNOWN (evidence could not be read). */
  state: 'ACTIVE_ACTIVE' | 'NOT_ACTIVE' | 'UNKNOWN'
  ok: boolean
  cause: CauseCode | null
  step: StepId | null
  message: string
  /** fabricctl commands that repair it, in order ([] when no fabricctl command can). */
  repair: string[]
}

export interface Finding {
  cause: CauseCode
  step: StepId
  message: string
  repair: string[]
}

/** What `--all` keeps of each port's diagnosis (grouping, `port states --verify`): all of it but the steps. */
export type PortVerdict = Omit<Diagnosis, 'steps'>

export interface Diagnosis {
  ref: string
  port: null | {
    id: string
    name: string
    network: string
    ip: string
    mac: string
    host: string | null
    az: string | null
  }
  recorded: null | {underlay: PlaneState; overlay: PlaneState; state: string}
  /** Each plane as the evidence shows it (UNKNOWN: unread or not provable). */
  evidence: {underlay: PlaneState | 'UNKNOWN'; overlay: PlaneState | 'UNKNOWN'; state: string}
  disagreement: null | {recorded: string; evidence: string; message: string}
  steps: Step[]
  verdict: Verdict
  warnings: Finding[]
}
