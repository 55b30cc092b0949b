import {Args} from '@oclif/core'

import {ResultCommand} from '../../lib/cli/base-command.js'
import type {ResultOf} from '../../lib/cli/result.js'
import {notFound} from '../../lib/cli/errors.js'
import {hostFacts, renderHost} from '../../lib/inventory/host.js'

export default class HostShow extends ResultCommand<'Host'> {
  protected readonly kind = 'Host'
  static override summary = 'Show one host: role, OVS, kernel, plugging, cabling, agent.'
  static override examples = ['<%= config.bin %> host show az1-h01', '<%= config.bin %> host show az1-h01 --json']
  static override args = {name: Args.string({description: 'Host name.', required: true})}

  async run(): Promise<ResultOf<'Host'>> {
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
    return {host: hostFacts(host), ports: instances}
  }

  protected render(r: ResultOf<'Host'>): string {
    return renderHost(r.host, r.ports)
  }
}
