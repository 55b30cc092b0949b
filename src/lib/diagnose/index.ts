import {EXIT, type ExitCode} from '../cli/exit-codes.js'
import {usageError} from '../cli/errors.js'
import type {Fabric} from '../fabric.js'
import {PLANE_STATES} from '../model/types.js'
import {CAUSES, type CauseCode, type StepId} from './catalogue.js'
import {diagnosePort, verdictOf} from './steps.js'
import type {CleanPortEvidence, Diagnosis, PortEvidence, PortVerdict} from './types.js'

/**
 * `port diagnose`: gather evidence with the backend's gatherer (sim: the store; live: Neutron,
 * SSH), run the pure step logic, and for `--all` group the verdicts by cause.
 */

export interface DiagnoseAllScope {
  az?: string
  state?: string
  /** Called with every port's verdict as it is made (`port states --verify` and the exporter count them). */
  onDiagnosis?: (d: PortVerdict) => void
}

export function validateState(state: string | undefined): void {
  if (state === undefined) return
  const [u, o, extra] = state.toUpperCase().split('_')
  if (extra !== undefined || !PLANE_STATES.includes(u as never) || !PLANE_STATES.includes(o as never)) {
    throw usageError(
      'STATE_INVALID',
      `"${state}" is not a port state.`,
      state,
      `Give UNDERLAY_OVERLAY, each of ${PLANE_STATES.join(', ')}: e.g. ACTIVE_ACTIVE, BUILD_BUILD, ACTIVE_ERROR.`,
    )
  }
}

export async function diagnoseOne(fabric: Pick<Fabric, 'evidence'>, ref: string): Promise<Diagnosis> {
  return diagnosePort(await fabric.evidence.port(ref))
}

export interface CauseGroup {
  cause: CauseCode
  step: StepId
  class: 'fault' | 'unreadable' | 'warning'
  text: string
  count: number
  /** Recorded states of these ports: shows when the store believes they are fine. */
  recorded: Record<string, number>
  /** Distinct repair commands for the group (first 20). */
  repair: string[]
  ports: string[]
}

export interface DiagnoseAllResult {
  total: number
  active: number
  notActive: number
  unknown: number
  /** Ports recorded ACTIVE_ACTIVE whose evidence says otherwise. */
  staleRecords: number
  groups: CauseGroup[]
  warnings: CauseGroup[]
  elapsedMs: number
}

export async function diagnoseAll(
  fabric: Pick<Fabric, 'evidence'>,
  scope: DiagnoseAllScope,
): Promise<DiagnoseAllResult> {
  validateState(scope.state)
  const state = scope.state?.toUpperCase()
  const started = performance.now()
  // A clean port (the gatherer's fast path) gets its verdict without the walk; every other port is walked.
  const evidence: Iterable<PortEvidence | CleanPortEvidence> = await fabric.evidence.allPorts({az: scope.az, state})
  function* diagnosed(): Generator<PortVerdict> {
    for (const e of evidence) {
      const d = verdictOf(e)
      scope.onDiagnosis?.(d)
      yield d
    }
  }
  return {...groupDiagnoses(diagnosed()), elapsedMs: Math.round(performance.now() - started)}
}

export function groupDiagnoses(ds: Iterable<PortVerdict>): Omit<DiagnoseAllResult, 'elapsedMs'> {
  const groups = new Map<CauseCode, CauseGroup>()
  const warnings = new Map<CauseCode, CauseGroup>()
  const put = (
    m: Map<CauseCode, CauseGroup>,
    cause: CauseCode,
    step: StepId,
    name: string,
    recorded: string,
    repair: string[],
  ) => {
    let g = m.get(cause)
    if (!g)
      m.set(
        cause,
        (g = {
          cause,
          step,
          class: CAUSES[cause].class,
          text: CAUSES[cause].text,
          count: 0,
          recorded: {},
          repair: [],
          ports: [],
        }),
      )
    g.count++
    g.recorded[recorded] = (g.recorded[recorded] ?? 0) + 1
    g.ports.push(name)
    for (const r of repair) if (g.repair.length < 20 && !g.repair.includes(r)) g.repair.push(r)
  }
  let active = 0
  let notActive = 0
  let unknown = 0
  let staleRecords = 0
  for (const d of ds) {
    const name = d.port?.name ?? d.ref
    const rec = d.recorded?.state ?? 'NONE'
    if (d.verdict.ok) active++
    else if (d.verdict.state === 'UNKNOWN') unknown++
    else notActive++
    if (!d.verdict.ok && rec === 'ACTIVE_ACTIVE') staleRecords++
    if (d.verdict.cause) put(groups, d.verdict.cause, d.verdict.step!, name, rec, d.verdict.repair)
    for (const w of d.warnings) put(warnings, w.cause, w.step, name, rec, w.repair)
  }
  const order = (m: Map<CauseCode, CauseGroup>) =>
    [...m.values()].sort((a, b) => b.count - a.count || a.cause.localeCompare(b.cause))
  return {
    total: active + notActive + unknown,
    active,
    notActive,
    unknown,
    staleRecords,
    groups: order(groups),
    warnings: order(warnings),
  }
}

/** 0 ACTIVE_ACTIVE, 1 not active, 3 evidence could not be read. */
export function diagnosisExit(d: Diagnosis): ExitCode {
  return d.verdict.ok ? EXIT.OK : d.verdict.state === 'UNKNOWN' ? EXIT.PARTIAL : EXIT.CHECK_FAILED
}

/** --all: 1 when any port is not active, else 3 when any could not be read, else 0. */
export function reportExit(r: DiagnoseAllResult): ExitCode {
  return r.notActive > 0 ? EXIT.CHECK_FAILED : r.unknown > 0 ? EXIT.PARTIAL : EXIT.OK
}
