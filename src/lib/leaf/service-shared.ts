import {carriedNote, withoutCarried} from './carried.js'
import {notFound, usageError} from '../cli/errors.js'
import type {LeafConfig, Switch} from '../model/types.js'
import {describeChange, diffLeafConfigs, leafConfigText, unifiedDiff} from './diff.js'
import type {LeafDriver, LeafDriverError} from './driver.js'
import type {LeafDiffResult} from '../seam/leaf-drivers.js'

// Helpers both leaf services use (backends/sim/leaf-service.ts, backends/live/leaf-service.ts). They live apart from service.ts,
// which loads those services with import(), so that the module graph has no cycle.

/** Shared target resolution: a leaf by name, every leaf, or the leaves of a port's host. */
export function pickTargets(all: Switch[], sel: {leaf?: string; all?: boolean; port?: string}): string[] | undefined {
  if ([sel.leaf !== undefined, Boolean(sel.all), sel.port !== undefined].filter(Boolean).length > 1) {
    throw usageError(
      'LEAF_TARGET_CONFLICT',
      'Give one of: a leaf name, --all, --port.',
      [sel.leaf, sel.all ? '--all' : undefined, sel.port].filter(Boolean).join(' '),
      "Name one leaf, or use --all for every leaf, or --port for the leaves of a port's host.",
    )
  }
  const leaves = all.filter(s => s.role === 'leaf')
  if (sel.all) return leaves.map(l => l.name)
  if (sel.leaf) {
    if (!leaves.some(l => l.name === sel.leaf))
      throw notFound(
        'leaf',
        sel.leaf,
        'List leaves with `fabricctl leaf list`.',
        leaves.map(l => l.name),
      )
    return [sel.leaf]
  }
  return undefined
}

export function noTarget(): never {
  throw usageError(
    'LEAF_TARGET_MISSING',
    'Name a leaf, or give --all (or --port where the command takes it).',
    '',
    "See the command's --help for examples.",
  )
}

/** Run the engine's steps for one driver, sync or async alike. */
/** What a diff needs of a leaf read: the managed view, and (when not all of it) what the leaf carries. */
type LeafRead = {config: LeafConfig; unmanaged?: string[]; observed?: LeafConfig}

export function diffWith(
  driver: LeafDriver,
  desired: LeafConfig,
  read: () => Promise<LeafRead> | LeafRead,
): Promise<LeafDiffResult> {
  return (async () => {
    try {
      const running = await read()
      const {desired: want, carried} = withoutCarried(running, desired)
      const changes = diffLeafConfigs(running.config, want)
      const unmanaged = [...(running.unmanaged ?? []), ...carriedNote(carried)]
      return {
        leaf: driver.leaf,
        driver: driver.driver,
        status: changes.length === 0 ? ('in-sync' as const) : ('differs' as const),
        changes,
        ...(running.unmanaged || carried.length ? {unmanaged} : {}),
        summary: changes.map(describeChange),
        diff:
          changes.length === 0
            ? []
            : unifiedDiff(
                leafConfigText(running.config),
                leafConfigText(want),
                `${driver.leaf} running`,
                `${driver.leaf} desired`,
              ),
      }
    } catch (error) {
      const e = error as LeafDriverError
      return {
        leaf: driver.leaf,
        driver: driver.driver,
        status: 'unreachable' as const,
        changes: [],
        summary: [],
        diff: [],
        error: {code: e.code ?? 'LEAF_UNREACHABLE', message: e.message, step: e.step, hint: e.hint},
      }
    }
  })()
}
