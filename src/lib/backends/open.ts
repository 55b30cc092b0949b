import type {ContextConfig} from '../context/schema.js'
import type {Fabric, FabricInfo} from '../fabric.js'
import {LIVE_INFO} from './live/info.js'
import {SIM_INFO} from './sim/info.js'

/**
 * The one place that looks at `context.backend`: everything else holds a `Fabric` and asks its
 * members. Each backend's assembly is loaded lazily (the sim's SQLite, the live clients).
 */
export async function openFabric(context: ContextConfig, notice: (msg: string) => void): Promise<Fabric> {
  if (context.backend === 'sim') return (await import('./sim/index.js')).openSim(context, notice)
  return (await import('./live/index.js')).liveFabric(context)
}

/** What a context's fabric is, without opening it (for envelopes and listings). */
export function describeContext(context: ContextConfig): {
  info: FabricInfo
  neutron: string | null
  hosts: number | null
  leaves: number | null
} {
  if (context.backend === 'live')
    return {
      info: LIVE_INFO,
      neutron: context.neutron.url,
      hosts: context.inventory.hosts.length,
      leaves: context.inventory.leaves.length,
    }
  return {info: SIM_INFO, neutron: null, hosts: null, leaves: null}
}

type GenerateOptions = Parameters<(typeof import('../sim/store-file.js'))['initSimFabric']>[1]

/** The fabric generator of a context that can be generated (a simulated one); undefined otherwise. */
export async function fabricGenerator(context: ContextConfig) {
  if (context.backend !== 'sim') return undefined
  const {initSimFabric} = await import('../sim/store-file.js')
  return (opts: GenerateOptions) => initSimFabric(context.name, opts)
}
