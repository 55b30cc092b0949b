import type {LeafConfig} from '../model/types.js'
import {withoutCarried} from './carried.js'
import {type LeafChange, describeChange, diffLeafConfigs} from './diff.js'
import {
  type LeafDriver,
  LeafDriverError,
  type LeafSnapshot,
  type PendingRevert,
  type SnapshotKind,
  type SnapshotStore,
  type VerifyCheck,
} from './driver.js'

/**
 * The push, verify and rollback algorithms, written once for every driver. They are generators
 * that yield each driver call's result (a value or a promise): `runSync` drives them for the
 * simulated leaf inside a store transaction, `runAsync` for leaves over SSH.
 */
type Steps<R> = Generator<unknown, R, unknown>

export type PushStatus = 'unchanged' | 'applied' | 'planned' | 'refused' | 'failed' | 'unreachable'

export interface PushError {
  code: string
  message: string
  step?: string
  hint?: string
}

export interface PushResult {
  leaf: string
  driver: string
  status: PushStatus
  changes: LeafChange[]
  /** Human lines, one per change. */
  summary: string[]
  /** What the driver does (or would do) on the leaf. */
  plan: string[]
  /** The inverse the driver keeps for rollback. */
  inverse: string[]
  error?: PushError
  /** After a failure: what the leaf was put back to (null: nothing had been applied; 'failed': the rollback failed too). */
  rolledBackTo?: SnapshotKind | 'pre-push' | 'failed' | null
  checks: VerifyCheck[]
  /** Commit-confirm: the revert armed on the leaf (disarm with `leaf confirm`). */
  pending?: PendingRevert
  durationMs: number
}

export interface PushOptions {
  dryRun?: boolean
  maxChanges?: number
  force?: boolean
  /** Keep an applied change even when verify fails (the checks are still reported). */
  noVerify?: boolean
  /** How long to wait for the leaf's lock (another push holds it) before refusing; default 30 s. */
  lockWaitMs?: number
  /** Commit-confirm: arm a revert on the leaf that fires after this many seconds unless `leaf confirm` disarms it. */
  confirmWithinS?: number
}

function errOf(e: unknown, fallback: string): PushError {
  if (e instanceof LeafDriverError) return {code: e.code, message: e.message, step: e.step, hint: e.hint}
  const fe = e as {code?: string; message?: string; hint?: string}
  return {code: typeof fe.code === 'string' ? fe.code : fallback, message: fe.message ?? String(e), hint: fe.hint}
}

/**
 * lock → diff(desired, running) → [gate] → prepare → apply → verify → record last-known-good [→ arm the
 * commit-confirm revert]; roll back on failure. The leaf's lock (when its driver has one) is held throughout.
 */
export function* pushSteps(
  d: LeafDriver,
  desired: LeafConfig,
  snaps: SnapshotStore,
  opts: PushOptions = {},
): Steps<PushResult> {
  const t0 = performance.now()
  const refused = (error: PushError): PushResult => ({
    leaf: d.leaf,
    driver: d.driver,
    status: 'refused',
    changes: [],
    summary: [],
    plan: [],
    inverse: [],
    checks: [],
    error,
    durationMs: Math.round(performance.now() - t0),
  })
  if (opts.confirmWithinS !== undefined && !opts.dryRun && !d.armRevert)
    return refused({
      code: 'LEAF_CONFIRM_UNSUPPORTED',
      message: `Leaf ${d.leaf} (driver ${d.driver}) cannot arm a revert on itself; nothing was changed.`,
      hint: 'Push without --confirm-within.',
    })
  if (opts.dryRun || !d.lock) return yield* pushLocked(d, desired, snaps, opts, t0)
  let release: () => void
  try {
    release = (yield d.lock(opts.lockWaitMs ?? 30_000)) as () => void
  } catch (error) {
    if (error instanceof LeafDriverError && error.code === 'LEAF_LOCKED') return refused(errOf(error, 'LEAF_LOCKED'))
    return {...refused(errOf(error, 'LEAF_UNREACHABLE')), status: 'unreachable'}
  }
  try {
    return yield* pushLocked(d, desired, snaps, opts, t0)
  } finally {
    release()
  }
}

function* pushLocked(
  d: LeafDriver,
  desired: LeafConfig,
  snaps: SnapshotStore,
  opts: PushOptions,
  t0: number,
): Steps<PushResult> {
  const base = {
    leaf: d.leaf,
    driver: d.driver,
    changes: [] as LeafChange[],
    summary: [] as string[],
    plan: [] as string[],
    inverse: [] as string[],
    checks: [] as VerifyCheck[],
  }
  const done = (r: Omit<PushResult, keyof typeof base | 'durationMs'> & Partial<typeof base>): PushResult => ({
    ...base,
    ...r,
    durationMs: Math.round(performance.now() - t0),
  })
  let running
  try {
    running = (yield d.read()) as Awaited<ReturnType<LeafDriver['read']>>
  } catch (error) {
    return done({status: 'unreachable', error: errOf(error, 'LEAF_UNREACHABLE')})
  }
  // What hand-made configuration already carries as desired is not fabricctl's to push (nor a refusal).
  const want = withoutCarried(running, desired).desired
  const changes = diffLeafConfigs(running.config, want)
  base.changes = changes
  base.summary = changes.map(describeChange)
  if (changes.length === 0) {
    // Nothing to change on the leaf. A leaf seen for the first time gets its state recorded as known-good.
    if (!opts.dryRun && !snaps.get(d.leaf, 'last-known-good')) snaps.record(d.leaf, {lastKnownGood: running.snapshot})
    return done({status: 'unchanged'})
  }
  const max = opts.maxChanges ?? Number.POSITIVE_INFINITY
  if (changes.length > max && !opts.force) {
    return done({
      status: 'refused',
      error: {
        code: 'LEAF_TOO_MANY_CHANGES',
        message: `${changes.length} changes exceed --max-changes ${max}.`,
        hint: 'Review them with `fabricctl leaf diff`, then raise --max-changes or add --force.',
      },
    })
  }
  let prepared
  try {
    prepared = (yield d.prepare(want, running, changes)) as Awaited<ReturnType<LeafDriver['prepare']>>
  } catch (error) {
    // A desired state that needs what fabricctl does not manage, or a fact it could not read from the leaf (VTEP,
    // anycast gateway MAC), is refused by a safety gate (exit 4), nothing changed.
    if (error instanceof LeafDriverError && (error.code === 'LEAF_UNMANAGED' || error.code === 'LEAF_FACT_UNKNOWN'))
      return done({status: 'refused', error: errOf(error, error.code)})
    return done({status: 'failed', error: errOf(error, 'LEAF_CANDIDATE_INVALID'), rolledBackTo: null})
  }
  base.plan = prepared.plan
  base.inverse = prepared.inverse
  if (opts.dryRun) return done({status: 'planned'})

  // A failed push goes back to the last-known-good state, or (drivers whose snapshots hold the whole leaf
  // configuration, and any leaf without one) to what it ran just before the push: see failedPushRestores.
  const lkg = d.failedPushRestores === 'pre-push' ? undefined : snaps.get(d.leaf, 'last-known-good')
  const target: LeafSnapshot = lkg ?? running.snapshot
  const targetName = lkg ? ('last-known-good' as const) : ('pre-push' as const)
  const rollback = function* (cause: PushError): Steps<PushResult> {
    try {
      yield d.restore(target)
      return done({status: 'failed', error: cause, rolledBackTo: targetName})
    } catch (error) {
      const re = errOf(error, 'LEAF_ROLLBACK_FAILED')
      return done({
        status: 'failed',
        error: {
          ...cause,
          message: `${cause.message} Rolling back to the ${targetName} state failed too: ${re.message}`,
        },
        rolledBackTo: 'failed',
      })
    }
  }
  try {
    yield d.apply(prepared)
  } catch (error) {
    return yield* rollback(errOf(error, 'LEAF_PUSH_FAILED'))
  }
  let report
  try {
    report = (yield d.verify(desired)) as Awaited<ReturnType<LeafDriver['verify']>>
  } catch (error) {
    return yield* rollback({...errOf(error, 'LEAF_VERIFY_FAILED'), step: 'verify'})
  }
  base.checks = report.checks
  const failed = report.checks.filter(c => !c.ok && c.severity === 'error')
  if (failed.length > 0 && !opts.noVerify) {
    return yield* rollback({
      code: 'LEAF_VERIFY_FAILED',
      step: 'verify',
      message: `The leaf does not carry the pushed configuration: ${failed.map(c => `${c.name}: ${c.detail}`).join('; ')}.`,
    })
  }
  snaps.record(d.leaf, {lastKnownGood: report.running.snapshot, previous: running.snapshot})
  if (opts.confirmWithinS !== undefined && d.armRevert) {
    try {
      const pending = (yield d.armRevert(
        running.snapshot,
        report.running.snapshot,
        opts.confirmWithinS,
      )) as PendingRevert
      return done({status: 'applied', pending})
    } catch (error) {
      // Without its safety net the change is not kept.
      snaps.record(d.leaf, {lastKnownGood: running.snapshot, previous: report.running.snapshot})
      return yield* rollback({...errOf(error, 'LEAF_PUSH_FAILED'), step: 'arm commit-confirm'})
    }
  }
  return done({status: 'applied'})
}

export type VerifyStatus = 'in-sync' | 'differs' | 'unreachable'
export interface VerifyResult {
  leaf: string
  driver: string
  status: VerifyStatus
  changes: LeafChange[]
  summary: string[]
  checks: VerifyCheck[]
  running?: LeafConfig
  error?: PushError
}

/** Read back the running state and compare it with the desired one, plus the driver's own checks. */
export function* verifySteps(d: LeafDriver, desired: LeafConfig): Steps<VerifyResult> {
  const base = {leaf: d.leaf, driver: d.driver}
  let report
  try {
    report = (yield d.verify(desired)) as Awaited<ReturnType<LeafDriver['verify']>>
  } catch (error) {
    return {
      ...base,
      status: 'unreachable',
      changes: [],
      summary: [],
      checks: [],
      error: errOf(error, 'LEAF_UNREACHABLE'),
    }
  }
  const changes = diffLeafConfigs(report.running.config, withoutCarried(report.running, desired).desired)
  const bad = changes.length > 0 || report.checks.some(c => !c.ok && c.severity === 'error')
  return {
    ...base,
    status: bad ? 'differs' : 'in-sync',
    changes,
    summary: changes.map(describeChange),
    checks: report.checks,
    running: report.running.config,
  }
}

export type RollbackStatus = 'restored' | 'unchanged' | 'planned' | 'failed' | 'unreachable' | 'no-snapshot'
export interface RollbackResult {
  leaf: string
  driver: string
  to: SnapshotKind
  status: RollbackStatus
  takenAt?: string
  changes: LeafChange[]
  summary: string[]
  error?: PushError
}

/** Restore a recorded snapshot; rolling back to `previous` swaps it with last-known-good (so a second rollback redoes). */
export function* rollbackSteps(
  d: LeafDriver,
  snaps: SnapshotStore,
  to: SnapshotKind,
  opts: {dryRun?: boolean} = {},
): Steps<RollbackResult> {
  const base = {leaf: d.leaf, driver: d.driver, to}
  const target = snaps.get(d.leaf, to)
  if (!target)
    return {
      ...base,
      status: 'no-snapshot',
      changes: [],
      summary: [],
      error: {
        code: 'LEAF_NO_SNAPSHOT',
        message: `No ${to} state is recorded for leaf ${d.leaf}.`,
        hint: 'A state is recorded by a successful `fabricctl leaf push`.',
      },
    }
  let running
  try {
    running = (yield d.read()) as Awaited<ReturnType<LeafDriver['read']>>
  } catch (error) {
    return {
      ...base,
      status: 'unreachable',
      takenAt: target.takenAt,
      changes: [],
      summary: [],
      error: errOf(error, 'LEAF_UNREACHABLE'),
    }
  }
  const changes = diffLeafConfigs(running.config, target.config)
  const summary = changes.map(describeChange)
  const sameRaw = target.raw === undefined || JSON.stringify(target.raw) === JSON.stringify(running.snapshot.raw)
  if (changes.length === 0 && sameRaw) return {...base, status: 'unchanged', takenAt: target.takenAt, changes, summary}
  if (opts.dryRun) return {...base, status: 'planned', takenAt: target.takenAt, changes, summary}
  try {
    yield d.restore(target)
  } catch (error) {
    return {
      ...base,
      status: 'failed',
      takenAt: target.takenAt,
      changes,
      summary,
      error: errOf(error, 'LEAF_ROLLBACK_FAILED'),
    }
  }
  if (to === 'previous') {
    const lkg = snaps.get(d.leaf, 'last-known-good')
    snaps.record(d.leaf, {lastKnownGood: target, previous: lkg})
  }
  return {...base, status: 'restored', takenAt: target.takenAt, changes, summary}
}

/** Drive steps whose driver calls answer synchronously (a promise here is a bug). */
export function runSync<R>(gen: Steps<R>): R {
  let r = gen.next()
  while (!r.done) {
    const v = r.value
    if (v instanceof Promise)
      throw new Error('runSync: an asynchronous driver was used where a synchronous one is required')
    r = gen.next(v)
  }
  return r.value
}

/** Drive steps whose driver calls may be asynchronous; a rejected call is thrown into the generator. */
export async function runAsync<R>(gen: Steps<R>): Promise<R> {
  let r = gen.next()
  while (!r.done) {
    let v: unknown
    try {
      v = await r.value
    } catch (error) {
      r = gen.throw(error)
      continue
    }
    r = gen.next(v)
  }
  return r.value
}
