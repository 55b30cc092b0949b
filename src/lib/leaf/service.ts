import {notFound, usageError} from '../cli/errors.js'
import type {FabricHandle} from '../fabric.js'
import type {LeafConfig, Switch} from '../model/types.js'
import {type LeafChange, describeChange, diffLeafConfigs, leafConfigText, unifiedDiff} from './diff.js'
import type {LeafDriver, SnapshotKind, SnapshotStore} from './driver.js'
import {LeafDriverError} from './driver.js'
import {type PushError, type PushOptions, type PushResult, type RollbackResult, type VerifyResult, pushSteps, rollbackSteps, runAsync, runSync, verifySteps} from './engine.js'

/**
 * The leaf capability, whichever backend serves the fabric: desired state, drivers and snapshots
 * for the simulated store or for live leaves (FRR over SSH). Commands hold a `LeafService` and
 * never ask which backend it is.
 */
export interface LeafDiffResult {
  leaf: string
  driver: string
  status: 'in-sync' | 'differs' | 'unreachable'
  changes: LeafChange[]
  summary: string[]
  /** Unified diff of the running configuration (---) against the desired one (+++). */
  diff: string[]
  error?: PushError
}

export interface LeafService {
  readonly backend: 'sim' | 'live'
  leaves(): Promise<Switch[]>
  /** Leaf names from a name, --all or --port. */
  targets(sel: {leaf?: string; all?: boolean; port?: string}): Promise<string[]>
  desired(leaf: string): Promise<LeafConfig>
  diff(leaf: string): Promise<LeafDiffResult>
  push(leaf: string, opts: PushOptions): Promise<PushResult>
  verify(leaf: string): Promise<VerifyResult>
  rollback(leaf: string, to: SnapshotKind, opts: {dryRun?: boolean}): Promise<RollbackResult>
  /** The driver's rendering of the desired state (FRR text and kernel commands), when it has one. */
  render(leaf: string): Promise<{driver: string; profile: string; frr: string; kernel: string[]; notes: string[]}>
  close(): void
}

export async function openLeafService(fabric: FabricHandle): Promise<LeafService> {
  if (fabric.backend === 'sim') {
    const {simLeafService} = await import('./service-sim.js')
    return simLeafService(fabric.store)
  }
  const {liveLeafService} = await import('./service-live.js')
  return liveLeafService(fabric.context)
}

/** Shared target resolution: a leaf by name, every leaf, or the leaves of a port's host. */
export function pickTargets(all: Switch[], sel: {leaf?: string; all?: boolean; port?: string}): string[] | undefined {
  if ([sel.leaf !== undefined, Boolean(sel.all), sel.port !== undefined].filter(Boolean).length > 1) {
    throw usageError('LEAF_TARGET_CONFLICT', 'Give one of: a leaf name, --all, --port.', [sel.leaf, sel.all ? '--all' : undefined, sel.port].filter(Boolean).join(' '), 'Name one leaf, or use --all for every leaf, or --port for the leaves of a port\'s host.')
  }
  const leaves = all.filter(s => s.role === 'leaf')
  if (sel.all) return leaves.map(l => l.name)
  if (sel.leaf) {
    if (!leaves.some(l => l.name === sel.leaf)) throw notFound('leaf', sel.leaf, 'List leaves with `fabricctl leaf list`.', leaves.map(l => l.name))
    return [sel.leaf]
  }
  return undefined
}

export function noTarget(): never {
  throw usageError('LEAF_TARGET_MISSING', 'Name a leaf, or give --all (or --port where the command takes it).', '', 'See the command\'s --help for examples.')
}

/** Run the engine's steps for one driver, sync or async alike. */
export function diffWith(driver: LeafDriver, desired: LeafConfig, read: () => Promise<{config: LeafConfig}> | {config: LeafConfig}): Promise<LeafDiffResult> {
  return (async () => {
    try {
      const running = await read()
      const changes = diffLeafConfigs(running.config, desired)
      return {
        leaf: driver.leaf, driver: driver.driver, status: changes.length === 0 ? 'in-sync' as const : 'differs' as const, changes,
        summary: changes.map(describeChange),
        diff: changes.length === 0 ? [] : unifiedDiff(leafConfigText(running.config), leafConfigText(desired), `${driver.leaf} running`, `${driver.leaf} desired`),
      }
    } catch (error) {
      const e = error as LeafDriverError
      return {leaf: driver.leaf, driver: driver.driver, status: 'unreachable' as const, changes: [], summary: [], diff: [], error: {code: e.code ?? 'LEAF_UNREACHABLE', message: e.message, step: e.step, hint: e.hint}}
    }
  })()
}

export {pushSteps, verifySteps, rollbackSteps, runAsync, runSync}
export type {SnapshotStore}

/** Run `fn` over items with at most `concurrency` at once, in order of completion reporting through `onDone`. */
export async function mapLimit<T, R>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<R>, onDone?: (item: T, r: R) => void): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!)
      onDone?.(items[i]!, out[i]!)
    }
  }
  await Promise.all(Array.from({length: Math.max(1, Math.min(concurrency, items.length))}, worker))
  return out
}
