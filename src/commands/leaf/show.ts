import {Args} from '@oclif/core'

import {ResultCommand} from '../../lib/cli/base-command.js'
import type {ResultOf} from '../../lib/cli/result.js'
import {notFound} from '../../lib/cli/errors.js'
import {renderFields, renderTable} from '../../lib/output/table.js'

export default class LeafShow extends ResultCommand<'Leaf'> {
  protected readonly kind = 'Leaf'
  static override summary = 'Show one leaf: identity, hosts cabled to it, and (simulated) running VNIs.'
  static override examples = [
    '<%= config.bin %> leaf show az1-leaf01a',
    '<%= config.bin %> leaf show az1-leaf01a --json',
  ]
  static override args = {name: Args.string({description: 'Leaf name.', required: true})}

  async run(): Promise<ResultOf<'Leaf'>> {
    const {args, flags} = await this.parse(LeafShow)
    const fabric = await this.openFabric(flags.context)
    const leaf = (await fabric.inventory.switches()).find(s => s.name === args.name)
    if (!leaf)
      throw notFound(
        'leaf',
        args.name,
        'List leaves with `fabricctl leaf list`.',
        (await fabric.inventory.switches({role: 'leaf'})).map(s => s.name),
      )
    const hosts = (await fabric.inventory.hosts({leaf: leaf.name})).map(h => {
      const nic = h.nics.find(n => n.switch === leaf.name)!
      return {host: h.name, nic: nic.name, interface: nic.interface, speedMbps: nic.speedMbps, up: nic.up}
    })
    const running = fabric.inventory.stats?.().leafRunning(leaf.name) ?? null
    return {leaf, hosts, running}
  }

  protected render({leaf, hosts, running}: ResultOf<'Leaf'>): string {
    return [
      renderFields([
        ['name', leaf.name],
        ['az', leaf.az],
        ['role', leaf.role],
        ['pair', leaf.pair],
        ['asn', leaf.asn],
        ['vtep', leaf.vtep],
        ['address', leaf.address],
        ['driver', leaf.driver],
      ]),
      '',
      renderTable(hosts, [
        {header: 'interface', get: h => h.interface},
        {header: 'host', get: h => h.host},
        {header: 'nic', get: h => h.nic},
        {header: 'vlans', get: h => running?.interfaces[h.interface]?.vlans.join(',') ?? ''},
      ]),
      ...(running
        ? [
            '',
            renderTable(
              Object.values(running.vnis),
              [
                {header: 'vni', get: v => v.vni, align: 'right'},
                {header: 'vlan', get: v => v.vlan, align: 'right'},
                {header: 'network', get: v => v.network},
                {header: 'vrf', get: v => v.vrf},
                {header: 'rt', get: v => v.routeTarget},
                {header: 'gateway', get: v => v.gateway.address},
              ],
              {empty: 'No VNIs configured.'},
            ),
          ]
        : []),
    ].join('\n')
  }
}
