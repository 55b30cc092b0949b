import {Args, Flags} from '@oclif/core'

import {ResultCommand} from '../../lib/cli/base-command.js'
import {EXIT, type ExitCode} from '../../lib/cli/exit-codes.js'
import type {ResultOf} from '../../lib/cli/result.js'
import {portService} from '../../lib/ports/index.js'
import {renderBinding} from '../../lib/ports/render.js'

export default class PortBind extends ResultCommand<'PortBinding'> {
  protected readonly kind = 'PortBinding'
  protected override readonly envelope = ['context', 'backend'] as const
  static override summary = 'Bind a port to a host (the "update host_id" step): the agent and controller react.'
  static override description = `Sets the port's host. The port goes BUILD_BUILD; the host's OVS agent wires the device on
br-int (underlay ACTIVE, or BUILD while the agent is down, ERROR when OVS is down); the controller
pushes the host's leaf interfaces (overlay ACTIVE, or ERROR when a push fails, BUILD when the
controller has no record of the port). Binding again to the same host re-runs both (a repair).
A port bound to another host is refused: use \`port migrate\`.

Exit 1 when the port does not end ACTIVE_ACTIVE. PORT is a name, id or IP.`

  static override examples = [
    '<%= config.bin %> port bind web-1 --host az1-h0007',
    '<%= config.bin %> port bind 10.16.0.23 --host az1-h0007 --json',
    '<%= config.bin %> port bind web-1 --host az1-h0007 --dry-run',
  ]

  static override args = {port: Args.string({description: 'Port name, id or IP.', required: true})}
  static override flags = {
    host: Flags.string({description: 'Host to bind to.', required: true}),
    'max-changes': Flags.integer({
      description:
        'Refuse (exit 4, nothing applied) when the push to any one leaf would make more changes than this (as `leaf push --max-changes`).',
      min: 0,
    }),
    'dry-run': Flags.boolean({
      description: 'Show what would happen (state, device, leaves); change nothing.',
      default: false,
    }),
  }

  async run(): Promise<ResultOf<'PortBinding'>> {
    const {args, flags} = await this.parse(PortBind)
    const fabric = await this.openFabric(flags.context)
    const svc = await portService(fabric)
    return svc.bind(args.port, flags.host, {dryRun: flags['dry-run'], maxChanges: flags['max-changes']})
  }

  protected render(r: ResultOf<'PortBinding'>): string {
    return renderBinding(r)
  }

  protected override exitCode(r: ResultOf<'PortBinding'>): ExitCode {
    return !r.dryRun && r.port.state !== 'ACTIVE_ACTIVE' ? EXIT.CHECK_FAILED : EXIT.OK
  }
}
