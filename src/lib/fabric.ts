import type {ContextConfig, LiveContext} from './context/schema.js'
import type {Az, Host, Network, Switch, Tenant} from './model/types.js'
import type {HostFilter, NetworkFilter, SwitchFilter} from './store/fabric-store.js'
import type {FabricStore} from './store/fabric-store.js'
import type {Ipam} from './seam/ipam.js' // seam: ipam

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
  | {backend: 'sim'; context: ContextConfig; store: FabricStore; reader: FabricReader; ipam: Ipam; close(): void}
  | {backend: 'live'; context: LiveContext; reader: FabricReader; ipam: Ipam; close(): void}

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
    const {SimIpam} = await import('./backends/sim/ipam.js') // seam: ipam
    return {
      backend: 'sim',
      context,
      store,
      reader: simReader(store),
      ipam: new SimIpam(store),
      close: () => store.close(),
    }
  }
  const {liveReader} = await import('./live/reader.js')
  const {LiveIpam} = await import('./backends/live/ipam.js') // seam: ipam
  const fabric: FabricHandle = {
    backend: 'live',
    context,
    reader: liveReader(context),
    ipam: new LiveIpam(context, () => fabric),
    close: () => {},
  }
  return fabric
}
