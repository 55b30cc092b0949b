import type {AzCounts, Inventory, InventoryStats} from '../../seam/inventory.js'
import type {FabricStore} from '../../store/fabric-store.js'

/** The simulated fabric's inventory: the store's tables, plus what only the store records (`stats`). */
export function simInventory(store: FabricStore): Inventory {
  const stats = simStats(store)
  return {
    azs: async () => store.azs(),
    tenants: async () => store.tenants(),
    switches: async f => store.switches(f),
    hosts: async f => store.hosts(f),
    networks: async f => store.networks(f),
    stats: () => stats,
  }
}

function simStats(store: FabricStore): InventoryStats {
  return {
    origin: () => ({profile: store.meta('profile') ?? null, seed: Number(store.meta('seed'))}),
    azCounts: () => azCounts(store),
    networkUsage: () => store.networkUsage(),
    portsOnHost: host => store.portsOnHost(host).length,
    leafRunning: leaf => store.leafRunning(leaf) ?? null,
  }
}

function azCounts(store: FabricStore): Map<string, AzCounts> {
  const out = new Map<string, AzCounts>()
  const get = (az: string) => {
    let v = out.get(az)
    if (!v) out.set(az, (v = {instances: {}, ports: {}, maxPerHost: 0}))
    return v
  }
  for (const r of store
    .sql(
      'SELECT h.az AS az, i.kind AS kind, count(*) AS n FROM instances i JOIN hosts h ON h.name = i.host GROUP BY h.az, i.kind ORDER BY h.az, i.kind',
    )
    .all() as {az: string; kind: string; n: number}[]) {
    get(r.az).instances[r.kind] = r.n
  }
  for (const r of store
    .sql(
      `SELECT n.az AS az, p.underlay || '_' || p.overlay AS state, count(*) AS n FROM ports p JOIN networks n ON n.name = p.network GROUP BY n.az, state ORDER BY n.az, state`,
    )
    .all() as {az: string; state: string; n: number}[]) {
    get(r.az).ports[r.state] = r.n
  }
  for (const r of store
    .sql(
      'SELECT az, max(c) AS m FROM (SELECT h.az AS az, count(*) AS c FROM instances i JOIN hosts h ON h.name = i.host GROUP BY i.host) GROUP BY az',
    )
    .all() as {az: string; m: number}[]) {
    get(r.az).maxPerHost = r.m
  }
  return out
}
