import type {LiveContext} from '../../context/schema.js'
import {liveReader} from '../../live/reader.js'
import type {Inventory, InventoryHost} from '../../seam/inventory.js'

/**
 * The live fabric's inventory: switches, hosts and cabling from the context's inventory, networks
 * from Neutron (live/reader.ts). Two things the reader leaves out are filled in here:
 * - a VLAN network's L2 VNI is the context's `overlay.vniBase` + its VLAN (what the leaves carry);
 * - the host facts the inventory does not hold (OVS running, agent, NIC links) are named unknown,
 *   with the reason, so nothing shows them as read.
 */
export function liveInventory(ctx: LiveContext): Inventory {
  const reader = liveReader(ctx)
  const vniBase = ctx.overlay.vniBase
  return {
    ...reader,
    networks: async f => (await reader.networks(f)).map(n => ({...n, l2Vni: n.vlan > 0 ? vniBase + n.vlan : null})),
    hosts: async f => (await reader.hosts(f)).map(withUnknowns),
  }
}

const NOT_PROBED = 'not in the inventory; `fabricctl audit hosts HOST` reads it over SSH'

function withUnknowns(h: InventoryHost): InventoryHost {
  const unknown: Record<string, string> = {
    ...(h.role === 'baremetal' ? {} : {ovsVersion: NOT_PROBED}),
    kernel: NOT_PROBED,
    ovsRunning: NOT_PROBED,
    agentAlive: NOT_PROBED,
    agentHeartbeatAt: NOT_PROBED,
  }
  for (const n of h.nics) unknown[`nics.${n.name}.up`] = NOT_PROBED
  return {...h, unknown: {...unknown, ...h.unknown}}
}
