import type {MacLocation} from '../../../leaf/driver.js'

/**
 * Where a leaf has learned one MAC, from two outputs (recorded from the lab's FRR 8.4 leaves,
 * test/fixtures/frr/): `bridge -j fdb show` (the kernel bridge FDB: `self` entries are the
 * device's own addresses, skipped; an entry with `dst` is a remote VTEP) and `vtysh -c 'show evpn
 * mac vni all json'` (zebra's EVPN MACs per VNI: `type` local with `intf`, or remote with `remoteVtep`).
 */
interface FdbEntry {
  mac?: string
  ifname?: string
  master?: string
  dst?: string
  flags?: string[]
  state?: string
}

export function parseBridgeFdb(json: string, mac: string): MacLocation[] {
  const rows = JSON.parse(json || '[]') as FdbEntry[]
  if (!Array.isArray(rows)) throw new Error('bridge -j fdb show: not a JSON array')
  const want = mac.toLowerCase()
  const out: MacLocation[] = []
  for (const r of rows) {
    if (r.mac?.toLowerCase() !== want || !r.ifname || (r.flags ?? []).includes('self')) continue
    out.push({
      interface: r.ifname,
      origin: r.dst ? 'remote' : 'local',
      vtep: r.dst ?? null,
      source: 'bridge -j fdb show',
    })
  }
  return out
}

export function parseEvpnMacAll(json: string, mac: string): MacLocation[] {
  const doc = JSON.parse(json.trim() || '{}') as Record<
    string,
    {macs?: Record<string, {type?: string; intf?: string; remoteVtep?: string}>}
  >
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw new Error('show evpn mac vni all json: not an object')
  const want = mac.toLowerCase()
  const out: MacLocation[] = []
  for (const [vni, v] of Object.entries(doc)) {
    for (const [m, e] of Object.entries(v?.macs ?? {})) {
      if (m.toLowerCase() !== want) continue
      const local = e.type === 'local'
      out.push({
        interface: local ? (e.intf ?? '?') : `vni ${vni}`,
        origin: local ? 'local' : 'remote',
        vtep: local ? null : (e.remoteVtep ?? null),
        source: `show evpn mac vni ${vni}`,
      })
    }
  }
  return out
}
