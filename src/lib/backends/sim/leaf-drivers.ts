import {FabricError, notFound} from '../../cli/errors.js'
import {EXIT} from '../../cli/exit-codes.js'
import type {LeafDriverRegistry} from '../../seam/leaf-drivers.js'
import type {FabricStore} from '../../store/fabric-store.js'

/** The sim's leaf-driver registry: simulated leaves in the store (modules loaded on first use). */
export function simLeafDrivers(store: FabricStore): LeafDriverRegistry {
  return {
    serialPush: true,
    desiredSource: 'cabling',
    recordedRunning: async leaf => store.leafRunning(leaf) ?? null,
    async open(leaf) {
      // As live: a leaf the fabric does not have is refused, never opened as an empty one.
      if (store.switch(leaf)?.role !== 'leaf')
        throw notFound(
          'leaf',
          leaf,
          'List leaves with `fabricctl leaf list`.',
          store
            .switches()
            .filter(s => s.role === 'leaf')
            .map(s => s.name),
        )
      const {SimLeafDriver} = await import('./leaf-driver.js')
      return new SimLeafDriver(store, leaf)
    },
    async service(opts = {}) {
      if (opts.assume?.length)
        throw new FabricError({
          code: 'NOT_SUPPORTED',
          message:
            'The simulated leaves take no assumed port bindings: the sim plans a port change in a rolled-back transaction.',
          value: 'assume',
          hint: 'Use the port engine (`fabric.ipam.portService()`) to plan a port change on the sim.',
          exitCode: EXIT.USAGE,
        })
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
