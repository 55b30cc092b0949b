import type {ContextConfig, LiveContext} from './context/schema.js'
import type {Az, Host, Network, Switch, Tenant} from './model/types.js'
import type {HostFilter, NetworkFilter, SwitchFilter} from './store/fabric-store.js'
import type {FabricStore} from './store/fabric-store.js'
import type {HostProbe} from './seam/host-probe.js' // seam: hostProbe

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

export type FabricHandle = (
  | {backend: 'sim'; context: ContextConfig; store: FabricStore; reader: FabricReader; close(): void}
  | {backend: 'live'; context: LiveContext; reader: FabricReader; close(): void}
) & {
  readonly hostProbe: HostProbe // seam: hostProbe
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
    const {simHostProbe} = await import('./backends/sim/host-probe.js') // seam: hostProbe
    return {
      backend: 'sim',
      context,
      store,
      reader: simReader(store),
      hostProbe: simHostProbe(store), // seam: hostProbe
      close: () => store.close(),
    }
  }
  const {liveReader} = await import('./live/reader.js')
  const {liveHostProbe} = await import('./backends/live/host-probe.js') // seam: hostProbe
  return {
    backend: 'live',
    context,
    reader: liveReader(context),
    hostProbe: liveHostProbe(context), // seam: hostProbe
    close: () => {},
  }
}
