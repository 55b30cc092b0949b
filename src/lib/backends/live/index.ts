import type {LiveContext} from '../../context/schema.js'
import type {Fabric} from '../../fabric.js'
import {liveEvidence} from './evidence.js'
import {liveLeafDrivers} from './leaf-drivers.js'
import {liveHostProbe} from './host-probe.js'
import {liveFaults} from './faults.js'
import {LIVE_INFO} from './info.js'
import {liveInventory} from './inventory.js'
import {LiveIpam} from './ipam.js'
import {liveStates} from './states.js'

/** The live fabric: Neutron over HTTP, hosts and leaves over SSH (clients opened on first use). */
export function liveFabric(context: LiveContext): Fabric {
  const ipam: LiveIpam = new LiveIpam(context, () => leafDrivers)
  const leafDrivers = liveLeafDrivers(context, ipam)
  const hostProbe = liveHostProbe(context)
  return {
    context: {name: context.name},
    info: LIVE_INFO,
    inventory: liveInventory(context),
    states: liveStates(context),
    ...(liveFaults ? {faults: liveFaults} : {}),
    ipam,
    hostProbe,
    evidence: liveEvidence(context, leafDrivers, hostProbe),
    leafDrivers,
    close: () => {},
  }
}
