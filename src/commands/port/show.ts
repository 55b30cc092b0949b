import {Args} from '@oclif/core'

import {FabricCommand} from '../../lib/cli/base-command.js'
import {portService} from '../../lib/ports/index.js'
import {renderDetail} from '../../lib/ports/render.js'

export default class PortShow extends FabricCommand {
  static override summary =
    'Show one port (by name, id or IP): address, host, state, network, device, controller record.'
  static override examples = [
    '<%= config.bin %> port show checkout-7f9c',
    '<%= config.bin %> port show 10.16.0.23 --json',
  ]
  static override args = {port: Args.string({description: 'Port name, id or IP.', required: true})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(PortShow)
    const fabric = await this.openFabric(flags.context)
    const svc = await portService(fabric)
    const d = await svc.show(args.port)
    this.emit({kind: 'PortDetail', schemaVersion: 1, context: fabric.context.name, backend: svc.backend, ...d}, () =>
      renderDetail(d),
    )
  }
}
