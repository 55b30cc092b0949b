import {Args, Flags} from '@oclif/core'

import {ResultCommand} from '../../lib/cli/base-command.js'
import {usageError} from '../../lib/cli/errors.js'
import type {ExitCode} from '../../lib/cli/exit-codes.js'
import type {ResultOf} from '../../lib/cli/result.js'
import {causesHelp, stepsHelp} from '../../lib/diagnose/catalogue.js'
import {diagnoseAll, diagnoseOne, diagnosisExit, reportExit, validateState} from '../../lib/diagnose/index.js'
import {renderDiagnosis, renderReport} from '../../lib/diagnose/render.js'

type DiagnoseKind = 'PortDiagnosis' | 'PortDiagnosisReport'

export default class PortDiagnose extends ResultCommand<DiagnoseKind> {
  /** One PORT: PortDiagnosis; --all: PortDiagnosisReport (set in run). */
  protected kind: DiagnoseKind = 'PortDiagnosis'
  protected override readonly envelope = ['context', 'backend'] as const
  /** --az/--state as typed: the report's heading shows them so (its JSON scope has the state upper-cased). */
  private asked: {az?: string; state?: string} = {}
  static override summary =
    'Say why a port is not ACTIVE_ACTIVE: walk the spawn flow on the evidence, name the first broken step and its repair.'
  static override description = `Checks the evidence, not only the recorded state, in the order an instance is spawned:
${stepsHelp()}

Each step is passed, failed, warning or skipped (with the reason) and shows the evidence it
read. The verdict is ACTIVE_ACTIVE, or the first failed step with a stable cause code, a
sentence, and the fabricctl command(s) that repair it when one exists. When the recorded
state disagrees with the evidence, the evidence wins and the disagreement is reported.
Warnings (one uplink down, leftover leaf config, exhausted network) leave the verdict alone.

CAUSE CODES (code, step, text)
${causesHelp()}

With --all every port (optionally only those in --state, in --az) is diagnosed from evidence
gathered in bulk, and the result is grouped by cause.

Exit: 0 ACTIVE_ACTIVE; 1 not ACTIVE_ACTIVE (--all: any port); 3 evidence could not be read
(a leaf or host did not answer; --all: only when no port failed outright); 2 bad usage.
Docs: docs/diagnose.md.`

  static override examples = [
    '<%= config.bin %> port diagnose checkout-az1-000001',
    '<%= config.bin %> port diagnose 10.16.0.23 --json',
    '<%= config.bin %> port diagnose --all --az az1',
    '<%= config.bin %> port diagnose --all --state ACTIVE_ACTIVE --json   # whose record lies?',
  ]

  static override args = {port: Args.string({description: 'Port name, id or IP.', required: false})}
  static override flags = {
    all: Flags.boolean({description: 'Diagnose every port (in scope) and group them by cause.', default: false}),
    state: Flags.string({
      description: 'With --all: only ports recorded in this UNDERLAY_OVERLAY state (e.g. ACTIVE_ACTIVE, BUILD_BUILD).',
    }),
    az: Flags.string({description: 'With --all: only ports in this AZ.'}),
  }

  async run(): Promise<ResultOf<DiagnoseKind>> {
    const {args, flags} = await this.parse(PortDiagnose)
    if (flags.all && args.port)
      throw usageError(
        'PORT_WITH_ALL',
        `Give a PORT or --all, not both.`,
        args.port,
        'Drop the PORT argument to diagnose every port, or drop --all.',
      )
    if (!flags.all && !args.port)
      throw usageError(
        'PORT_MISSING',
        'Give the port to diagnose (name, id or IP), or --all.',
        '',
        'e.g. `fabricctl port diagnose checkout-az1-000001`.',
      )
    if (!flags.all && (flags.state || flags.az))
      throw usageError(
        'SCOPE_WITHOUT_ALL',
        '--state and --az select ports for --all.',
        flags.state ?? flags.az,
        'Add --all, or drop them.',
      )
    if (flags.all) validateState(flags.state)
    const fabric = await this.openFabric(flags.context)
    if (!flags.all) return {diagnosis: await diagnoseOne(fabric, args.port!)}
    this.kind = 'PortDiagnosisReport'
    this.asked = {az: flags.az, state: flags.state}
    const r = await diagnoseAll(fabric, {az: flags.az, state: flags.state})
    return {scope: {az: flags.az ?? null, state: flags.state?.toUpperCase() ?? null}, ...r}
  }

  protected render(r: ResultOf<DiagnoseKind>): string {
    return 'diagnosis' in r ? renderDiagnosis(r.diagnosis, this.style) : renderReport(r, this.asked, this.style)
  }

  protected override exitCode(r: ResultOf<DiagnoseKind>): ExitCode {
    return 'diagnosis' in r ? diagnosisExit(r.diagnosis) : reportExit(r)
  }
}
