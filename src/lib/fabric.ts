import type {ContextConfig, LiveContext} from './context/schema.js'
import type {Az, Host, Network, Switch, Tenant} from './model/types.js'
import type {HostFilter, NetworkFilter, SwitchFilter} from './store/fabric-store.js'
import type {FabricStore} from './store/fabric-store.js'
import type {LeafDriverRegistry} from './seam/leaf-drivers.js' // seam: leafDrivers

/**
 * Read access to a fabric, whichever backend serves it. Commands hold one of these and never ask
 * which backend it is; capability modules (ports, audit, leaf, trace, diagnose) take the
 * `FabricHandle` and pick their sim or live implementation from it.
 */
export interface FabricReader {
  azs(): Promise<Az[]>
  tenants(): Promise<Tenant[]>
  switches(filter?: SwitchFilter): Promise<Switch[]>
  hosts(filter?: HostFilter): Promise<Host[]>
  networks(filter?: NetworkFilter): Promise<Network[]>
}

export type FabricHandle =
  | {
      backend: 'sim'
      context: ContextConfig
      store: FabricStore
      reader: FabricReader
      leafDrivers: LeafDriverRegistry // seam: leafDrivers
      close(): void
    }
  | {
      backend: 'live'
      context: LiveContext
      reader: FabricReader
      leafDrivers: LeafDriverRegistry // seam: leafDrivers
      close(): void
    }

export function simReader(store: FabricStore): FabricReader {
  return {
    azs: async () => store.azs(),
    tenants: async () => store.tenants(),
    switches: async f => store.switches(f),
    hosts: async f => store.hosts(f),
    networks: async f => store.networks(f),
  }
}

/** Open the fabric a context names. The sim store and the live clients are loaded lazily. */
export async function openFabric(context: ContextConfig, notice: (msg: string) => void): Promise<FabricHandle> {
  if (context.backend === 'sim') {
    const {openSimFabric} = await import('./sim/store-file.js')
    const store = await openSimFabric(context.name, notice)
    const {simLeafDrivers} = await import('./backends/sim/leaf-drivers.js') // seam: leafDrivers
    return {
      backend: 'sim',
      context,
      store,
      reader: simReader(store),
      leafDrivers: simLeafDrivers(store), // seam: leafDrivers
      close: () => store.close(),
    }
  }
  const {liveReader} = await import('./live/reader.js')
  const {liveLeafDrivers} = await import('./backends/live/leaf-drivers.js') // seam: leafDrivers
  return {
    backend: 'live',
    context,
    reader: liveReader(context),
    leafDrivers: liveLeafDrivers(context), // seam: leafDrivers
    close: () => {},
  }
}
