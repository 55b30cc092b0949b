import {Args} from '@oclif/core'

import {ResultCommand} from '../../lib/cli/base-command.js'
import type {ResultOf} from '../../lib/cli/result.js'
import {notFound} from '../../lib/cli/errors.js'
import {renderFields} from '../../lib/output/table.js'
import {usableCount} from '../../lib/model/addressing.js'

export default class NetworkShow extends ResultCommand<'Network'> {
  protected readonly kind = 'Network'
  static override summary = 'Show one network (by name or id).'
  static override examples = ['<%= config.bin %> network show prod-a', '<%= config.bin %> network show prod-a --json']
  static override args = {name: Args.string({description: 'Network name or id.', required: true})}

  async run(): Promise<ResultOf<'Network'>> {
    const {args, flags} = await this.parse(NetworkShow)
    const fabric = await this.openFabric(flags.context)
    const net = (await fabric.inventory.networks()).find(n => n.name === args.name || n.id === args.name)
    if (!net)
      throw notFound(
        'network',
        args.name,
        'List networks with `fabricctl network list`.',
        (await fabric.inventory.networks()).map(x => x.name),
      )
    const usage = fabric.inventory.stats?.().networkUsage()
    const used = usage ? (usage.get(net.name) ?? 0) : null
    const size = net.cidr ? usableCount(net.cidr) : null
    return {network: {...net, used, size}}
  }

  protected render({network: net}: ResultOf<'Network'>): string {
    return renderFields([
      ['name', net.name],
      ['id', net.id],
      ['az', net.az],
      ['tenant', net.tenant],
      ['cidr', net.cidr],
      ['gateway', net.gateway],
      ['vlan', net.vlan],
      ['l2 vni', net.l2Vni],
      ['labels', net.labels.join(', ')],
      ['addresses used', net.used === null ? null : `${net.used} of ${net.size}`],
    ])
  }
}
