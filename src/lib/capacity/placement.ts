import type {BondEvidence} from '../audit/types.js'
import type {Fabric} from '../fabric.js'
import type {Host} from '../model/types.js'
import {probeNamedHosts} from '../seam/host-probe.js'

/**
 * Where a dual-homed host's ports are local: which of its leaves learns their MACs on a host port
 * (the others learn them over EVPN, and in a tenant VRF install a /32 host route for each).
 * Read from the host's bond, never assumed from the cabling: an active-backup bond (or a LACP bond
 * that never negotiated and fell back to active-backup) sends on its active member only.
 */
export type Placement = Map<string, Set<string>>

/** A host whose placement could not be read: its ports are counted local on every leaf it is cabled to. */
export interface PlacementUnknown {
  host: string
  reason: string
}

export interface PlacementReading {
  placement: Placement
  unknown: PlacementUnknown[]
}

/** The leaves at which a host's ports are local, from its bond; a string is the reason it is not known. */
export function localLeaves(host: Host, bond: BondEvidence | null): Set<string> | string {
  const leafOf = new Map(host.nics.map(n => [n.name, n.switch]))
  const all = new Set(host.nics.map(n => n.switch))
  if (!bond) return 'no bond was read on the host'
  const activeBackup =
    /active-backup/.test(bond.mode ?? '') || (bond.lacp === 'configured' && bond.lacpFallbackAb === true)
  if (activeBackup) {
    if (!bond.activeMember)
      return `bond ${bond.name} is active-backup, but ${bond.unknown.activeMember ?? 'its active member is unknown'}`
    const leaf = leafOf.get(bond.activeMember)
    if (!leaf) return `bond ${bond.name}'s active member ${bond.activeMember} is not a cabled NIC of the host`
    return new Set([leaf])
  }
  // A negotiated LACP bond spans its leaves as one link (MLAG / EVPN multihoming): local on each.
  if (bond.lacp === 'negotiated') return all
  if (bond.mode === null) return `bond ${bond.name}'s mode is unknown: ${bond.unknown.mode ?? 'not read'}`
  return `bond ${bond.name} (${bond.mode}, LACP ${bond.lacp ?? 'unknown'}) pins each MAC to a member by hash; which leaf learns it is not known`
}

/**
 * Read the placement of every host cabled to more than one leaf (a single-homed host's ports are
 * local on its one leaf: nothing to read). One probe pass over those hosts, bond facts only.
 */
export async function readPlacement(fabric: Fabric, hosts: readonly Host[]): Promise<PlacementReading> {
  const placement: Placement = new Map()
  const unknown: PlacementUnknown[] = []
  const multi = hosts.filter(h => new Set(h.nics.map(n => n.switch)).size > 1)
  const read = await probeNamedHosts(
    fabric.hostProbe,
    multi.map(h => h.name),
    {concurrency: 16, timeoutMs: 30_000, facts: 'bond'},
  )
  for (const h of multi) {
    const r = read.get(h.name)!
    const where = 'facts' in r ? localLeaves(h, r.facts.bond) : r.reason
    if (typeof where === 'string') unknown.push({host: h.name, reason: where})
    else placement.set(h.name, where)
  }
  unknown.sort((a, b) => a.host.localeCompare(b.host))
  return {placement, unknown}
}
