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
  /**
   * Consecutive steps with the same key are applied at once (the leaf pushes of a change: a VNI new to
   * several leaves verifies only once each of them carries it). Each stays a step of its own: applied,
   * failed or undone alone.
   */
  together?: string
}

/**
 * The backend-neutral part of a port change's plan (issue 12), one wording for both backends: the host
 * wiring expected (each host's own agent does it), each leaf push (`leaf:<name>`), the planes recorded.
 * A backend adds only its IPAM steps in front (the sim's store write, Neutron's calls) and says how each
 * kind of step is undone on it.
 */
export interface ChangeShape {
  /** Hosts whose agent is expected to remove the port's device: a migrate's old host, a released port's host. */
  unwire: string[]
  /** Hosts whose agent is expected to wire it: the new host. */
  wire: string[]
  /** The leaves pushed, in order. */
  leaves: string[]
  /** Record the verified planes after the leaves (not on a release: the ports are gone). */
  record: boolean
  /**
   * A removal (release) pushes the leaves first, with the ports assumed gone, and only then makes its IPAM
   * steps (the delete, which cannot be undone), then expects the agents to unwire: a leaf that fails leaves
   * the ports where they were, and the pushes are undone by pushing the leaves again.
   */
  leavesFirst?: boolean
}

export interface ShapeUndos {
  host: string | null
  leaf(leaf: string): string | null
  record: string | null
}

/**
 * Which hosts' wiring a change expects, one rule for both backends (from what the change is, not from what an
 * agent did): a move unwires the old host (when it is another) and wires the new one; a creation wires its
 * host; a release unwires the hosts the ports were bound to.
 */
export const wiring = {
  move: (from: string | null, to: string) => ({unwire: from !== null && from !== to ? [from] : [], wire: [to]}),
  create: (host: string) => ({unwire: [], wire: [host]}),
  release: (hosts: readonly (string | null)[]) => ({
    unwire: [...new Set(hosts.filter((h): h is string => h !== null))],
    wire: [],
  }),
}

export const stepId = {
  unwire: (host: string) => `host-unwire:${host}`,
  wire: (host: string) => `host-wire:${host}`,
  leaf: (leaf: string) => `leaf:${leaf}`,
  record: 'record',
} as const

export function changeSteps<S extends PlanStep>(
  ipam: readonly S[],
  shape: ChangeShape,
  undo: ShapeUndos,
): (S | PlanStep)[] {
  const host = (id: (h: string) => string, verb: string) => (h: string) =>
    ({id: id(h), kind: 'host', action: `expect the agent on ${h} to ${verb}`, undo: undo.host}) satisfies PlanStep
  const unwire = shape.unwire.map(host(stepId.unwire, "remove the port's device from br-int"))
  const wire = shape.wire.map(host(stepId.wire, "wire the port's device on br-int"))
  const leaves = shape.leaves.map((l): PlanStep => ({
    id: stepId.leaf(l),
    kind: 'leaf',
    action: shape.leavesFirst ? `push ${l} to its desired state without the port(s)` : `push ${l} to its desired state`,
    undo: undo.leaf(l),
  }))
  const record: PlanStep[] = shape.record
    ? [
        {
          id: stepId.record,
          kind: 'record',
          action:
            "record the port's verified planes (the overlay from the leaf pushes; `port show` says where it is kept)",
          undo: undo.record,
        },
      ]
    : []
  return shape.leavesFirst
    ? [...leaves, ...ipam, ...unwire, ...wire, ...record]
    : [...ipam, ...unwire, ...wire, ...leaves, ...record]
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
  for (let i = 0; i < steps.length;) {
    const first = steps[i]!
    let end = i + 1
    if (first.together !== undefined) while (end < steps.length && steps[end]!.together === first.together) end++
    const group = steps.slice(i, end)
    // The hook fails a step before it is applied: the group's steps before it are applied, it and those after are not.
    const hit = group.findIndex(s => injected('FABRICCTL_FAIL_STEP', operation, s.id))
    const run = hit === -1 ? group : group.slice(0, hit)
    const results = await Promise.allSettled(run.map(async s => s.apply()))
    for (const [k, r] of results.entries()) if (r.status === 'fulfilled') applied.push(run[k]!)
    const bad = results.findIndex(r => r.status === 'rejected')
    if (bad !== -1)
      throw await compensate(operation, subject, applied, run[bad]!, (results[bad] as PromiseRejectedResult).reason)
    if (hit !== -1)
      throw await compensate(
        operation,
        subject,
        applied,
        group[hit]!,
        injectedFailure('step', operation, group[hit]!.id),
      )
    i = end
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
  if (error instanceof FabricError && e.exitCode === EXIT.PARTIAL) {
    // The failed step changed part of what it should (a release's DELETE refused for some ports): its own
    // report says what; the earlier steps were undone against the state it left (or are left changed too).
    const undone = compensated.length ? ` Undone: ${compensated.map(s => s.id).join(', ')}.` : ''
    const left = leftChanged.length ? ` Also still changed: ${leftChanged.map(s => s.action).join('; ')}.` : ''
    return new FabricError({
      code: error.code,
      message: `${error.message}${undone}${left}`,
      value: error.value,
      hint:
        [error.hint, undoErrors.length ? `Undo failed: ${undoErrors.join('; ')}.` : ''].filter(Boolean).join(' ') ||
        undefined,
      details: {...error.details, ...report},
      exitCode: EXIT.PARTIAL,
      cause: error,
    })
  }
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
