import type {FabricHandle} from '../fabric.js'
import type {PortService} from './types.js'

export type * from './types.js'

/** The port service for a fabric: the store-backed simulation or Neutron, loaded lazily. */
export async function portService(fabric: FabricHandle): Promise<PortService> {
  if (fabric.backend === 'sim') {
    const {SimPortService} = await import('./sim.js')
    return new SimPortService(fabric.store)
  }
  const {LivePortService} = await import('./live.js')
  return new LivePortService(fabric)
}
