import type {Fabric} from '../fabric.js'
import {diagnoseAll} from '../diagnose/index.js'
import {summarise, UNBOUND, type PortStatesResult, type StatesBy} from '../diagnose/states.js'
import type {PortVerdict} from '../diagnose/types.js'

/**
 * Port states from evidence: every port diagnosed in bulk (diagnose's `--all` path, through its
 * public `diagnoseAll`), counted beside its recorded state. A port is *verified* ACTIVE_ACTIVE when
 * diagnose's verdict is ok, NOT_ACTIVE when a step failed, UNKNOWN when the evidence could not be
 * read; "broken" is everything not verified ACTIVE_ACTIVE, counted by the verdict's cause.
 */

export const VERIFIED_STATES = ['NOT_ACTIVE', 'UNKNOWN', 'ACTIVE_ACTIVE'] as const
export type VerifiedState = (typeof VERIFIED_STATES)[number]

export interface VerifiedCounts {
  ACTIVE_ACTIVE: number
  NOT_ACTIVE: number
  UNKNOWN: number
  /** Recorded ACTIVE_ACTIVE but broken (the record lies). */
  activeButBroken: number
  /** Broken ports (NOT_ACTIVE or UNKNOWN) by the verdict's cause. */
  causes: Record<string, number>
}

export interface VerifiedGroup {
  recorded: Record<string, number>
  verified: VerifiedCounts
}

export interface VerifyResult {
  at: string
  elapsedMs: number
  total: number
  recorded: Record<string, number>
  verified: VerifiedCounts
  /** Per grouping asked for: group key → counts. Leaf: a port counts under each leaf of its host. */
  groups: Partial<Record<StatesBy, Map<string, VerifiedGroup>>>
  /** Leaf → its AZ. */
  leafAz: Map<string, string>
}

export const emptyCounts = (): VerifiedCounts => ({
  ACTIVE_ACTIVE: 0,
  NOT_ACTIVE: 0,
  UNKNOWN: 0,
  activeButBroken: 0,
  causes: {},
})

function addTo(g: VerifiedGroup, recorded: string, verified: VerifiedState, cause: string | null): void {
  g.recorded[recorded] = (g.recorded[recorded] ?? 0) + 1
  g.verified[verified]++
  if (verified !== 'ACTIVE_ACTIVE') {
    const c = cause ?? 'unknown'
    g.verified.causes[c] = (g.verified.causes[c] ?? 0) + 1
    if (recorded === 'ACTIVE_ACTIVE') g.verified.activeButBroken++
  }
}

/** Diagnose every port once and count recorded and verified states for each grouping in `by`. */
export async function verifyPorts(fabric: Fabric, by: readonly StatesBy[]): Promise<VerifyResult> {
  const started = performance.now()
  const [hosts, switches] = await Promise.all([fabric.inventory.hosts(), fabric.inventory.switches()])
  const hostLeaves = new Map(hosts.map(h => [h.name, [...new Set(h.nics.map(n => n.switch))]]))
  const hostAz = new Map(hosts.map(h => [h.name, h.az]))
  const leafAz = new Map(switches.filter(s => s.role === 'leaf').map(s => [s.name, s.az]))
  const total: VerifiedGroup = {recorded: {}, verified: emptyCounts()}
  const groups: VerifyResult['groups'] = Object.fromEntries(by.map(b => [b, new Map<string, VerifiedGroup>()]))
  const put = (b: StatesBy, key: string, rec: string, v: VerifiedState, cause: string | null) => {
    const m = groups[b]!
    let g = m.get(key)
    if (!g) m.set(key, (g = {recorded: {}, verified: emptyCounts()}))
    addTo(g, rec, v, cause)
  }
  const onDiagnosis = (d: PortVerdict) => {
    const rec = d.recorded?.state ?? 'NONE'
    const v: VerifiedState = d.verdict.ok ? 'ACTIVE_ACTIVE' : d.verdict.state === 'UNKNOWN' ? 'UNKNOWN' : 'NOT_ACTIVE'
    const cause = d.verdict.cause
    addTo(total, rec, v, cause)
    const host = d.port?.host ?? null
    for (const b of by) {
      if (b === 'az') put(b, d.port?.az ?? (host && hostAz.get(host)) ?? '(no az)', rec, v, cause)
      else if (b === 'host') put(b, host ?? UNBOUND, rec, v, cause)
      else if (b === 'network') put(b, d.port?.network ?? '(no network)', rec, v, cause)
      else if (!host) put(b, UNBOUND, rec, v, cause)
      else for (const l of hostLeaves.get(host) ?? ['(host not in inventory)']) put(b, l, rec, v, cause)
    }
  }
  await diagnoseAll(fabric, {onDiagnosis})
  const at = fabric.states.now()
  const n = Object.values(total.recorded).reduce((a, b) => a + b, 0)
  return {
    at,
    elapsedMs: Math.round(performance.now() - started),
    total: n,
    recorded: total.recorded,
    verified: total.verified,
    groups,
    leafAz,
  }
}

/** `port states --verify`: the recorded panel (from the same read) with each group's verified counts. */
export interface VerifiedStatesResult extends PortStatesResult {
  groups: (PortStatesResult['groups'][number] & {verified: VerifiedCounts})[]
  verified: VerifiedCounts & {elapsedMs: number}
}

const LEAF_NOTE =
  'a port counts under every leaf its host is cabled to (both leaves of a pair), so group totals add up to more than the port total'

export async function verifiedPortStates(fabric: Fabric, by: StatesBy): Promise<VerifiedStatesResult> {
  const r = await verifyPorts(fabric, [by])
  const m = r.groups[by]!
  const rows = [...m].flatMap(([key, g]) => Object.entries(g.recorded).map(([state, count]) => ({key, state, count})))
  const notes = [
    "verified: diagnose's verdict per port from the evidence (NOT_ACTIVE: a step failed; UNKNOWN: evidence unreadable)",
    fabric.states.recordedNote,
    by === 'leaf' ? LEAF_NOTE : null,
  ]
    .filter(Boolean)
    .join('; ')
  const base = summarise(by, rows, r.recorded, r.at, notes)
  const broken = (v: VerifiedCounts) => v.NOT_ACTIVE + v.UNKNOWN
  const groups = base.groups
    .map(g => ({...g, verified: sortCauses(m.get(g.key)?.verified ?? emptyCounts())}))
    .sort(
      (a, b) =>
        broken(b.verified) - broken(a.verified) ||
        b.unhealthy - a.unhealthy ||
        a.key.localeCompare(b.key, 'en', {numeric: true}),
    )
  return {...base, groups, verified: {...sortCauses(r.verified), elapsedMs: r.elapsedMs}}
}

function sortCauses(v: VerifiedCounts): VerifiedCounts {
  return {
    ...v,
    causes: Object.fromEntries(Object.entries(v.causes).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
  }
}
