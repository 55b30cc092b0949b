import type {Faults} from './seam/faults.js'
import type {Inventory} from './seam/inventory.js'
import type {StateRecorder} from './seam/states.js'
import type {EvidenceSources} from './seam/evidence.js'
import type {HostProbe} from './seam/host-probe.js'
import type {Ipam} from './seam/ipam.js'
import type {LeafDriverRegistry} from './seam/leaf-drivers.js'

/**
 * Which backend serves a fabric, and how it reads what it shows: for envelopes and display ONLY.
 * Code never branches on it (`backend ===` is refused outside src/lib/backends/): it asks a member.
 */
export interface FabricInfo {
  readonly backend: 'sim' | 'live'
  /** Where the desired leaf configuration is derived from (leaf config's `source`). */
  readonly desiredSource: 'cabling' | 'neutron+inventory'
  /** How host facts are read (audit's `source` unless --local). */
  readonly hostSource: 'sim' | 'ssh'
}

/** What a fabric tells of its context: backend-neutral (envelopes, reports, a gc report's match). */
export interface FabricContext {
  readonly name: string
}

/**
 * One fabric, opened once from the context (`openFabric` in src/lib/backends/open.ts). Capabilities
 * consume it through these narrow members and never ask which backend they hold. Each member's
 * interface is in src/lib/seam/<member>.ts; its implementations in src/lib/backends/{sim,live}/.
 */
export interface Fabric {
  /** The context it was opened from, by name; its typed settings (the backend's) stay in the backend. */
  readonly context: FabricContext
  readonly info: FabricInfo
  readonly inventory: Inventory
  readonly states: StateRecorder
  /** Optional capability: only the simulated fabric takes injected faults. */
  readonly faults?: Faults
  /**
   * At most this many writes at once (the sim: 1, one store writer, synchronous pushes); absent:
   * as many as the caller asks for.
   */
  readonly maxConcurrency?: number
  /** IPAM: find ports, atomic batch create, bind, unbind, delete, tag; the server's extensions. */
  readonly ipam: Ipam
  /** Host facts, gathered once per host per command (one SSH session and one batched script live). */
  readonly hostProbe: HostProbe
  /** What trace and diagnose read about ports and paths; the verdicts are computed above the seam. */
  readonly evidence: EvidenceSources
  /** Leaf drivers: open(leaf) -> driver, and the leaf service; used by leaf, ports, diagnose and trace. */
  readonly leafDrivers: LeafDriverRegistry
  close(): void
}
