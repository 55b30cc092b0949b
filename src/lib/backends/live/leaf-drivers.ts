import type {LiveContext} from '../../context/schema.js'
import type {Ipam} from '../../seam/ipam.js'
import type {LeafDriverRegistry} from '../../seam/leaf-drivers.js'

/**
 * The live leaf-driver registry: per-OS drivers over SSH (FRR), desired state from Neutron + inventory.
 * The overlay plane is recorded through the fabric's IPAM, which knows where this Neutron can keep it
 * (data_plane_status, a port tag, or nowhere).
 */
export function liveLeafDrivers(ctx: LiveContext, ipam: Pick<Ipam, 'recordOverlay'>): LeafDriverRegistry {
  // One leaf service per registry (per command): Neutron's desired state is read once for every leaf opened.
  let opener: Promise<{openDriver(leaf: string): ReturnType<LeafDriverRegistry['open']>}> | undefined
  return {
    serialPush: false,
    desiredSource: 'neutron+inventory',
    recordedRunning: async () => null,
    async open(leaf) {
      opener ??= import('./leaf-service.js').then(m => m.liveLeafService(ctx))
      return (await opener).openDriver(leaf)
    },
    async service(opts = {}) {
      const {liveLeafService} = await import('./leaf-service.js')
      return liveLeafService(ctx, {assume: opts.assume})
    },
    async leavesOfHost(host) {
      return [...new Set(ctx.inventory.hosts.find(h => h.name === host)?.nics.map(n => n.leaf) ?? [])]
    },
    async recordOverlay(portId, overlay) {
      return (await ipam.recordOverlay(portId, overlay)).value
    },
  }
}
