import type {Faults} from '../../seam/faults.js'
import {clearFaults, injectFault, listFaults} from '../../sim/faults.js'
import type {FabricStore} from '../../store/fabric-store.js'

export function simFaults(store: FabricStore): Faults {
  return {
    inject: (kind, target, opts) => injectFault(store, kind, target, opts),
    list: () => listFaults(store),
    clear: id => clearFaults(store, id),
  }
}
