import type {LeafConfig} from '../model/types.js'

/**
 * Facts of a live leaf that the inventory may declare but the devices tell: the VTEP address (the `local`
 * of the leaf's VXLAN devices) and the anycast gateway MAC (the MAC of the gateways the leaves carry).
 * Each is read from the devices; a declared value is checked against them; a fact that cannot be read is
 * unknown with the reason, never a default.
 */

export type Known<K extends string> = {[P in K]: string} & {source: string}
export type Unknown<K extends string> = {[P in K]: null} & {reason: string}

/** A VXLAN device as read: its name and its `local` address (null when it has none). */
export interface VxlanLocal {
  name: string
  local: string | null
}

const list = (xs: readonly string[]) => xs.join(', ')

/**
 * The leaf's VTEP: the one `local` address every VXLAN device of the leaf uses. A declared `vtep` must be
 * that address (when the leaf has VXLAN devices; without any, the declaration is what new devices get).
 * Unknown, with the reason, when the leaf has no VXLAN device with a local address and none is declared,
 * when its devices use different addresses, or when the declaration disagrees with them.
 */
export function vtepOf(
  vxlans: readonly VxlanLocal[],
  declared: string | null | undefined,
): Known<'vtep'> | Unknown<'vtep'> {
  const byLocal = new Map<string, string[]>()
  for (const v of [...vxlans].sort((a, b) => a.name.localeCompare(b.name, 'en', {numeric: true})))
    if (v.local) byLocal.set(v.local, [...(byLocal.get(v.local) ?? []), v.name])
  const used = [...byLocal.entries()].map(([ip, devs]) => `${ip} (${list(devs)})`)
  if (byLocal.size > 1)
    return {
      vtep: null,
      reason: `its VXLAN devices use different local addresses: ${used.join('; ')}${declared ? `; the inventory declares ${declared}` : ''}`,
    }
  const [only] = byLocal.keys()
  if (declared) {
    if (only !== undefined && only !== declared)
      return {
        vtep: null,
        reason: `the inventory declares vtep ${declared}, but the leaf's VXLAN devices use ${used[0]}`,
      }
    return {vtep: declared, source: only === undefined ? 'inventory (no VXLAN device yet)' : 'inventory and devices'}
  }
  if (only === undefined) {
    const noLocal = vxlans.map(v => v.name).sort()
    return {
      vtep: null,
      reason: noLocal.length
        ? `none of its VXLAN devices has a local address (${list(noLocal)})`
        : 'the leaf has no VXLAN device to read it from',
    }
  }
  return {vtep: only, source: `local address of ${list(byLocal.get(only)!)}`}
}

/** The hint of an unknown VTEP. */
export const VTEP_HINT = 'Declare `vtep:` on the leaf in the context inventory (docs/contexts.md).'

/**
 * The fabric's anycast gateway MAC. Declared (`overlay.anycastMac`): that one. Otherwise read from the
 * gateways the leaves carry (a VNI whose gateway address is there): known when every such gateway on every
 * leaf read has the same MAC; unknown when no leaf carries a gateway or they disagree (named).
 */
export function anycastMacOf(
  reads: readonly {leaf: string; config: LeafConfig}[],
  declared: string | undefined,
  unread: readonly string[] = [],
): Known<'mac'> | Unknown<'mac'> {
  if (declared) return {mac: declared.toLowerCase(), source: 'overlay.anycastMac'}
  const byMac = new Map<string, Set<string>>()
  for (const r of reads)
    for (const v of Object.values(r.config.vnis))
      if (v.gateway.address && v.gateway.mac) {
        const m = v.gateway.mac.toLowerCase()
        byMac.set(m, (byMac.get(m) ?? new Set()).add(`${r.leaf} VNI ${v.vni}`))
      }
  const notRead = unread.length ? ` (not read: ${list([...unread].sort())})` : ''
  if (byMac.size === 0)
    return {
      mac: null,
      reason: `no leaf read carries a gateway yet${reads.length ? ` (read: ${list(reads.map(r => r.leaf).sort())})` : ''}${notRead}`,
    }
  if (byMac.size > 1)
    return {
      mac: null,
      reason: `the leaves' gateways disagree: ${[...byMac.entries()].map(([m, at]) => `${m} on ${list([...at])}`).join('; ')}`,
    }
  const [[mac, at]] = [...byMac.entries()] as [[string, Set<string>]]
  const leaves = [...new Set([...at].map(a => a.split(' ')[0]!))].sort()
  return {mac, source: `the gateways on ${list(leaves)}${notRead}`}
}

/** The hint of an unknown anycast gateway MAC. */
export const ANYCAST_HINT = 'Declare overlay.anycastMac in the context (docs/contexts.md).'

/**
 * The desired state with its gateway MACs when the fabric's MAC is unknown: a gateway the leaf already
 * carries (same address) keeps the MAC it has; any other gateway's MAC is '' (unknown: a push that has to
 * create it is refused).
 */
export function keepRunningGatewayMacs(desired: LeafConfig, running: LeafConfig | undefined): LeafConfig {
  const out = structuredClone(desired)
  for (const [k, v] of Object.entries(out.vnis)) {
    const r = running?.vnis[k]?.gateway
    v.gateway = {address: v.gateway.address, mac: r && r.address && r.address === v.gateway.address ? r.mac : ''}
  }
  return out
}

/** VNIs of a desired state whose gateway MAC is unknown (''). */
export function unknownGatewayMacs(desired: LeafConfig): number[] {
  return Object.values(desired.vnis)
    .filter(v => !v.gateway.mac)
    .map(v => v.vni)
    .sort((a, b) => a - b)
}
