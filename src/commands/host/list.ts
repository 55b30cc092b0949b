import {Flags} from '@oclif/core'

import {FabricCommand} from '../../lib/cli/base-command.js'
import {renderTable} from '../../lib/output/table.js'

export default class HostList extends FabricCommand {
  static override summary = 'List compute hosts.'
  static override examples = [
    '<%= config.bin %> host list',
    '<%= config.bin %> host list --az az1 --leaf az1-leaf01a',
    '<%= config.bin %> host list --role hypervisor --plugging qbr --json',
  ]

  static override flags = {
    az: Flags.string({description: 'Only hosts in this AZ.'}),
    leaf: Flags.string({description: 'Only hosts cabled to this leaf.'}),
    role: Flags.string({description: 'Only hosts of this role.', options: ['hypervisor', 'container', 'baremetal']}),
    plugging: Flags.string({description: 'Only hosts with this plugging style.', options: ['direct', 'qbr']}),
    prefix: Flags.string({description: 'Only hosts whose name starts with this.'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(HostList)
    const fabric = await this.openFabric(flags.context)
    const hosts = (
      await fabric.reader.hosts({az: flags.az, leaf: flags.leaf, role: flags.role, namePrefix: flags.prefix})
    ).filter(h => !flags.plugging || h.plugging === flags.plugging)
    this.emit({kind: 'HostList', schemaVersion: 1, context: fabric.context.name, hosts}, () =>
      renderTable(
        hosts,
        [
          {header: 'name', get: h => h.name},
          {header: 'az', get: h => h.az},
          {header: 'role', get: h => h.role},
          {header: 'plugging', get: h => h.plugging},
          {header: 'ovs', get: h => h.ovsVersion ?? 'none'},
          {header: 'kernel', get: h => h.kernel.version},
          {header: 'nics', get: h => h.nics.map(n => `${n.name}→${n.switch}:${n.interface}`).join(' ')},
          {
            header: 'agent',
            get: h =>
              h.agentAlive === null
                ? 'unknown'
                : h.agentAlive
                  ? 'alive'
                  : this.style.red(`down since ${h.agentHeartbeatAt ?? 'unknown'}`),
          },
        ],
        {empty: 'No hosts match.'},
      ),
    )
  }
}
