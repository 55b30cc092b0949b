import {LiveIpam} from '../../src/lib/backends/live/ipam.js'
import {liveLeafDrivers} from '../../src/lib/backends/live/leaf-drivers.js'
import type {LiveContext} from '../../src/lib/context/schema.js'
import {LivePortService} from '../../src/lib/backends/live/ports.js'

/**
 * The live port engine over a context (a loopback Neutron), wired as the live assembly wires it
 * (`liveFabric`: the IPAM, the leaf drivers over it), built synchronously for the tests.
 */
export function livePortService(context: LiveContext): LivePortService {
  const ipam: LiveIpam = new LiveIpam(context, () => leafDrivers)
  const leafDrivers = liveLeafDrivers(context, ipam)
  return new LivePortService({context, ipam, leafDrivers})
}
