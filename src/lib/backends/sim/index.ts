import type {ContextConfig} from '../../context/schema.js'
import type {Fabric} from '../../fabric.js'
import type {FabricStore} from '../../store/fabric-store.js'
import {simEvidence} from './evidence.js'
import {simLeafDrivers} from './leaf-drivers.js'
import {simHostProbe} from './host-probe.js'
import {simFaults} from './faults.js'
import {SIM_INFO} from './info.js'
import {SimIpam} from './ipam.js'
import {simInventory} from './inventory.js'
import {simStates} from './states.js'

/** The simulated fabric over an open store (tests build one over their own store). */
export function simFabric(context: ContextConfig, store: FabricStore): Fabric {
  return {
    context: {name: context.name},
    info: SIM_INFO,
    inventory: simInventory(store),
    states: simStates(store),
    faults: simFaults(store),
    maxConcurrency: 1,
    ipam: new SimIpam(store),
    hostProbe: simHostProbe(store),
    evidence: simEvidence(context.name, store),
    leafDrivers: simLeafDrivers(store),
    close: () => store.close(),
  }
}

/** Open the context's simulated fabric (its store file under the data directory). */
export async function openSim(context: ContextConfig, notice: (msg: string) => void): Promise<Fabric> {
  const {openSimFabric} = await import('../../sim/store-file.js')
  return simFabric(context, await openSimFabric(context.name, notice))
}
