import type {LiveContext} from '../context/schema.js'
import type {Inventory} from '../seam/inventory.js'
import type {Host, Network, Switch} from '../model/types.js'
import {neutronRequest} from './neutron/http.js'
import {liveTenantOf, liveTenants} from './tenants.js'

interface NeutronNetwork {
  id: string
  name: string
  tags?: string[]
  'provider:segmentation_id'?: number | null
  'provider:network_type'?: string
  availability_zone_hints?: string[]
  subnets: string[]
}
interface NeutronSubnet {
  id: string
  network_id: string
  cidr: string
  gateway_ip: string | null
  ip_version: number
}

const UNKNOWN = 'unknown'
/** The inventory holds no host facts: they are read on the host (`fabricctl audit hosts HOST`), never assumed. */
const matchPrefix = (name: string, prefix?: string) => prefix === undefined || name.startsWith(prefix)

/**
 * The live fabric's shape: hosts, leaves and spines from the context's inventory; networks from
 * Neutron, a network's tags read as its labels. Host facts the inventory does not hold (OVS
 * running, agent, NIC links, kernel) are null here with the reason in `unknown`, never a default;
 * `audit hosts` reads them over SSH.
 */
export function liveReader(ctx: LiveContext): Inventory {
  const inv = ctx.inventory
  const defaultAz = inv.azs[0]?.name ?? 'default'
  return {
    azs: async () => inv.azs.map(a => ({name: a.name, topology: a.topology})),
    tenants: async () => liveTenants(ctx),
    switches: async (f = {}) => {
      const all: Switch[] = [
        ...inv.spines.map(s => ({
          name: s.name,
          az: s.az,
          role: 'spine' as const,
          pair: null,
          asn: s.asn ?? null,
          vtep: s.vtep ?? null,
          address: s.address ?? null,
          driver: 'frr',
        })),
        ...inv.leaves.map(l => ({
          name: l.name,
          az: l.az,
          role: 'leaf' as const,
          pair: l.pair ?? null,
          asn: l.asn ?? null,
          vtep: l.vtep ?? null,
          address: l.address,
          driver: l.driver,
        })),
      ]
      return all.filter(
        s => (!f.az || s.az === f.az) && (!f.role || s.role === f.role) && matchPrefix(s.name, f.namePrefix),
      )
    },
    hosts: async (f = {}) =>
      inv.hosts
        .filter(
          h =>
            (!f.az || h.az === f.az) &&
            (!f.role || h.role === f.role) &&
            matchPrefix(h.name, f.namePrefix) &&
            (!f.leaf || h.nics.some(n => n.leaf === f.leaf)),
        )
        .map((h): Host => ({
          name: h.name,
          az: h.az,
          role: h.role,
          address: h.address,
          ovsVersion: h.role === 'baremetal' ? null : UNKNOWN,
          ovsRunning: null,
          plugging: h.plugging,
          bond: 'bond0',
          nics: h.nics.map(n => ({
            name: n.name,
            switch: n.leaf,
            interface: n.interface,
            speedMbps: n.speedMbps,
            up: null,
          })),
          kernel: {version: UNKNOWN, config: null, bpffsMounted: null, jitEnabled: null},
          agentAlive: null,
          agentHeartbeatAt: null,
        })),
    networks: async (f = {}) => {
      const [{networks}, {subnets}] = await Promise.all([
        neutronRequest<{networks: NeutronNetwork[]}>(ctx, 'GET', '/v2.0/networks'),
        neutronRequest<{subnets: NeutronSubnet[]}>(ctx, 'GET', '/v2.0/subnets'),
      ])
      const v4 = new Map(subnets.filter(s => s.ip_version === 4).map(s => [s.network_id, s]))
      return networks
        .map((n): Network => {
          const sub = v4.get(n.id)
          return {
            id: n.id,
            name: n.name || n.id,
            az: n.availability_zone_hints?.[0] ?? defaultAz,
            tenant: liveTenantOf(ctx, n.tags),
            cidr: sub?.cidr ?? '',
            gateway: sub?.gateway_ip ?? '',
            vlan: n['provider:network_type'] === 'vlan' ? (n['provider:segmentation_id'] ?? 0) : 0,
            l2Vni: null,
            labels: [...(n.tags ?? [])].sort(),
          }
        })
        .filter(
          n =>
            (!f.label || n.labels.includes(f.label)) && matchPrefix(n.name, f.namePrefix) && (!f.az || n.az === f.az),
        )
        .sort((a, b) => a.name.localeCompare(b.name))
    },
  }
}
