import type {Az, Host, LeafConfig, Network, Switch, Tenant} from '../model/types.js'
import type {HostFilter, NetworkFilter, SwitchFilter} from '../store/fabric-store.js'
import type {UnknownReasons} from './fact.js'

/** A host as the inventory knows it; `unknown` names the facts it did not read (and why). */
export type InventoryHost = Host & {unknown?: UnknownReasons}

/** Per AZ: instances by kind, ports by UNDERLAY_OVERLAY state, the most instances on one host. */
export interface AzCounts {
  instances: Record<string, number>
  ports: Record<string, number>
  maxPerHost: number
}

/** What a backend records beyond the inventory (the sim's store does; a live fabric does not). */
export interface InventoryStats {
  /** How the fabric was made (the sim's profile and seed). */
  origin(): {profile: string | null; seed: number | null}
  azCounts(): Map<string, AzCounts>
  /** Network name → addresses in use. */
  networkUsage(): Map<string, number>
  /** Ports bound to the host. */
  portsOnHost(host: string): number
  /** The leaf's recorded running configuration, null when none is recorded. */
  leafRunning(leaf: string): LeafConfig | null
}

/** The fabric's shape: AZs, switches, hosts with their cabling, networks, tenants. */
export interface Inventory {
  azs(): Promise<Az[]>
  tenants(): Promise<Tenant[]>
  switches(filter?: SwitchFilter): Promise<Switch[]>
  hosts(filter?: HostFilter): Promise<InventoryHost[]>
  networks(filter?: NetworkFilter): Promise<Network[]>
  /** Optional: only a backend that records more than the inventory (the sim) has it. */
  stats?(): InventoryStats
}
