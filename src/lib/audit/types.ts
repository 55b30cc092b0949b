import type {DpifPort, VlanTranslation} from '../backends/live/parse/index.js'
import type {HostRole} from '../model/types.js'

/**
 * The audit's data model. Checks are pure functions over `HostEvidence`, the normalized facts a
 * source gathered about one host (sim: the store; local: this machine; ssh: a fleet host). Every
 * field is `null` when the source could not read it: a check turns that into an *unknown* finding,
 * never into a pass.
 */
export const CHECK_IDS = ['ovs', 'bridges', 'bpf', 'nic'] as const
export type CheckId = (typeof CHECK_IDS)[number]
export type Severity = 'info' | 'warning' | 'error'
export const SEVERITY_RANK: Record<Severity, number> = {info: 0, warning: 1, error: 2}
export type EvidenceSource = 'sim' | 'local' | 'ssh'
/** ok: nothing above info. unknown: something could not be read (and nothing worse was found). */
export type Verdict = 'ok' | 'unknown' | 'warning' | 'error' | 'unreachable'
export const VERDICTS: readonly Verdict[] = ['ok', 'unknown', 'warning', 'error', 'unreachable']
export type CheckStatus = 'pass' | 'unknown' | 'warning' | 'error' | 'not-applicable'

/** One fact as read: where it came from (command, file, store column) and the text read. */
export interface EvidenceItem {
  source: string
  value: string
}

export interface Finding {
  check: CheckId
  /** Stable id, e.g. `ovs.known-bug.ovs-idle-lock-cpu`, `bpf.kernel-version`. */
  id: string
  severity: Severity
  /** The fact could not be established (severity warning): never counted as a pass. */
  unknown: boolean
  title: string
  evidence: EvidenceItem[]
  remediation: string | null
}

export interface OvsInterface {
  name: string
  type: string
  /** null: empty (not attached); -1: the datapath refused it. */
  ofport: number | null
  error: string | null
  bridge: string | null
  port: string | null
  /** options:peer of a patch port. */
  peer: string | null
  /** external_ids:iface-id: the Neutron port this device carries (absent: none set, or not read). */
  ifaceId?: string
  /**
   * Its Port's OVSDB `tag` (the local VLAN; 4095 is the OVS agent's dead VLAN): null when the port has
   * none; absent when it was not read (no tag column, the interface in no Port row, a source that does not
   * model it). Absent is unknown: such a device is never called dead.
   */
  tag?: number | null
}

/** A br-int device the OVS agent quarantined on the dead VLAN (Port tag 4095): not an instance. */
export interface DeadVlanDevice {
  device: string
  /** external_ids:iface-id, the Neutron port it claims to carry (null: none set). */
  ifaceId: string | null
}

export interface OvsBond {
  name: string
  bridge: string | null
  members: {name: string; enabled: boolean | null}[]
}

export interface LinkInfo {
  name: string
  /** veth, bridge, bond, openvswitch, tun... (null when the source does not say). */
  kind: string | null
  master: string | null
  /** veth peer name when the peer is in the same namespace. */
  peer: string | null
  up: boolean
  operstate: string | null
}

/** How one instance's port reaches br-int, and what that costs on a path (DESIGN.md §1). */
export interface InstancePlug {
  /** The port on br-int (tap… when direct, qvo… through a Linux bridge). */
  device: string
  plugging: 'direct' | 'qbr'
  /** One end, instance vNIC to switch port. */
  chain: string[]
  /** Hops of an instance-to-instance path through this host between two instances plugged like this one: 2 × chain. */
  pathHops: number
  /** The Linux bridge (qbr plugging), and the iptables rules that mention its devices. */
  linuxBridge: string | null
  iptablesRules: number | null
}

export interface NicEvidence {
  name: string
  speedMbps: number | null
  up: boolean | null
  /** Switch and switch-side interface the NIC is cabled to (inventory, store, LLDP); null: unknown. */
  switch: string | null
  interface: string | null
}

export interface HostEvidence {
  host: string
  az: string | null
  role: HostRole | null
  address: string | null
  source: EvidenceSource
  /** Where each group of facts was read (command, file, store table). */
  from: Record<string, string>
  /** Probes that failed to run (not the same as "the answer was no"). */
  probeErrors: {probe: string; message: string}[]
  ovs: {
    /** false: this host is not meant to run OVS (bare metal). */
    expected: boolean
    installed: boolean | null
    toolVersion: string | null
    dbVersion: string | null
    daemonVersion: string | null
    dbReachable: boolean | null
    vswitchdRunning: boolean | null
    runningDetail: string | null
    bridges: {name: string; ports: string[]}[] | null
    interfaces: OvsInterface[] | null
    bonds: OvsBond[] | null
  }
  links: LinkInfo[] | null
  instances: InstancePlug[] | null
  kernel: {
    release: string | null
    config: Record<string, string> | null
    configSource: string | null
    configError: string | null
    bpffsMounted: boolean | null
    /** /proc/sys/net/core/bpf_jit_enable (0, 1, 2); null: unreadable (e.g. not the root netns). */
    jitEnable: number | null
    /** bpftool -j feature probe kernel (types null when the probe failed); null: not probed by this source. */
    bpftool: {
      available: boolean
      programTypes: Record<string, boolean> | null
      mapTypes: Record<string, boolean> | null
      error: string | null
    } | null
  }
  bond: BondEvidence | null
  nics: NicEvidence[] | null
  /**
   * The datapath's ports (`ovs-appctl dpif/show`): each bridge's ports with their OpenFlow and datapath port numbers
   * (what `ofproto/trace`'s datapath actions name). null: not read (the reason is the `ovsDpif` probe error, or the
   * probe was not selected: read by `facts: 'trace'` only).
   */
  dpif: DpifPort[] | null
  /**
   * br-int's VLAN translations as installed (`ovs-ofctl dump-flows br-int`: the OVS agent's
   * `dl_vlan=<segment> → mod_vlan_vid:<local>`). null: not read (the `brIntFlows` probe error, or not selected).
   */
  brIntTranslations: VlanTranslation[] | null
}

/**
 * The host's uplink bond. For an OVS bond, mode, LACP and the active member come from
 * `ovs-appctl bond/show` and `lacp/show`; each is null when it could not be read (with the reason
 * in `unknown`), never assumed.
 */
export interface BondEvidence {
  name: string
  kind: 'ovs' | 'linux'
  members: string[]
  /** active-backup | balance-slb | balance-tcp (OVS); the Linux bonding mode (/proc/net/bonding). */
  mode: string | null
  /** off | configured (LACP on, never negotiated with a partner) | negotiated. */
  lacp: 'off' | 'configured' | 'negotiated' | null
  /** other_config:lacp-fallback-ab: with LACP not negotiated, the bond runs as active-backup. */
  lacpFallbackAb: boolean | null
  /** Members whose LACP partner never answered (lacp/show: defaulted or expired). */
  lacpDefaulted: string[] | null
  /** The member OVS names as active (carries traffic in active-backup, floods/receives broadcast in balance-*). */
  activeMember: string | null
  /** Why a null fact above is null. */
  unknown: Partial<Record<'mode' | 'lacp' | 'activeMember', string>>
}

export interface CheckResult {
  check: CheckId
  status: CheckStatus
}

export interface HostAudit {
  host: string
  az: string | null
  address: string | null
  source: EvidenceSource
  verdict: Verdict
  /** Set when the host could not be audited (unreachable, auth, timeout): why, and what to do. */
  failure: {code: string; message: string; hint: string | null} | null
  elapsedMs: number
  checks: CheckResult[]
  findings: Finding[]
  facts: {
    ovsVersion: string | null
    ovsRunning: boolean | null
    kernel: string | null
    instances: {total: number; direct: number; qbr: number; maxPathHops: number | null} | null
    /** br-int devices on the dead VLAN (tag 4095), not counted in `instances`; null: OVS not read. */
    deadVlanDevices: DeadVlanDevice[] | null
    nics: NicEvidence[] | null
    bond: {
      name: string
      mode: string | null
      lacp: string | null
      activeMember: string | null
      unknown: Partial<Record<'mode' | 'lacp' | 'activeMember', string>>
    } | null
  } | null
  instances: {device: string; plugging: 'direct' | 'qbr'; pathHops: number; iptablesRules: number | null}[] | null
}
