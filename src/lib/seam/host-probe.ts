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
   * their iface-id); the others are left unknown ("did not run"). A backend whose facts cost nothing may read all.
   */
  facts?: 'all' | 'ovs'
}

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
  /**
   * Optional: when each port's device was last seen on its host, for the ports whose device is gone and whose
   * disappearance this backend recorded (the sim: a device-missing fault's time). A port it does not name: not known
   * (a live host keeps no such history), and `ipam check` falls back to the port's age since binding.
   */
  deviceLastSeen?(portIds: readonly string[]): Promise<Map<string, string>>
}
