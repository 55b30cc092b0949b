import {Flags} from '@oclif/core'

import {ResultCommand} from '../../lib/cli/base-command.js'
import type {ResultOf} from '../../lib/cli/result.js'
import {renderTable} from '../../lib/output/table.js'
import {usableCount} from '../../lib/model/addressing.js'

export default class NetworkList extends ResultCommand<'NetworkList'> {
  protected readonly kind = 'NetworkList'
  static override summary = 'List tenant networks with CIDR, VLAN, VNI, labels and address usage.'
  static override examples = [
    '<%= config.bin %> network list',
    '<%= config.bin %> network list --label prod-env --az az1',
    '<%= config.bin %> network list --tenant sub-a --json',
  ]

  static override flags = {
    az: Flags.string({description: 'Only networks in this AZ.'}),
    label: Flags.string({description: 'Only networks carrying this label.'}),
    tenant: Flags.string({description: 'Only networks of this tenant.'}),
    prefix: Flags.string({description: 'Only networks whose name starts with this.'}),
  }

  async run(): Promise<ResultOf<'NetworkList'>> {
    const {flags} = await this.parse(NetworkList)
    const fabric = await this.openFabric(flags.context)
    const nets = await fabric.inventory.networks({
      az: flags.az,
      label: flags.label,
      tenant: flags.tenant,
      namePrefix: flags.prefix,
    })
    const usage = fabric.inventory.stats?.().networkUsage()
    const networks = nets.map(n => ({
      ...n,
      used: usage ? (usage.get(n.name) ?? 0) : null,
      size: n.cidr ? usableCount(n.cidr) : null,
    }))
    return {networks}
  }

  protected render({networks}: ResultOf<'NetworkList'>): string {
    return renderTable(
      networks,
      [
        {header: 'name', get: n => n.name},
        {header: 'az', get: n => n.az},
        {header: 'tenant', get: n => n.tenant},
        {header: 'cidr', get: n => n.cidr},
        {header: 'gateway', get: n => n.gateway},
        {header: 'vlan', get: n => n.vlan, align: 'right'},
        {header: 'vni', get: n => n.l2Vni, align: 'right'},
        {header: 'used', get: n => (n.used === null ? null : `${n.used}/${n.size}`), align: 'right'},
        {header: 'labels', get: n => n.labels.join(',')},
      ],
      {empty: 'No networks match.'},
    )
  }
}
