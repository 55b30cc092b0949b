import {Flags} from '@oclif/core'

import {ResultCommand} from '../../lib/cli/base-command.js'
import type {ResultOf} from '../../lib/cli/result.js'
import {renderTable} from '../../lib/output/table.js'

export default class LeafList extends ResultCommand<'LeafList'> {
  protected readonly kind = 'LeafList'
  static override summary = 'List leaf switches (and spines with --all-roles).'
  static override examples = [
    '<%= config.bin %> leaf list',
    '<%= config.bin %> leaf list --az az1 --json',
    '<%= config.bin %> leaf list --all-roles',
  ]
  static override flags = {
    az: Flags.string({description: 'Only switches in this AZ.'}),
    prefix: Flags.string({description: 'Only switches whose name starts with this.'}),
    'all-roles': Flags.boolean({
      description: 'Include spines (and access/aggregation/core switches in a hierarchical AZ).',
    }),
  }

  async run(): Promise<ResultOf<'LeafList'>> {
    const {flags} = await this.parse(LeafList)
    const fabric = await this.openFabric(flags.context)
    const switches = await fabric.inventory.switches({
      az: flags.az,
      namePrefix: flags.prefix,
      role: flags['all-roles'] ? undefined : 'leaf',
    })
    const hosts = await fabric.inventory.hosts({az: flags.az})
    const attached = new Map<string, number>()
    for (const h of hosts) for (const n of h.nics) attached.set(n.switch, (attached.get(n.switch) ?? 0) + 1)
    const leaves = switches.map(s => ({...s, hosts: attached.get(s.name) ?? 0}))
    return {leaves}
  }

  protected render({leaves}: ResultOf<'LeafList'>): string {
    return renderTable(
      leaves,
      [
        {header: 'name', get: s => s.name},
        {header: 'az', get: s => s.az},
        {header: 'role', get: s => s.role},
        {header: 'pair', get: s => s.pair},
        {header: 'asn', get: s => s.asn, align: 'right'},
        {header: 'vtep', get: s => s.vtep},
        {header: 'driver', get: s => s.driver},
        {header: 'hosts', get: s => s.hosts, align: 'right'},
      ],
      {empty: 'No leaves match.'},
    )
  }
}
