import {Args, Flags} from '@oclif/core'

import {FabricCommand} from '../../lib/cli/base-command.js'
import {usageError} from '../../lib/cli/errors.js'
import {causesHelp, stepsHelp} from '../../lib/diagnose/catalogue.js'

export default class PortDiagnose extends FabricCommand {
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

  async run(): Promise<void> {
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
    const lib = await import('../../lib/diagnose/index.js')
    const render = await import('../../lib/diagnose/render.js')
    if (flags.all) lib.validateState(flags.state)
    const fabric = await this.openFabric(flags.context)
    if (flags.all) {
      const r = await lib.diagnoseAll(fabric, {az: flags.az, state: flags.state})
      this.emit(
        {
          kind: 'PortDiagnosisReport',
          schemaVersion: 1,
          context: fabric.context.name,
          backend: fabric.info.backend,
          scope: {az: flags.az ?? null, state: flags.state?.toUpperCase() ?? null},
          ...r,
        },
        () => render.renderReport(r, {az: flags.az, state: flags.state}, this.style),
      )
      this.finish(lib.reportExit(r))
      return
    }
    const d = await lib.diagnoseOne(fabric, args.port!)
    this.emit(
      {
        kind: 'PortDiagnosis',
        schemaVersion: 1,
        context: fabric.context.name,
        backend: fabric.info.backend,
        diagnosis: d,
      },
      () => render.renderDiagnosis(d, this.style),
    )
    this.finish(lib.diagnosisExit(d))
  }
}
