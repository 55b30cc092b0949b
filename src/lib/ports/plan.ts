import {FabricError} from '../cli/errors.js'
import {EXIT, type ExitCode} from '../cli/exit-codes.js'

/**
 * A port change as a plan: the ordered steps (Neutron calls, host wiring expected, each leaf change,
 * the state record), each with its undo. `--dry-run` prints the plan; the real run executes the same
 * steps (`executePlan`): on a failure it undoes the applied steps in reverse order; when an undo is
 * impossible or fails it stops and reports exactly what changed (exit 3, `applied`, `compensated`,
 * `failed`). Exit 2 stays for bad input, found before the first step.
 */
export type StepKind = 'neutron' | 'store' | 'host' | 'controller' | 'leaf' | 'record'

export interface PlanStep {
  /** Stable id within an operation, e.g. `neutron-bind`, `leaf:az1-leaf01a`; the failure hook names it. */
  id: string
  kind: StepKind
  /** What the step does, in words. */
  action: string
  /** What undoes it; null when nothing needs undoing (a read, an expectation). */
  undo: string | null
}

export interface PortPlan {
  operation: 'bind' | 'migrate' | 'release' | 'allocate'
  /** The port (name or id) or, for allocate, the batch. */
  subject: string
  steps: PlanStep[]
  /** Leaves the operation will push (new host's, old host's). */
  leaves: string[]
}

export interface ExecStep extends PlanStep {
  apply(): Promise<void> | void
  /** Absent with `undo: null`. Throws when the undo fails. */
  compensate?(): Promise<void> | void
}

export interface StepReport {
  id: string
  action: string
}

export interface ExecutionReport {
  applied: StepReport[]
  compensated: StepReport[]
  failed: (StepReport & {error: string; code: string}) | null
  /** Applied steps whose undo failed or does not exist: what is left changed. */
  leftChanged: StepReport[]
}

/** The plan as printed: the steps without their functions. */
export function planDoc(
  operation: PortPlan['operation'],
  subject: string,
  steps: PlanStep[],
  leaves: string[],
): PortPlan {
  return {
    operation,
    subject,
    steps: steps.map(({id, kind, action, undo}) => ({id, kind, action, undo})),
    leaves,
  }
}

/**
 * The failure-injection hook, for tests on either backend: `FABRICCTL_FAIL_STEP=<operation>:<step id>`
 * makes that step fail before it is applied; `FABRICCTL_FAIL_UNDO=<operation>:<step id>` makes that
 * step's undo fail. A step id may end in `*` (`bind:leaf:*`).
 */
export function injected(
  variable: 'FABRICCTL_FAIL_STEP' | 'FABRICCTL_FAIL_UNDO',
  operation: string,
  id: string,
): boolean {
  const v = process.env[variable]
  if (!v) return false
  return v.split(',').some(spec => {
    const [op, ...rest] = spec.trim().split(':')
    const want = rest.join(':')
    if (op !== operation) return false
    return want.endsWith('*') ? id.startsWith(want.slice(0, -1)) : id === want
  })
}

export function injectedFailure(what: 'step' | 'undo', operation: string, id: string): FabricError {
  return new FabricError({
    code: what === 'step' ? 'INJECTED_FAILURE' : 'INJECTED_UNDO_FAILURE',
    message: `Injected failure at ${what === 'undo' ? 'the undo of ' : ''}step ${id} of ${operation} (FABRICCTL_FAIL_${what === 'step' ? 'STEP' : 'UNDO'}).`,
    value: `${operation}:${id}`,
    hint: 'Unset FABRICCTL_FAIL_STEP / FABRICCTL_FAIL_UNDO; they exist for tests.',
    exitCode: EXIT.CHECK_FAILED,
  })
}

/** Run the steps in order; on a failure undo the applied ones in reverse and throw the report. */
export async function executePlan(
  operation: PortPlan['operation'],
  subject: string,
  steps: ExecStep[],
): Promise<ExecutionReport> {
  const applied: ExecStep[] = []
  for (const step of steps) {
    try {
      if (injected('FABRICCTL_FAIL_STEP', operation, step.id)) throw injectedFailure('step', operation, step.id)
      await step.apply()
      applied.push(step)
    } catch (error) {
      throw await compensate(operation, subject, applied, step, error)
    }
  }
  return {applied: applied.map(brief), compensated: [], failed: null, leftChanged: []}
}

const brief = (s: PlanStep): StepReport => ({id: s.id, action: s.action})

async function compensate(
  operation: string,
  subject: string,
  applied: ExecStep[],
  failedStep: ExecStep,
  error: unknown,
): Promise<FabricError> {
  const compensated: StepReport[] = []
  const leftChanged: StepReport[] = []
  const undoErrors: string[] = []
  let stopped = false
  for (const s of [...applied].reverse()) {
    if (s.undo === null) continue
    if (stopped || !s.compensate) {
      leftChanged.push(brief(s))
      continue
    }
    try {
      if (injected('FABRICCTL_FAIL_UNDO', operation, s.id)) throw injectedFailure('undo', operation, s.id)
      await s.compensate()
      compensated.push(brief(s))
    } catch (undoError) {
      // Stop undoing: what is left changed is reported exactly, not guessed further.
      undoErrors.push(`${s.id}: ${(undoError as Error).message}`)
      leftChanged.push(brief(s))
      stopped = true
    }
  }
  const e = error as {code?: string; message?: string; exitCode?: ExitCode}
  // A step that itself applied only part of its change (e.g. some deletes refused) already reports exactly that.
  if (error instanceof FabricError && e.exitCode === EXIT.PARTIAL && applied.length === 0) return error
  const failed = {
    ...brief(failedStep),
    error: e.message ?? String(error),
    code: typeof e.code === 'string' ? e.code : 'STEP_FAILED',
  }
  const report: ExecutionReport = {applied: applied.map(brief), compensated, failed, leftChanged}
  if (leftChanged.length > 0) {
    return new FabricError({
      code: 'PORT_OPERATION_PARTIAL',
      message: `${operation} ${subject} failed at step ${failedStep.id} (${failed.error}) and could not be undone fully: still changed: ${leftChanged.map(s => s.action).join('; ')}.`,
      value: subject,
      hint: `Undo failed: ${undoErrors.join('; ') || 'no undo exists for those steps'}. Repair by hand or re-run the operation; \`fabricctl port diagnose ${subject}\` shows the state.`,
      details: report as unknown as Record<string, unknown>,
      exitCode: EXIT.PARTIAL,
      cause: error,
    })
  }
  const exitCode = e.exitCode !== undefined && e.exitCode !== EXIT.USAGE ? e.exitCode : EXIT.CHECK_FAILED
  return new FabricError({
    code: failed.code,
    message: `${operation} ${subject} failed at step ${failedStep.id}: ${failed.error}${compensated.length ? ` The ${compensated.length} applied step${compensated.length === 1 ? ' was' : 's were'} undone: nothing changed.` : ' Nothing had been applied.'}`,
    value: subject,
    hint: (error as {hint?: string}).hint ?? 'Fix the cause and run the command again.',
    // The failure's own details (e.g. IPAM_EXHAUSTED's networks) stay, next to the report.
    details: {...(error instanceof FabricError ? error.details : undefined), ...report},
    // Exit 2 is "bad input, nothing changed"; a failed step is not bad input even when fully undone.
    exitCode: compensated.length === 0 && e.exitCode === EXIT.USAGE ? EXIT.USAGE : exitCode,
    cause: error,
  })
}
