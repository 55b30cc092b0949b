import type {LeafDriverRegistry, LeafService} from '../seam/leaf-drivers.js'
import type {SnapshotStore} from './driver.js'
import {pushSteps, rollbackSteps, runAsync, runSync, verifySteps} from './engine.js'

export type {LeafDiffResult, LeafService} from '../seam/leaf-drivers.js'

/** The leaf capability of a fabric, whichever backend serves it (through the seam's leaf-driver registry). */
export async function openLeafService(fabric: {leafDrivers: LeafDriverRegistry}): Promise<LeafService> {
  return fabric.leafDrivers.service()
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
