import {Args} from '@oclif/core'

import {ResultCommand} from '../../../lib/cli/base-command.js'
import {dryRunFlag} from '../../../lib/cli/flags.js'
import type {ResultOf} from '../../../lib/cli/result.js'
import {portService} from '../../../lib/ports/index.js'
import {renderLabel} from '../../../lib/ports/render.js'

export default class NetworkLabelRemove extends ResultCommand<'NetworkLabelChange'> {
  protected readonly kind = 'NetworkLabelChange'
  protected override readonly envelope = ['context', 'backend'] as const
  static override summary = 'Remove a label from a network (a Neutron tag on the live backend).'
  static override description =
    'The network stops being a candidate for `port allocate --label`; its ports stay. Removing a label the network does not have changes nothing (exit 0, changed: false).'
  static override examples = [
    '<%= config.bin %> network label remove az1-prod-09 prod-env',
    '<%= config.bin %> network label remove az1-dev-01 canary --dry-run --json',
  ]
  static override args = {
    network: Args.string({description: 'Network name or id.', required: true}),
    label: Args.string({description: 'Label (up to 60 characters, no comma).', required: true}),
  }

  static override flags = {'dry-run': dryRunFlag('Show the change; make none.')}

  async run(): Promise<ResultOf<'NetworkLabelChange'>> {
    const {args, flags} = await this.parse(NetworkLabelRemove)
    const fabric = await this.openFabric(flags.context)
    const svc = await portService(fabric)
    return svc.label('remove', args.network, args.label, {dryRun: flags['dry-run']})
  }

  protected render(r: ResultOf<'NetworkLabelChange'>): string {
    return renderLabel(r)
  }
}
