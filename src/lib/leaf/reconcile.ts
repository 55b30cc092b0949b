import {hasFault} from '../sim/faults.js'
import {leafAttachments} from '../sim/generator.js'
import type {FabricStore} from '../store/fabric-store.js'
import {desiredLeafConfig} from './desired.js'

export interface LeafPushOutcome { leaf: string; ok: boolean; changed: boolean; error?: string; cause?: 'LEAF_UNREACHABLE' | 'LEAF_PUSH_FAILED' }

/**
 * The simulated controller's push: bring each leaf's running config to the desired state derived
 * from `source` — the controller's own host→leaf map (what the real controller acts on, stale or
 * not), or the physical cabling. Obeys the leaf-unreachable and push-fail faults.
 * (The leaf issue grows this into diff → apply → verify → last-known-good behind a driver.)
 */
export function reconcileLeaves(store: FabricStore, leaves: Iterable<string>, opts: {source: 'controller' | 'cabling'}): LeafPushOutcome[] {
  const networks = new Map(store.networks().map(n => [n.name, n]))
  const tenants = new Map(store.tenants().map(t => [t.name, t]))
  const out: LeafPushOutcome[] = []
  for (const leaf of new Set(leaves)) {
    if (hasFault(store, 'leaf-unreachable', leaf)) {
      out.push({leaf, ok: false, changed: false, error: `leaf ${leaf} is unreachable`, cause: 'LEAF_UNREACHABLE'})
      continue
    }
    if (hasFault(store, 'push-fail', leaf)) {
      out.push({leaf, ok: false, changed: false, error: `push to leaf ${leaf} failed`, cause: 'LEAF_PUSH_FAILED'})
      continue
    }
    const desired = JSON.stringify(desiredLeafConfig(leafAttachments(store, leaf, opts.source), networks, tenants))
    const current = store.sql('SELECT running FROM leaf_configs WHERE leaf = ?').get(leaf) as {running: string} | undefined
    const changed = current?.running !== desired
    if (changed) {
      store.sql(`INSERT INTO leaf_configs(leaf, running, last_known_good, updated_at) VALUES (?, ?, ?, ?)
        ON CONFLICT(leaf) DO UPDATE SET running = excluded.running, last_known_good = excluded.last_known_good, updated_at = excluded.updated_at`)
        .run(leaf, desired, desired, store.now())
    }
    out.push({leaf, ok: true, changed})
  }
  return out
}
