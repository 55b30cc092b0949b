import {z} from 'zod'

import {CAUSE_CODES, type CauseCode, STEP_IDS, type StepId} from '../diagnose/catalogue.js'
import {doc, planeState} from './model.js'

/** JSON kinds of `port diagnose` (PortDiagnosis, PortDiagnosisReport) and `port states` (PortStates). */
// the catalogue's literal types, so a command's result (ResultOf) is the diagnose library's own type
const cause = z.enum(CAUSE_CODES as [CauseCode, ...CauseCode[]]).describe('Stable cause code; see `fabricctl port diagnose --help`.')
const stepId = z.enum(STEP_IDS as [StepId, ...StepId[]])
const evidencePlane = z.union([planeState, z.literal('UNKNOWN')])
const backend = z.enum(['sim', 'live'])
const verifiedCounts = z.object({
  ACTIVE_ACTIVE: z.number().int().describe('verdict ok: the evidence shows the port ACTIVE_ACTIVE'),
  NOT_ACTIVE: z.number().int().describe('a step failed'),
  UNKNOWN: z.number().int().describe('the evidence could not be read (a leaf or host did not answer)'),
  activeButBroken: z.number().int().describe('recorded ACTIVE_ACTIVE but NOT_ACTIVE or UNKNOWN: the record lies'),
  causes: z.partialRecord(cause, z.number().int()).describe('broken ports (NOT_ACTIVE or UNKNOWN) by the verdict\'s cause code'),
})

const step = z.object({
  n: z.number().int().min(1), id: stepId, title: z.string(),
  status: z.enum(['passed', 'failed', 'warning', 'skipped']),
  detail: z.string().describe('What was found, or why the step was skipped'),
  cause: cause.nullable(),
  evidence: z.record(z.string(), z.unknown()),
})

const finding = z.object({cause, step: stepId, message: z.string(), repair: z.array(z.string())})

export const diagnosis = z.object({
  ref: z.string(),
  port: z.object({id: z.string(), name: z.string(), network: z.string(), ip: z.string(), mac: z.string(), host: z.string().nullable(), az: z.string().nullable()}).nullable(),
  recorded: z.object({underlay: planeState, overlay: planeState, state: z.string()}).nullable(),
  evidence: z.object({underlay: evidencePlane, overlay: evidencePlane, state: z.string()}),
  disagreement: z.object({recorded: z.string(), evidence: z.string(), message: z.string()}).nullable(),
  steps: z.array(step),
  verdict: z.object({
    state: z.enum(['ACTIVE_ACTIVE', 'NOT_ACTIVE', 'UNKNOWN']), ok: z.boolean(), cause: cause.nullable(), step: stepId.nullable(),
    message: z.string(), repair: z.array(z.string()).describe('fabricctl commands that repair it, in order; empty when none can'),
  }),
  warnings: z.array(finding),
})

const group = z.object({
  cause, step: stepId, class: z.enum(['fault', 'unreadable', 'warning']), text: z.string(), count: z.number().int(),
  recorded: z.record(z.string(), z.number().int()), repair: z.array(z.string()), ports: z.array(z.string()),
})

const stateCounts = z.record(z.string(), z.number().int()).describe('ports per UNDERLAY_OVERLAY state')

export const diagnoseSchemas = {
  PortDiagnosis: doc('PortDiagnosis', {context: z.string(), backend, diagnosis}),
  PortDiagnosisReport: doc('PortDiagnosisReport', {
    context: z.string(), backend,
    scope: z.object({az: z.string().nullable(), state: z.string().nullable()}),
    total: z.number().int(), active: z.number().int(), notActive: z.number().int(), unknown: z.number().int(),
    staleRecords: z.number().int().describe('ports recorded ACTIVE_ACTIVE whose evidence says otherwise'),
    groups: z.array(group), warnings: z.array(group), elapsedMs: z.number(),
  }),
  PortStates: doc('PortStates', {
    context: z.string(), backend, by: z.enum(['az', 'host', 'leaf', 'network']),
    at: z.string(),
    states: z.array(z.string()).describe('states present, non-healthy first, ACTIVE_ACTIVE last'),
    total: z.number().int(), unhealthy: z.number().int(),
    totals: stateCounts,
    groups: z.array(z.object({key: z.string(), total: z.number().int(), unhealthy: z.number().int(), states: stateCounts,
      verified: verifiedCounts.optional().describe('--verify only: the group\'s ports counted from evidence')})),
    note: z.string().nullable(),
    verified: verifiedCounts.extend({elapsedMs: z.number().int()}).optional().describe('--verify only: every port diagnosed in bulk (port diagnose --all); the verdicts counted'),
  }),
}
