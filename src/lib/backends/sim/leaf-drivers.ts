import type {LeafDriverRegistry} from '../../seam/leaf-drivers.js'
import type {FabricStore} from '../../store/fabric-store.js'

/** The sim's leaf-driver registry: simulated leaves in the store (modules loaded on first use). */
export function simLeafDrivers(store: FabricStore): LeafDriverRegistry {
  return {
    serialPush: true,
    desiredSource: 'cabling',
    recordedRunning: async leaf => store.leafRunning(leaf) ?? null,
    async open(leaf) {
      const {SimLeafDriver} = await import('./leaf-driver.js')
      return new SimLeafDriver(store, leaf)
    },
    async service() {
      const {simLeafService} = await import('./leaf-service.js')
      return simLeafService(store)
    },
    async leavesOfHost(host) {
      return [
        ...new Set((store.host(host)?.nics ?? []).map(n => n.switch).filter(s => store.switch(s)?.role === 'leaf')),
      ]
    },
    async recordOverlay(portId, overlay) {
      store.setPortState(portId, null, overlay)
      return null
    },
  }
}
