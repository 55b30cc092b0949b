import {isFabricError} from '../cli/errors.js'
import type {Fabric} from '../fabric.js'
import {type HostFacts, probeNamedHosts} from '../seam/host-probe.js'
import type {Port} from '../model/types.js'
import type {IpamCheckItem, PortService, PortView} from './types.js'

/**
 * Leaked ports (issue 17): ports that hold an address nobody uses.
 * - orphaned-port: bound to a host where no OVS interface carries its iface-id (external_ids:iface-id, read through
 *   `fabric.hostProbe`) for longer than the grace period. The clock starts at the later of the time the device was
 *   last seen (where the backend recorded it: `hostProbe.deviceLastSeen`) and the port's last change (`updated_at`,
 *   which the binding sets): each finding says which one it used.
 * - unbound-past-age: unbound, and unchanged for longer than `unboundOlderThanMs` (off unless given).
 * A host that could not be read makes its ports `unknown` (with the reason), never orphaned.
 * Pure over the seam: ports from the port service, devices from the host probe, time from `fabric.states.now()`.
 */
export type LeakKind = 'orphaned-port' | 'unbound-past-age'

export interface LeakCriteria {
  /** An orphaned port is reported once its device has been missing this long. */
  graceMs: number
  /** Unbound ports unchanged this long are reported; null: the check is off. */
  unboundOlderThanMs: number | null
}

export interface LeakScope {
  host?: string
  namePrefix?: string
}

/** A port the leak checks found: the model port's identity, and why and since when it is leaked. */
export interface LeakedPort extends Pick<Port, 'id' | 'name' | 'ip' | 'mac' | 'network' | 'host'> {
  kind: LeakKind
  /** Since when the port has been in this state, ISO 8601. */
  since: string
  /** Where `since` came from: the time the device was last seen, or the port's last change (its binding). */
  sinceSource: 'device-last-seen' | 'port-updated-at'
  ageMs: number
  message: string
}

export interface UnknownPort {
  id: string
  name: string
  host: string
  reason: string
}

export interface LeakScan {
  now: string
  criteria: LeakCriteria
  /** Ports looked at (within the scope). */
  scanned: number
  leaked: LeakedPort[]
  unknown: UnknownPort[]
  /** Bound ports without a device that are still within the grace period (not reported). */
  withinGrace: number
  hosts: {read: number; unreadable: {host: string; reason: string}[]; withoutOvs: string[]}
}

export interface ProbeOptions {
  concurrency: number
  timeoutMs: number
}

/** The default grace of `ipam check --grace` and `ipam gc --older-than`. */
export const DEFAULT_GRACE_MS = 15 * 60_000

const PAGE = 5000
const MAX_PAGES = 10_000

/** What a leak finding needs of a port: a scan of a large fabric keeps only this, not every port's view. */
type LeakCandidate = Pick<PortView, 'id' | 'name' | 'ip' | 'mac' | 'network' | 'host' | 'updatedAt'>

/** Every port in the scope, a page at a time (bounded in pages; only the page is held, not the list). */
async function forEachPort(svc: PortService, scope: LeakScope, each: (p: PortView) => void): Promise<void> {
  let after: string | undefined
  for (let i = 0; i < MAX_PAGES; i++) {
    const page = await svc.list({limit: PAGE, after, host: scope.host, namePrefix: scope.namePrefix})
    for (const p of page.ports) each(p)
    if (page.next === null) return
    after = page.next
  }
}

/** A host's devices by iface-id, or why they are not known. */
type HostDevices = {ifaceIds: Set<string>} | {noOvs: true} | {reason: string}

function devicesOf(facts: HostFacts): HostDevices {
  if (!facts.ovs.expected) return {noOvs: true}
  if (facts.ovs.interfaces === null) {
    const err = facts.probeErrors.find(e => e.probe === 'ovsInterfaces' || e.probe === 'ovsDb')
    const running = facts.ovs.vswitchdRunning === false || facts.ovs.dbReachable === false
    return {
      reason: err
        ? `OVS interfaces not read: ${err.message}`
        : running
          ? `OVS is not running there (${facts.ovs.runningDetail ?? 'ovsdb/ovs-vswitchd not answering'}): its devices cannot be read`
          : 'OVS interfaces not read',
    }
  }
  return {ifaceIds: new Set(facts.ovs.interfaces.flatMap(i => (i.ifaceId ? [i.ifaceId] : [])))}
}

/** Read the devices of these hosts through the host probe (one read per host). */
export async function readHostDevices(
  fabric: Fabric,
  names: readonly string[],
  opts: ProbeOptions,
): Promise<Map<string, HostDevices>> {
  const read = await probeNamedHosts(fabric.hostProbe, names, {...opts, facts: 'ovs'}, devicesOf)
  return new Map([...read].map(([name, r]) => [name, 'facts' in r ? r.facts : {reason: r.reason}]))
}

const span = (ms: number): string =>
  ms < 120_000
    ? `${Math.round(ms / 1000)}s`
    : ms < 7_200_000
      ? `${Math.round(ms / 60_000)}m`
      : `${(ms / 3_600_000).toFixed(1)}h`

/** Since when a bound port has had no device: the later of the device's last sighting (if known) and its last change. */
function orphanSince(p: LeakCandidate, lastSeen: string | undefined): Pick<LeakedPort, 'since' | 'sinceSource'> {
  if (lastSeen !== undefined && Date.parse(lastSeen) >= Date.parse(p.updatedAt))
    return {since: lastSeen, sinceSource: 'device-last-seen'}
  return {since: p.updatedAt, sinceSource: 'port-updated-at'}
}

function orphanFinding(p: LeakCandidate, since: Pick<LeakedPort, 'since' | 'sinceSource'>, ageMs: number): LeakedPort {
  const how =
    since.sinceSource === 'device-last-seen'
      ? `its device was last seen ${span(ageMs)} ago (${since.since})`
      : `its device is not there and the port was bound/changed ${span(ageMs)} ago (${since.since}; when the device was last seen is not known)`
  return {
    id: p.id,
    name: p.name,
    ip: p.ip,
    mac: p.mac,
    network: p.network,
    host: p.host,
    kind: 'orphaned-port',
    ...since,
    ageMs,
    message: `port ${p.name} (${p.ip}) is bound to ${p.host} but no device there carries iface-id ${p.id}: ${how}`,
  }
}

/** Scan for leaked ports. */
export async function scanLeaks(
  fabric: Fabric,
  svc: PortService,
  criteria: LeakCriteria,
  scope: LeakScope,
  opts: ProbeOptions,
): Promise<LeakScan> {
  const nowIso = fabric.states.now()
  const now = Date.parse(nowIso)
  // One pass over the ports: an unbound one is judged at once, a bound one kept (slim) until its host is read.
  const bound: LeakCandidate[] = []
  const unbound: LeakCandidate[] = []
  let scanned = 0
  await forEachPort(svc, scope, p => {
    scanned++
    const c = {id: p.id, name: p.name, ip: p.ip, mac: p.mac, network: p.network, host: p.host, updatedAt: p.updatedAt}
    if (p.host !== null) bound.push(c)
    else if (criteria.unboundOlderThanMs !== null && now - Date.parse(p.updatedAt) >= criteria.unboundOlderThanMs)
      unbound.push(c)
  })
  const hostNames = [...new Set(bound.map(p => p.host!))].sort()
  const devices = await readHostDevices(fabric, hostNames, opts)
  const leaked: LeakedPort[] = []
  const unknownPorts: UnknownPort[] = []
  const missing: LeakCandidate[] = []
  for (const p of bound) {
    const d = devices.get(p.host!)!
    if ('reason' in d) unknownPorts.push({id: p.id, name: p.name, host: p.host!, reason: d.reason})
    else if ('ifaceIds' in d && !d.ifaceIds.has(p.id)) missing.push(p)
  }
  const lastSeen = missing.length > 0 ? await fabric.hostProbe.deviceLastSeen?.(missing.map(p => p.id)) : undefined
  let withinGrace = 0
  for (const p of missing) {
    const since = orphanSince(p, lastSeen?.get(p.id))
    const age = now - Date.parse(since.since)
    if (age >= criteria.graceMs) leaked.push(orphanFinding(p, since, age))
    else withinGrace++
  }
  for (const p of unbound) {
    const age = now - Date.parse(p.updatedAt)
    leaked.push({
      id: p.id,
      name: p.name,
      ip: p.ip,
      mac: p.mac,
      network: p.network,
      host: null,
      kind: 'unbound-past-age',
      since: p.updatedAt,
      sinceSource: 'port-updated-at',
      ageMs: age,
      message: `port ${p.name} (${p.ip}) is bound to no host and unchanged for ${span(age)} (since ${p.updatedAt})`,
    })
  }
  const entries = [...devices.entries()]
  return {
    now: nowIso,
    criteria,
    scanned,
    leaked: leaked.sort((a, b) => a.name.localeCompare(b.name)),
    unknown: unknownPorts.sort((a, b) => a.name.localeCompare(b.name)),
    withinGrace,
    hosts: {
      read: entries.filter(([, d]) => !('reason' in d)).length,
      unreadable: entries.flatMap(([host, d]) => ('reason' in d ? [{host, reason: d.reason}] : [])),
      withoutOvs: entries.flatMap(([host, d]) => ('noOvs' in d ? [host] : [])),
    },
  }
}

const FINDINGS_MAX = 200

/** The two leak checks as `ipam check` items. */
export function leakCheckItems(scan: LeakScan): IpamCheckItem[] {
  const orphaned = scan.leaked.filter(l => l.kind === 'orphaned-port')
  const unbound = scan.leaked.filter(l => l.kind === 'unbound-past-age')
  const asFinding = (l: LeakedPort) => ({
    subject: l.name,
    message: l.message,
    evidence: {id: l.id, host: l.host, since: l.since, sinceSource: l.sinceSource, ageMs: l.ageMs},
  })
  const unknown = scan.unknown.map(u => ({
    subject: u.name,
    message: `port ${u.name} on ${u.host}: unknown (${u.reason})`,
    evidence: {id: u.id, host: u.host},
  }))
  const orphanItem: IpamCheckItem = {
    name: 'orphaned-port',
    description: `ports bound to a host where no device carries their iface-id for longer than ${span(scan.criteria.graceMs)} (--grace)`,
    status: orphaned.length > 0 ? 'failed' : unknown.length > 0 ? 'unknown' : 'ok',
    ...(orphaned.length === 0 && unknown.length > 0
      ? {
          reason: `${unknown.length} port${unknown.length === 1 ? '' : 's'} on ${scan.hosts.unreadable.length} host${scan.hosts.unreadable.length === 1 ? '' : 's'} that could not be read: ${scan.hosts.unreadable.map(h => `${h.host} (${h.reason})`).join('; ')}`,
        }
      : {}),
    count: orphaned.length,
    findings: orphaned.slice(0, FINDINGS_MAX).map(asFinding),
    ...(unknown.length > 0 ? {unknown: unknown.slice(0, FINDINGS_MAX), unknownCount: unknown.length} : {}),
  }
  const unboundItem: IpamCheckItem =
    scan.criteria.unboundOlderThanMs === null
      ? {
          name: 'unbound-past-age',
          description: 'unbound ports unchanged for longer than --unbound-older-than',
          status: 'skipped',
          reason: 'off by default: give --unbound-older-than DURATION',
          count: 0,
          findings: [],
        }
      : {
          name: 'unbound-past-age',
          description: `unbound ports unchanged for longer than ${span(scan.criteria.unboundOlderThanMs)} (--unbound-older-than)`,
          status: unbound.length > 0 ? 'failed' : 'ok',
          count: unbound.length,
          findings: unbound.slice(0, FINDINGS_MAX).map(asFinding),
        }
  return [orphanItem, unboundItem]
}

export type RecheckVerdict = {leaked: true} | {leaked: false; reason: string}

/**
 * Check a port again just before releasing it: it must still exist, still be where it was (bound to the same host,
 * or still unbound), and — when orphaned — its host must be readable and still carry no device with its iface-id.
 * `devices` is a fresh read of the host (readHostDevices), taken just before.
 */
export async function recheckPort(
  fabric: Fabric,
  p: Pick<LeakedPort, 'id' | 'name' | 'host' | 'kind'>,
  devices: Map<string, HostDevices>,
): Promise<RecheckVerdict> {
  let now: {host: string | null}
  try {
    now = await fabric.ipam.port(p.id)
  } catch (error) {
    if (isFabricError(error) && error.code.endsWith('NOT_FOUND'))
      return {leaked: false, reason: 'the port no longer exists'}
    return {leaked: false, reason: `the port could not be read again: ${(error as Error).message}`}
  }
  if ((now.host ?? null) !== p.host)
    return {
      leaked: false,
      reason: `the port is now ${now.host ? `bound to ${now.host}` : 'unbound'} (was ${p.host ?? 'unbound'})`,
    }
  if (p.kind === 'unbound-past-age') return {leaked: true}
  const d = devices.get(p.host!)
  if (!d) return {leaked: false, reason: `host ${p.host} was not read again`}
  if ('reason' in d) return {leaked: false, reason: `host ${p.host} could not be read again: ${d.reason}`}
  if ('noOvs' in d) return {leaked: false, reason: `host ${p.host} runs no OVS`}
  if (d.ifaceIds.has(p.id)) return {leaked: false, reason: `its device is present again on ${p.host}`}
  return {leaked: true}
}
