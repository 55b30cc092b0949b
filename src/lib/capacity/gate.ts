import {Flags} from '@oclif/core'

import {usageError} from '../cli/errors.js'
import type {ResolvedContext} from '../context/config.js'
import type {Fabric} from '../fabric.js'
import type {BoundChange} from './index.js'

/** The flags `port allocate` and `port migrate` share for the leaf table gate. */
export const capacityFlags = {
  'check-capacity': Flags.boolean({
    description:
      "Refuse (exit 4, LEAF_TABLE_FULL) before anything is created when a leaf's MAC, host, VNI or VRF table would pass its limit (default: the context's capacity.check).",
    allowNo: true,
  }),
  limits: Flags.string({
    description: "Leaf limits file for --check-capacity (default: the context's capacity.limits).",
  }),
}

/**
 * Run the capacity gate when it is asked for (flag, or the context's default). The changes are
 * computed lazily, so a command that does not check pays nothing.
 */
export async function capacityGate(
  fabric: Fabric,
  resolved: ResolvedContext,
  flags: {'check-capacity'?: boolean; limits?: string},
  changes: () => Promise<BoundChange[]>,
): Promise<void> {
  const ctx = resolved.context as {capacity?: {limits: string; check: boolean}}
  const wanted = flags['check-capacity'] ?? ctx.capacity?.check ?? false
  if (!wanted) return
  const {chosenLimits, checkCapacity} = await import('./index.js')
  const limits = await chosenLimits(flags.limits, ctx, resolved.file)
  if (!limits)
    throw usageError(
      'LIMITS_MISSING',
      "--check-capacity needs the leaves' limits, and none were given.",
      '--check-capacity',
      'Give --limits FILE, or set capacity.limits in the context (docs/capacity.md).',
    )
  const list = await changes()
  if (list.length > 0) await checkCapacity(fabric, list, limits)
}
