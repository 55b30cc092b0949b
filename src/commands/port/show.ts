import {Args} from '@oclif/core'

import {ResultCommand} from '../../lib/cli/base-command.js'
import type {ResultOf} from '../../lib/cli/result.js'
import {portService} from '../../lib/ports/index.js'
import {renderDetail} from '../../lib/ports/render.js'

export default class PortShow extends ResultCommand<'PortDetail'> {
  protected readonly kind = 'PortDetail'
  protected override readonly envelope = ['context', 'backend'] as const
  static override summary =
    'Show one port (by name, id or IP): address, host, state, network, device, controller record.'
  static override examples = [
    '<%= config.bin %> port show checkout-7f9c',
    '<%= config.bin %> port show 10.16.0.23 --json',
  ]
  static override args = {port: Args.string({description: 'Port name, id or IP.', required: true})}

  async run(): Promise<ResultOf<'PortDetail'>> {
    const {args, flags} = await this.parse(PortShow)
    const fabric = await this.openFabric(flags.context)
    const svc = await portService(fabric)
    return svc.show(args.port)
  }

  protected render(d: ResultOf<'PortDetail'>): string {
    return renderDetail(d)
  }
}
