import {Args} from '@oclif/core'

import {ResultCommand} from '../../../lib/cli/base-command.js'
import {dryRunFlag} from '../../../lib/cli/flags.js'
import type {ResultOf} from '../../../lib/cli/result.js'
import {portService} from '../../../lib/ports/index.js'
import {renderLabel} from '../../../lib/ports/render.js'

export default class NetworkLabelAdd extends ResultCommand<'NetworkLabelChange'> {
  protected readonly kind = 'NetworkLabelChange'
  protected override readonly envelope = ['context', 'backend'] as const
  static override summary = 'Add a label to a network (a Neutron tag on the live backend).'
  static override description =
    'Networks sharing a label are interchangeable for `port allocate --label`. Adding a label the network already has changes nothing (exit 0, changed: false).'
  static override examples = [
    '<%= config.bin %> network label add az1-prod-09 prod-env',
    '<%= config.bin %> network label add az1-dev-01 canary --dry-run --json',
  ]
  static override args = {
    network: Args.string({description: 'Network name or id.', required: true}),
    label: Args.string({description: 'Label (up to 60 characters, no comma).', required: true}),
  }

  static override flags = {'dry-run': dryRunFlag('Show the change; make none.')}

  async run(): Promise<ResultOf<'NetworkLabelChange'>> {
    const {args, flags} = await this.parse(NetworkLabelAdd)
    const fabric = await this.openFabric(flags.context)
    const svc = await portService(fabric)
    return svc.label('add', args.network, args.label, {dryRun: flags['dry-run']})
  }

  protected render(r: ResultOf<'NetworkLabelChange'>): string {
    return renderLabel(r)
  }
}
