import type {Fabric} from '../fabric.js'
import type {PortService} from './types.js'

export type * from './types.js'

/** The port service for a fabric: its IPAM member's port engine (the store-backed simulation or Neutron), loaded lazily. */
export async function portService(fabric: Pick<Fabric, 'ipam'>): Promise<PortService> {
  return fabric.ipam.portService()
}
