import type {LeafConfig} from '../../model/types.js'
import {leafAttachments} from '../../sim/generator.js'
import type {FabricStore} from '../../store/fabric-store.js'
import {desiredLeafConfig} from '../../leaf/desired.js'
import {type PushOptions, type PushResult, pushSteps, runSync} from '../../leaf/engine.js'
import {SimLeafDriver, SimSnapshotStore} from './leaf-driver.js'

export interface LeafPushOutcome {
  leaf: string
  ok: boolean
  changed: boolean
  error?: string
  cause?: 'LEAF_UNREACHABLE' | 'LEAF_PUSH_FAILED'
  /** The full push result (changes, plan, checks, rollback). */
  result?: PushResult
}

/** The desired configuration of a simulated leaf, from the cabling (the truth) or the controller's host→leaf map. */
export function simDesiredLeafConfig(
  store: FabricStore,
  leaf: string,
  source: 'controller' | 'cabling' = 'cabling',
  cache?: {networks?: Map<string, any>; tenants?: Map<string, any>},
): LeafConfig {
  const networks = cache?.networks ?? new Map(store.networks().map(n => [n.name, n]))
  const tenants = cache?.tenants ?? new Map(store.tenants().map(t => [t.name, t]))
  return desiredLeafConfig(leafAttachments(store, leaf, source), networks, tenants)
}

/** Push one simulated leaf (synchronously, in the caller's transaction if there is one). */
export function pushSimLeaf(store: FabricStore, leaf: string, desired: LeafConfig, opts: PushOptions = {}): PushResult {
  const driver = new SimLeafDriver(store, leaf)
  return store.tx(() => runSync(pushSteps(driver, desired, new SimSnapshotStore(store), opts)))
}

/**
 * The simulated controller's push, called on port bind / migrate / release: bring each leaf's
 * running config to the desired state derived from `source` — the controller's own host→leaf map
 * (what the real controller acts on, stale or not), or the physical cabling — through the same
 * diff → apply → verify → last-known-good engine as `leaf push`. Obeys leaf-unreachable and
 * push-fail (a failed push rolls the leaf back to its last-known-good).
 * Synchronous, so it can run inside the caller's `store.tx()`.
 */
export function reconcileLeaves(
  store: FabricStore,
  leaves: Iterable<string>,
  opts: {source: 'controller' | 'cabling'},
): LeafPushOutcome[] {
  const cache = {
    networks: new Map(store.networks().map(n => [n.name, n])),
    tenants: new Map(store.tenants().map(t => [t.name, t])),
  }
  const out: LeafPushOutcome[] = []
  for (const leaf of new Set(leaves)) {
    const r = pushSimLeaf(store, leaf, simDesiredLeafConfig(store, leaf, opts.source, cache))
    const ok = r.status === 'applied' || r.status === 'unchanged'
    const cause =
      r.status === 'unreachable' ? ('LEAF_UNREACHABLE' as const) : ok ? undefined : ('LEAF_PUSH_FAILED' as const)
    out.push({
      leaf,
      ok,
      changed: r.status === 'applied',
      ...(ok ? {} : {error: r.error?.message ?? `push to leaf ${leaf} failed`, cause}),
      result: r,
    })
  }
  return out
}
