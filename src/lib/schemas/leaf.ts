import {z} from 'zod'

import {interrupted} from './interrupt.js'
import {doc, leafConfig, leafVni} from './model.js'

const vrfVal = z.object({l3Vni: z.number().int()})
export const leafChange = z.discriminatedUnion('op', [
  z.object({op: z.literal('add-vni'), vni: z.number().int(), to: leafVni}),
  z.object({op: z.literal('remove-vni'), vni: z.number().int(), from: leafVni}),
  z.object({op: z.literal('change-vni'), vni: z.number().int(), from: leafVni, to: leafVni, fields: z.array(z.string())}),
  z.object({op: z.literal('add-vrf'), vrf: z.string(), to: vrfVal}),
  z.object({op: z.literal('remove-vrf'), vrf: z.string(), from: vrfVal}),
  z.object({op: z.literal('change-vrf'), vrf: z.string(), from: vrfVal, to: vrfVal}),
  z.object({op: z.literal('add-vlan'), interface: z.string(), vlan: z.number().int()}),
  z.object({op: z.literal('remove-vlan'), interface: z.string(), vlan: z.number().int()}),
])

const error = z.object({code: z.string(), message: z.string(), step: z.string().optional(), hint: z.string().optional()})
const pendingRevert = z.object({
  id: z.string(), leaf: z.string(), armedAt: z.string(), deadline: z.string(), by: z.string(), pid: z.number().int().nullable(),
})
const check = z.object({name: z.string(), ok: z.boolean(), severity: z.enum(['error', 'warning', 'info']), detail: z.string()})
const countsOf = <T extends readonly [string, ...string[]]>(keys: T) => z.object(Object.fromEntries(keys.map(k => [k, z.number().int()])) as Record<T[number], z.ZodNumber>)

export const leafSchemas = {
  LeafDesiredConfig: doc('LeafDesiredConfig', {
    context: z.string(), leaf: z.string(), driver: z.string(), source: z.enum(['cabling', 'neutron+inventory']),
    config: leafConfig,
    text: z.array(z.string()).describe('the text rendering (--format text)'),
    rendered: z.object({driver: z.string(), profile: z.string(), frr: z.string(), kernel: z.array(z.string()), notes: z.array(z.string())}).nullable().describe('--format frr: the FRR configuration and kernel commands'),
  }),
  LeafDiff: doc('LeafDiff', {
    context: z.string(),
    leaves: z.array(z.object({
      leaf: z.string(), driver: z.string(), status: z.enum(['in-sync', 'differs', 'unreachable']),
      changes: z.array(leafChange), summary: z.array(z.string()), diff: z.array(z.string()), error: error.optional(),
      unmanaged: z.array(z.string()).optional().describe('what the leaf carries that fabricctl does not manage (information; never changed)'),
    })),
    totals: countsOf(['leaves', 'inSync', 'differ', 'unreachable', 'changes'] as const),
  }),
  LeafPush: doc('LeafPush', {
    context: z.string(), dryRun: z.boolean(), maxChanges: z.number().int().nullable(), force: z.boolean(),
    gate: z.object({totalChanges: z.number().int(), refused: z.boolean()}).nullable().describe('multi-leaf pushes: the --max-changes gate over all leaves'),
    leaves: z.array(z.object({
      leaf: z.string(), driver: z.string(), status: z.enum(['unchanged', 'applied', 'planned', 'refused', 'failed', 'unreachable']),
      changes: z.array(leafChange), summary: z.array(z.string()), plan: z.array(z.string()), inverse: z.array(z.string()),
      error: error.optional(), rolledBackTo: z.enum(['last-known-good', 'previous', 'pre-push', 'failed']).nullable().optional(),
      checks: z.array(check), durationMs: z.number(),
      pending: pendingRevert.optional().describe('--confirm-within: the revert armed on the leaf; disarm with `leaf confirm`'),
    })),
    totals: countsOf(['leaves', 'applied', 'unchanged', 'planned', 'refused', 'failed', 'unreachable', 'changes'] as const),
    elapsedMs: z.number(),
    interrupted,
  }),
  LeafConfirm: doc('LeafConfirm', {
    context: z.string(),
    leaves: z.array(z.object({
      leaf: z.string(), driver: z.string(), status: z.enum(['ok', 'unsupported', 'unreachable']),
      reverts: z.array(pendingRevert).describe('the reverts that were armed and are now disarmed'), error: error.optional(),
    })),
  }),
  LeafPending: doc('LeafPending', {
    context: z.string(),
    leaves: z.array(z.object({
      leaf: z.string(), driver: z.string(), status: z.enum(['ok', 'unsupported', 'unreachable']),
      reverts: z.array(pendingRevert).describe('reverts armed on the leaf by `leaf push --confirm-within`'), error: error.optional(),
    })),
    totals: countsOf(['leaves', 'pending', 'unreachable'] as const),
  }),
  LeafVerify: doc('LeafVerify', {
    context: z.string(),
    leaves: z.array(z.object({
      leaf: z.string(), driver: z.string(), status: z.enum(['in-sync', 'differs', 'unreachable']),
      changes: z.array(leafChange), summary: z.array(z.string()), checks: z.array(check), error: error.optional(),
    })),
    totals: countsOf(['leaves', 'inSync', 'differ', 'unreachable'] as const),
  }),
  LeafRollback: doc('LeafRollback', {
    context: z.string(), leaf: z.string(), driver: z.string(), to: z.enum(['last-known-good', 'previous']),
    status: z.enum(['restored', 'unchanged', 'planned', 'failed', 'unreachable', 'no-snapshot']),
    takenAt: z.string().optional(), changes: z.array(leafChange), summary: z.array(z.string()), error: error.optional(), dryRun: z.boolean(),
  }),
}
