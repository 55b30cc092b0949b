import {Args} from '@oclif/core'

import {FabricCommand} from '../../lib/cli/base-command.js'
import {notFound} from '../../lib/cli/errors.js'
import {hostFacts} from '../../lib/inventory/host.js'

export default class HostShow extends FabricCommand {
  static override summary = 'Show one host: role, OVS, kernel, plugging, cabling, agent.'
  static override examples = ['<%= config.bin %> host show az1-h01', '<%= config.bin %> host show az1-h01 --json']
  static override args = {name: Args.string({description: 'Host name.', required: true})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(HostShow)
    const fabric = await this.openFabric(flags.context)
    const host = (await fabric.inventory.hosts({namePrefix: args.name})).find(h => h.name === args.name)
    if (!host)
      throw notFound(
        'host',
        args.name,
        'List hosts with `fabricctl host list`.',
        (await fabric.inventory.hosts()).map(h => h.name),
      )
    const instances = fabric.inventory.stats?.().portsOnHost(host.name) ?? null
    const {json, render} = hostFacts(host)
    this.emit({kind: 'Host', schemaVersion: 1, context: fabric.context.name, host: json, ports: instances}, () =>
      render(instances),
    )
  }
}
