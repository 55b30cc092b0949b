import type {FabricHandle} from '../fabric.js'
import type {LeafConfig, Switch} from '../model/types.js'
import type {LeafChange} from './diff.js'
import type {SnapshotKind, SnapshotStore} from './driver.js'
import {
  type PushError,
  type PushOptions,
  type PushResult,
  type RollbackResult,
  type VerifyResult,
  pushSteps,
  rollbackSteps,
  runAsync,
  runSync,
  verifySteps,
} from './engine.js'

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

export {diffWith, noTarget, pickTargets} from './service-shared.js'
export {pushSteps, verifySteps, rollbackSteps, runAsync, runSync}
export type {SnapshotStore}

/**
 * Run `fn` over items with at most `concurrency` at once, in order of completion reporting through `onDone`.
 * `shouldStop` (an interrupt): no new item is started once it returns true; the result array then has holes
 * (undefined) for the items never started.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<R>,
  onDone?: (item: T, r: R) => void,
  shouldStop?: () => boolean,
): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length && !shouldStop?.()) {
      const i = next++
      out[i] = await fn(items[i]!)
      onDone?.(items[i]!, out[i]!)
    }
  }
  await Promise.all(Array.from({length: Math.max(1, Math.min(concurrency, items.length))}, worker))
  return out
}
