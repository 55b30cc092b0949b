import {FabricError} from '../cli/errors.js'
import {EXIT} from '../cli/exit-codes.js'
import type {EvidenceSource, HostEvidence} from '../audit/types.js'

/**
 * The host probe (issue 11, `fabric.hostProbe`): facts about hosts, gathered once per host per
 * command. One `HostFacts` type for every capability; each fact is read or null with the reason
 * (probeErrors, `unknown` maps), never a default. Live: one SSH session per host, one batched script,
 * one worker pool with one failure behaviour (a host that cannot be read is a result, not an
 * exception). Sim: the simulated store.
 */
export type HostFacts = HostEvidence

export interface ProbeTarget {
  name: string
  az: string
  address: string | null
}

export interface HostProbeOptions {
  concurrency: number
  timeoutMs: number
  /** Once true, no further host is started (SIGINT/SIGTERM). */
  shouldStop?: () => boolean
  onStart?: (host: string) => void
  /**
   * Which facts are needed: `all` (default), or `ovs` — only OVS (version, running, bridges, ports, interfaces with
   * their iface-id); `wiring` — OVS plus the host's links (`ip -j -d link`: NIC link state, instance ends);
   * `bond` — OVS plus the bond (mode, LACP, active member); `trace` — OVS, links and the bond plus the datapath's
   * ports (`dpif`) and br-int's VLAN translations (`brIntTranslations`), which `all` does not read; the others are
   * left unknown ("did not run"). A backend whose facts cost nothing may read all.
   */
  facts?: HostFactSelection
}

export type HostFactSelection = 'all' | 'ovs' | 'wiring' | 'bond' | 'trace'

export type HostProbeResult =
  | {host: ProbeTarget; facts: HostFacts; elapsedMs: number}
  | {host: ProbeTarget; failure: {code: string; message: string; hint: string | null}; elapsedMs: number}

export interface HostProbe {
  /** Where the facts come from (reported by audit). */
  readonly source: EvidenceSource
  /** The hosts this fabric can probe (throws a FabricError when there are none to probe). */
  hosts(): Promise<ProbeTarget[]>
  /** What to tell a user who named a host that is not among them. */
  readonly unknownHostHint: string
  /** Probe the hosts; each result is handed over as it completes (index = position in `hosts`). */
  facts(
    hosts: ProbeTarget[],
    opts: HostProbeOptions,
    onResult: (r: HostProbeResult, index: number) => void | Promise<void>,
  ): Promise<void>
  /** The port wiring of hosts (drift fencing): read the devices of a port, unplug one. */
  readonly wiring: PortWiring
  /**
   * Optional: when each port's device was last seen on its host, for the ports whose device is gone and whose
   * disappearance this backend recorded (the sim: a device-missing fault's time). A port it does not name: not known
   * (a live host keeps no such history), and `ipam check` falls back to the port's age since binding.
   */
  deviceLastSeen?(portIds: readonly string[]): Promise<Map<string, string>>
  /**
   * Optional: open one host for a flow trace (live: one SSH session that reads the host's facts with the given
   * selection and then runs `ofproto/trace` on the same connection). Absent: this backend has no datapath to trace
   * (the sim; its trace computes from the store). Use `openHostSession`, which says so with a FabricError.
   */
  open?(host: ProbeTarget, opts: {facts: HostFactSelection; timeoutMs: number}): Promise<HostSession>
}

/** One host opened through the probe: its facts, read once, and flow traces on the same session. */
export interface HostSession {
  readonly facts: HostFacts
  /**
   * `ovs-appctl ofproto/trace BRIDGE MATCH` on the host. The bridge and match are checked (OVS names, flow-syntax
   * characters only: a usage error otherwise) and quoted; bounded by the session's timeout. A trace that ran but
   * failed is a result (`code` non-zero, the text says why), not an exception.
   */
  ofprotoTrace(bridge: string, match: string): Promise<FlowTraceResult>
  close(): void
}

export interface FlowTraceResult {
  /** The command as run (for the hop's evidence). */
  command: string
  /** stdout then stderr, as printed. */
  text: string
  code: number | null
}

/** `probe.open`, or a FabricError saying this backend cannot trace flows on its hosts. */
export async function openHostSession(
  probe: HostProbe,
  host: ProbeTarget,
  opts: {facts: HostFactSelection; timeoutMs: number},
): Promise<HostSession> {
  if (!probe.open)
    throw new FabricError({
      code: 'HOST_SESSION_UNSUPPORTED',
      message: `The ${probe.source} host probe cannot open host ${host.name} for a flow trace: it has no datapath to run ofproto/trace on.`,
      value: host.name,
      hint: 'Flow traces on hosts need a live context (hosts over SSH); the simulated fabric computes its traces from its store.',
      exitCode: EXIT.USAGE,
    })
  return probe.open(host, opts)
}

/**
 * One OVS interface on a host whose `external_ids:iface-id` names a port, as read (never assumed):
 * the bridge it is on and the external_ids the plugger (Nova/os-vif, a CNI, the fabric's agent) set.
 */
export interface PortDevice {
  host: string
  /** The Interface (and Port) name, e.g. tap…, qvo…. */
  device: string
  /** The bridge holding it; null when the Port is on no bridge. */
  bridge: string | null
  ofport: number | null
  /** external_ids as read (iface-id, attached-mac, iface-status, vm-uuid, …). */
  externalIds: Record<string, string>
}

export type PortDevicesResult =
  | {host: string; devices: PortDevice[]; source: string}
  | {host: string; failure: {code: string; message: string; hint: string | null}; source: string}

/**
 * What `port migrate`'s drift fencing needs of a host (issue 17): the devices carrying a port's
 * iface-id, read in one short exchange (not the audit's full probe), and removing one device from
 * its bridge. A host that cannot be read is a result with a code, not an exception.
 */
export interface PortWiring {
  portDevices(host: ProbeTarget, portId: string, opts: {timeoutMs: number}): Promise<PortDevicesResult>
  /** Remove `device` from its bridge, only if it still carries `portId`'s iface-id (checked in the same command). */
  unplug(host: ProbeTarget, device: PortDevice, portId: string, opts: {timeoutMs: number}): Promise<void>
}

/** One named host's probe outcome: its facts (or what the caller kept of them), or why there are none. */
export type NamedHostFacts<T = HostFacts> = {facts: T} | {reason: string}

/**
 * Probe the hosts named (one read each), for a capability that needs some hosts' facts by name: a
 * host the fabric cannot probe, a failed read and a probe that stopped each become a reason. `keep`
 * reduces each host's facts as they arrive, so a scan of thousands of hosts holds only what it needs.
 */
export async function probeNamedHosts(
  probe: HostProbe,
  names: readonly string[],
  opts: HostProbeOptions,
): Promise<Map<string, NamedHostFacts>>
export async function probeNamedHosts<T>(
  probe: HostProbe,
  names: readonly string[],
  opts: HostProbeOptions,
  keep: (facts: HostFacts) => T,
): Promise<Map<string, NamedHostFacts<T>>>
export async function probeNamedHosts<T>(
  probe: HostProbe,
  names: readonly string[],
  opts: HostProbeOptions,
  keep: (facts: HostFacts) => T = facts => facts as T,
): Promise<Map<string, NamedHostFacts<T>>> {
  const out = new Map<string, NamedHostFacts<T>>()
  if (names.length === 0) return out
  const known = new Map<string, ProbeTarget>()
  try {
    for (const t of await probe.hosts()) known.set(t.name, t)
  } catch (error) {
    for (const n of names) out.set(n, {reason: `hosts cannot be probed: ${(error as Error).message}`})
    return out
  }
  const targets: ProbeTarget[] = []
  for (const n of names) {
    const t = known.get(n)
    if (t) targets.push(t)
    else out.set(n, {reason: `the fabric cannot probe host ${n} (${probe.unknownHostHint})`})
  }
  if (targets.length === 0) return out
  await probe.facts(targets, opts, r => {
    out.set(
      r.host.name,
      'failure' in r ? {reason: `host could not be read: ${r.failure.message}`} : {facts: keep(r.facts)},
    )
  })
  for (const t of targets) if (!out.has(t.name)) out.set(t.name, {reason: 'host was not read (probe stopped)'})
  return out
}
