import {FabricError} from '../cli/errors.js'
import {EXIT} from '../cli/exit-codes.js'
import type {Fabric} from '../fabric.js'
import type {LeafDriver, MacLocation} from '../leaf/driver.js'
import type {PortDevice, PortDevicesResult, ProbeTarget} from '../seam/host-probe.js'
import {injected, injectedFailure, type PlanStep} from './plan.js'
import type {ChangeOptions, MigrateResult, PortService} from './types.js'

/**
 * Drift fencing of `port migrate` (issue 17): the same IP and MAC never live on two hosts. Around
 * the backend's migrate, through the seam (`fabric.hostProbe.wiring`, `fabric.leafDrivers`):
 * 1. before any change, read the old host's devices carrying the port's iface-id; a host that
 *    cannot be read refuses the move (OLD_HOST_UNREACHABLE, exit 4) unless --fence-unreachable;
 * 2. after the move, read the old host again: a device still carrying the iface-id is removed when
 *    it was plugged for this port (on br-int, external_ids iface-id and attached-mac both the
 *    port's), else it is left and reported (OLD_HOST_STILL_WIRED, exit 3);
 * 3. check that the leaves of both hosts learn the MAC only on the new host's interfaces (bounded wait).
 */

export interface FenceOptions {
  /** Move even when the old host cannot be read (its device may stay live there). */
  fenceUnreachable: boolean
  /** Per host exchange (read or unplug). */
  timeoutMs: number
  /** How long the leaf check waits for a MAC seen on the old host's leaf port to go. */
  leafWaitMs: number
}

export type OldHostStatus = 'clean' | 'unwired' | 'still-wired' | 'unknown' | 'not-applicable' | 'planned'

export interface FencedDevice {
  device: string
  bridge: string | null
  ofport: number | null
  attachedMac: string | null
  /** Plugged for this port (fabricctl may remove it), with why or why not. */
  ours: boolean
  why: string
  action: 'unplugged' | 'left' | 'unplug-failed' | 'would-unplug' | 'present-before'
  error?: string
}

export interface LeafMacSeen {
  leaf: string
  interface: string
  origin: 'local' | 'remote'
  vtep: string | null
  source: string
  /** Whose interface it is: the new host's, the old host's, another host's (or a remote VTEP), or unknown. */
  where: 'new-host' | 'old-host' | 'other'
}

export interface FenceDoc {
  oldHost: string | null
  newHost: string
  fenceUnreachable: boolean
  /** The first read, before any change. */
  before: {read: boolean; devices: string[]; reason: string | null; source: string | null}
  status: OldHostStatus
  /** Why, in words (always set when status is unknown or still-wired). */
  reason: string | null
  devices: FencedDevice[]
  leaves: {
    status: 'clean' | 'stale' | 'unknown' | 'not-checked'
    reason: string | null
    mac: string
    seen: LeafMacSeen[]
    /** Leaves that could not be read, with why. */
    unread: {leaf: string; reason: string}[]
    waitedMs: number
  }
  warnings: string[]
  /** Time each part of the fence took: the read before the move, the old host after it (read, removals, read-back), the leaf check (reads and waits). */
  elapsedMs: {before: number; oldHost: number; leaves: number}
  /** OLD_HOST_STILL_WIRED, OLD_HOST_MAC_ON_LEAF, FENCE_STEP_FAILED (each exit 3), OLD_HOST_UNREAD (a warning). */
  codes: string[]
}

export type FencedMigration = MigrateResult & {fence: FenceDoc}

const POLL_MS = 1000

/** A device plugged for this port: on br-int with the port's iface-id and attached-mac. Read, not assumed. */
export function ownership(d: PortDevice, port: {id: string; mac: string}): {ours: boolean; why: string} {
  const mac = d.externalIds['attached-mac']
  if (d.externalIds['iface-id'] !== port.id)
    return {ours: false, why: `its iface-id is ${d.externalIds['iface-id'] ?? 'unset'}, not the port's`}
  if (d.bridge !== 'br-int') return {ours: false, why: `it is on ${d.bridge ?? 'no bridge'}, not br-int`}
  if (!mac)
    return {ours: false, why: 'it has no external_ids:attached-mac (not plugged by an agent/os-vif/CNI for this port)'}
  if (mac.toLowerCase() !== port.mac.toLowerCase())
    return {ours: false, why: `its attached-mac ${mac} is not the port's MAC ${port.mac}`}
  return {ours: true, why: "plugged for this port (br-int, iface-id and attached-mac are the port's)"}
}

async function targetOf(fabric: Fabric, host: string): Promise<ProbeTarget | string> {
  try {
    const t = (await fabric.hostProbe.hosts()).find(h => h.name === host)
    return t ?? `host ${host} is not among the hosts this fabric can reach (${fabric.hostProbe.unknownHostHint})`
  } catch (error) {
    return (error as Error).message
  }
}

async function readDevices(
  fabric: Fabric,
  host: string,
  portId: string,
  timeoutMs: number,
): Promise<PortDevicesResult> {
  const t = await targetOf(fabric, host)
  if (typeof t === 'string')
    return {host, failure: {code: 'HOST_NOT_REACHABLE', message: t, hint: null}, source: 'inventory'}
  return fabric.hostProbe.wiring.portDevices(t, portId, {timeoutMs})
}

/** The fence's steps, as the plan prints them (read before, unwire after, leaf check). */
export function fenceSteps(
  port: {id: string; mac: string},
  oldHost: string,
  newHost: string,
  o: FenceOptions,
): PlanStep[] {
  return [
    {
      id: `fence-read:${oldHost}`,
      kind: 'host',
      action: `read ${oldHost}'s OVS: interfaces whose external_ids:iface-id is ${port.id} (${o.fenceUnreachable ? '--fence-unreachable: move even if it cannot be read' : 'refuse the move when it cannot be read'})`,
      undo: null,
    },
    {
      id: `fence-unwire:${oldHost}`,
      kind: 'host',
      action: `after the move, read ${oldHost} again; remove a device still carrying the iface-id only if it was plugged for this port (br-int, iface-id and attached-mac ${port.mac}), else report OLD_HOST_STILL_WIRED`,
      undo: `re-add the device to its bridge with the external_ids read`,
    },
    {
      id: 'fence-leaves',
      kind: 'leaf',
      action: `check the leaves of ${oldHost} and ${newHost} learn ${port.mac} only on ${newHost}'s interfaces (bridge fdb, EVPN MACs; waiting up to ${Math.round(o.leafWaitMs / 1000)} s)`,
      undo: null,
    },
  ]
}

/** `port migrate` with drift fencing. Throws OLD_HOST_UNREACHABLE (exit 4) before any change. */
export async function fencedMigrate(
  fabric: Fabric,
  svc: PortService,
  ref: string,
  toHost: string,
  opts: ChangeOptions & FenceOptions,
): Promise<FencedMigration> {
  const {port} = await svc.show(ref)
  const oldHost = port.host
  const fence: FenceDoc = {
    oldHost,
    newHost: toHost,
    fenceUnreachable: opts.fenceUnreachable,
    before: {read: false, devices: [], reason: null, source: null},
    status: 'not-applicable',
    reason: null,
    devices: [],
    leaves: {status: 'not-checked', reason: null, mac: port.mac, seen: [], unread: [], waitedMs: 0},
    warnings: [],
    elapsedMs: {before: 0, oldHost: 0, leaves: 0},
    codes: [],
  }
  if (oldHost === null || oldHost === toHost) {
    const r = await svc.migrate(ref, toHost, opts)
    fence.reason = oldHost === null ? 'the port was bound to no host: no old host to fence' : 'the port does not move'
    fence.leaves.reason = fence.reason
    return {...r, fence}
  }

  const steps = fenceSteps(port, oldHost, toHost, opts)
  // The failure hook (FABRICCTL_FAIL_STEP=migrate:<id>) reaches the fence steps too.
  const failAt = (st: PlanStep) =>
    injected('FABRICCTL_FAIL_STEP', 'migrate', st.id) ? injectedFailure('step', 'migrate', st.id) : null
  const readFailure = failAt(steps[0]!)
  if (readFailure)
    throw new FabricError({
      code: readFailure.code,
      message: `migrate ${port.name} failed at step ${steps[0]!.id}: ${readFailure.message} Nothing had been applied.`,
      value: port.name,
      hint: readFailure.hint,
      details: {
        applied: [],
        compensated: [],
        failed: {id: steps[0]!.id, action: steps[0]!.action, error: readFailure.message, code: readFailure.code},
        leftChanged: [],
      },
      exitCode: EXIT.CHECK_FAILED,
    })

  // 1. Before any change: the old host must be readable (or the operator accepts the risk).
  let t0 = performance.now()
  const pre = await readDevices(fabric, oldHost, port.id, opts.timeoutMs)
  fence.elapsedMs.before = Math.round(performance.now() - t0)
  fence.before.source = pre.source
  if ('failure' in pre) {
    fence.before.reason = `${pre.failure.code}: ${pre.failure.message}`
    if (!opts.fenceUnreachable)
      throw new FabricError({
        code: 'OLD_HOST_UNREACHABLE',
        message: `Port ${port.name} is wired on ${oldHost}, which cannot be read (${pre.failure.code}: ${pre.failure.message}). Nothing was changed: moving it now could leave ${port.ip}/${port.mac} live on two hosts.`,
        value: oldHost,
        hint: `Restore access to ${oldHost} and run the command again; or, once ${oldHost} is known to be down or isolated (powered off, fenced by its BMC), re-run with --fence-unreachable to move the port anyway (its device on ${oldHost} is then neither checked nor removed).`,
        details: {oldHost, port: port.id, failure: pre.failure},
        exitCode: EXIT.REFUSED,
      })
    fence.warnings.push(
      `--fence-unreachable: ${oldHost} could not be read (${pre.failure.code}); if it still runs, ${port.ip}/${port.mac} may be live there too until its device is removed`,
    )
  } else {
    fence.before.read = true
    fence.before.devices = pre.devices.map(d => d.device)
  }

  let r: MigrateResult
  try {
    r = await svc.migrate(ref, toHost, opts)
  } catch (error) {
    // A step of the move failed: the fence's read had been applied before it (a read: nothing to undo).
    const d = (error as FabricError).details as {applied?: {id: string; action: string}[]} | undefined
    if (error instanceof FabricError && Array.isArray(d?.applied))
      d.applied.unshift({id: steps[0]!.id, action: steps[0]!.action})
    throw error
  }
  const plan = r.plan ? {...r.plan, steps: [steps[0]!, ...r.plan.steps, steps[1]!, steps[2]!]} : r.plan
  if (r.dryRun || !r.changed) {
    fence.status = r.dryRun ? 'planned' : 'not-applicable'
    if ('devices' in pre)
      fence.devices = pre.devices.map(d => ({...deviceDoc(d, port), action: 'present-before' as const}))
    return {...r, ...(plan ? {plan} : {}), fence}
  }

  // 2. After the move: the old host again. 3. The leaves. The move cannot be undone from here: a
  // failure of these steps is reported with what changed (exit 3), never hidden.
  const unwireFailure = failAt(steps[1]!)
  if (unwireFailure) {
    fence.status = 'unknown'
    fence.reason = `step ${steps[1]!.id} failed after the move: ${unwireFailure.message}`
    fence.codes.push('FENCE_STEP_FAILED')
  } else {
    t0 = performance.now()
    await fenceOldHost(fabric, fence, port, oldHost, opts)
    fence.elapsedMs.oldHost = Math.round(performance.now() - t0)
  }
  const leavesFailure = failAt(steps[2]!)
  if (leavesFailure) {
    fence.leaves.status = 'unknown'
    fence.leaves.reason = `step ${steps[2]!.id} failed after the move: ${leavesFailure.message}`
    fence.codes.push('FENCE_STEP_FAILED')
  } else {
    t0 = performance.now()
    await checkLeaves(fabric, fence, port.mac, oldHost, toHost, opts.leafWaitMs)
    fence.elapsedMs.leaves = Math.round(performance.now() - t0)
  }
  if (fence.status === 'still-wired') fence.codes.push('OLD_HOST_STILL_WIRED')
  if (fence.status === 'unknown') fence.codes.push('OLD_HOST_UNREAD')
  if (fence.leaves.status === 'stale') fence.codes.push('OLD_HOST_MAC_ON_LEAF')
  return {...r, ...(plan ? {plan} : {}), fence}
}

function deviceDoc(d: PortDevice, port: {id: string; mac: string}): Omit<FencedDevice, 'action'> {
  const o = ownership(d, port)
  return {
    device: d.device,
    bridge: d.bridge,
    ofport: d.ofport,
    attachedMac: d.externalIds['attached-mac'] ?? null,
    ours: o.ours,
    why: o.why,
  }
}

async function fenceOldHost(
  fabric: Fabric,
  fence: FenceDoc,
  port: {id: string; mac: string; name: string},
  oldHost: string,
  opts: FenceOptions,
): Promise<void> {
  const post = await readDevices(fabric, oldHost, port.id, opts.timeoutMs)
  if ('failure' in post) {
    fence.status = 'unknown'
    fence.reason = `${oldHost} could not be read after the move (${post.failure.code}: ${post.failure.message})`
    if (!opts.fenceUnreachable) fence.warnings.push(`${fence.reason}: whether the port is still wired there is unknown`)
    return
  }
  if (post.devices.length === 0) {
    fence.status = 'clean'
    fence.reason = `no interface on ${oldHost} carries iface-id ${port.id}`
    return
  }
  const t = (await targetOf(fabric, oldHost)) as ProbeTarget
  for (const d of post.devices) {
    const doc = deviceDoc(d, port)
    if (!doc.ours) {
      fence.devices.push({...doc, action: 'left'})
      continue
    }
    try {
      await fabric.hostProbe.wiring.unplug(t, d, port.id, {timeoutMs: opts.timeoutMs})
      fence.devices.push({...doc, action: 'unplugged'})
    } catch (error) {
      fence.devices.push({...doc, action: 'unplug-failed', error: (error as Error).message})
    }
  }
  // Read back: what is still there is what the result says.
  const after = await readDevices(fabric, oldHost, port.id, opts.timeoutMs)
  const still = 'failure' in after ? null : after.devices.map(d => d.device)
  const left = fence.devices.filter(d => d.action !== 'unplugged' || (still !== null && still.includes(d.device)))
  if (left.length === 0) {
    fence.status = 'unwired'
    fence.reason = `removed ${fence.devices.map(d => d.device).join(', ')} from ${oldHost}${still === null ? ' (the read-back failed: not confirmed)' : ''}`
    return
  }
  fence.status = 'still-wired'
  fence.reason = `${oldHost} still carries port ${port.name}'s iface-id on ${left
    .map(
      d =>
        `${d.device} (${d.action === 'left' ? `left: ${d.why}` : d.action === 'unplug-failed' ? `removing it failed: ${d.error}` : 'still present after removal'})`,
    )
    .join('; ')}`
}

async function checkLeaves(
  fabric: Fabric,
  fence: FenceDoc,
  mac: string,
  oldHost: string,
  newHost: string,
  waitMs: number,
): Promise<void> {
  const hosts = await fabric.inventory.hosts()
  const ifaceOwner = new Map<string, string>()
  for (const h of hosts)
    for (const n of h.nics) if (n.switch && n.interface) ifaceOwner.set(`${n.switch}:${n.interface}`, h.name)
  const leaves = [
    ...new Set([
      ...(await fabric.leafDrivers.leavesOfHost(oldHost)),
      ...(await fabric.leafDrivers.leavesOfHost(newHost)),
    ]),
  ]
  if (leaves.length === 0) {
    fence.leaves.reason = `no leaf is cabled to ${oldHost} or ${newHost}`
    return
  }
  // Each leaf's driver (one SSH session) is opened once and read by every poll; the leaves are read at once.
  // A leaf that could not be opened is tried again at the next poll.
  const opened: OpenedLeaf[] = leaves.map(leaf => ({leaf}))
  const open = async (o: OpenedLeaf) => {
    try {
      o.driver = await fabric.leafDrivers.open(o.leaf)
    } catch (error) {
      o.error = (error as Error).message
    }
  }
  try {
    await pollLeaves(fence, mac, oldHost, newHost, waitMs, leaves, opened, open, ifaceOwner)
  } finally {
    for (const o of opened) o.driver?.close()
  }
}

interface OpenedLeaf {
  leaf: string
  driver?: LeafDriver
  error?: string
}

async function pollLeaves(
  fence: FenceDoc,
  mac: string,
  oldHost: string,
  newHost: string,
  waitMs: number,
  leaves: string[],
  opened: OpenedLeaf[],
  open: (o: OpenedLeaf) => Promise<void>,
  ifaceOwner: Map<string, string>,
): Promise<void> {
  const started = performance.now()
  let firstStale: string | undefined
  for (;;) {
    const seen: LeafMacSeen[] = []
    const unread: {leaf: string; reason: string}[] = []
    const reads = await Promise.all(
      opened.map(async (o): Promise<{leaf: string; reason: string} | {leaf: string; entries: MacLocation[]}> => {
        if (!o.driver) await open(o)
        const {leaf, driver} = o
        if (!driver) return {leaf, reason: o.error ?? 'not opened'}
        if (!driver.macLocations) return {leaf, reason: `the ${driver.driver} driver cannot read learned MACs`}
        try {
          return {leaf, entries: dedupe((await driver.macLocations(mac, null)).entries)}
        } catch (e) {
          return {leaf, reason: (e as Error).message}
        }
      }),
    )
    for (const r of reads) {
      if ('reason' in r) unread.push({leaf: r.leaf, reason: r.reason})
      else
        for (const e of r.entries)
          seen.push({leaf: r.leaf, ...e, where: whereOf(ifaceOwner, r.leaf, e, oldHost, newHost)})
    }
    fence.leaves.seen = seen
    fence.leaves.unread = unread
    fence.leaves.waitedMs = Math.round(performance.now() - started)
    const stale = seen.filter(s => s.where === 'old-host')
    if (stale.length === 0) {
      if (firstStale)
        fence.warnings.push(
          `${mac} was still learned on ${oldHost}'s leaf port ${firstStale} after the move; gone after ${Math.round(fence.leaves.waitedMs / 1000)} s`,
        )
      fence.leaves.status = unread.length > 0 ? 'unknown' : 'clean'
      fence.leaves.reason =
        unread.length > 0
          ? `not read on ${unread.map(u => `${u.leaf} (${u.reason})`).join(', ')}`
          : seen.length === 0
            ? `${mac} is learned on none of ${leaves.join(', ')} (nothing on ${oldHost}'s interfaces)`
            : `${mac} is learned only on ${seen.map(s => `${s.leaf}:${s.interface}`).join(', ')} (none of ${oldHost}'s interfaces)`
      return
    }
    const elapsed = performance.now() - started
    if (elapsed >= waitMs) {
      fence.leaves.status = 'stale'
      fence.leaves.reason = `${mac} is still learned on ${oldHost}'s leaf port${stale.length === 1 ? '' : 's'} ${stale.map(s => `${s.leaf}:${s.interface} (${s.source})`).join(', ')} after ${Math.round(fence.leaves.waitedMs / 1000)} s`
      return
    }
    firstStale ??= stale.map(x => `${x.leaf}:${x.interface}`).join(', ')
    await new Promise(resolve => setTimeout(resolve, Math.min(POLL_MS, waitMs - elapsed)))
  }
}

function dedupe(entries: MacLocation[]): MacLocation[] {
  const seen = new Map<string, MacLocation>()
  for (const e of entries) {
    const k = `${e.interface}|${e.origin}|${e.vtep ?? ''}`
    const had = seen.get(k)
    if (had) had.source = had.source.includes(e.source) ? had.source : `${had.source} + ${e.source}`
    else seen.set(k, {...e})
  }
  return [...seen.values()]
}

function whereOf(
  owner: Map<string, string>,
  leaf: string,
  e: MacLocation,
  oldHost: string,
  newHost: string,
): LeafMacSeen['where'] {
  if (e.origin !== 'local') return 'other'
  const h = owner.get(`${leaf}:${e.interface}`)
  return h === oldHost ? 'old-host' : h === newHost ? 'new-host' : 'other'
}

/** The exit code fencing asks for, after the move: 3 when the old host still carries the port or the MAC stays on its leaf port. */
export function fenceExit(f: FenceDoc): number | null {
  if (f.status === 'still-wired' || f.leaves.status === 'stale' || f.codes.includes('FENCE_STEP_FAILED'))
    return EXIT.PARTIAL
  return null
}
