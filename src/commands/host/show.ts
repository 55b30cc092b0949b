import {Args} from '@oclif/core'

import {FabricCommand} from '../../lib/cli/base-command.js'
import {notFound} from '../../lib/cli/errors.js'
import {renderFields, renderTable} from '../../lib/output/table.js'

export default class HostShow extends FabricCommand {
  static override summary = 'Show one host: role, OVS, kernel, plugging, cabling, agent.'
  static override examples = ['<%= config.bin %> host show az1-h01', '<%= config.bin %> host show az1-h01 --json']
  static override args = {name: Args.string({description: 'Host name.', required: true})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(HostShow)
    const fabric = await this.openFabric(flags.context)
    const host = (await fabric.reader.hosts({namePrefix: args.name})).find(h => h.name === args.name)
    if (!host)
      throw notFound(
        'host',
        args.name,
        'List hosts with `fabricctl host list`.',
        (await fabric.reader.hosts()).map(h => h.name),
      )
    /** A fact the backend could not read: `unknown (why)`, never a default. */
    const unknown = (k: keyof NonNullable<typeof host.unknown>) => `unknown (${host.unknown?.[k] ?? 'not read'})`
    const instances = fabric.backend === 'sim' ? fabric.store.portsOnHost(host.name).length : null
    this.emit({kind: 'Host', schemaVersion: 1, context: fabric.context.name, host, ports: instances}, () =>
      [
        renderFields([
          ['name', host.name],
          ['az', host.az],
          ['role', host.role],
          ['address', host.address],
          ['ovs', host.ovsVersion ?? 'none (bare metal)'],
          ['ovs running', host.ovsRunning ?? unknown('ovsRunning')],
          ['plugging', host.plugging],
          ['bond', host.bond],
          ['kernel', host.kernel.version],
          ['bpffs mounted', host.kernel.bpffsMounted ?? 'unknown'],
          ['bpf jit', host.kernel.jitEnabled ?? 'unknown'],
          [
            'agent',
            host.agentAlive === null
              ? unknown('agentAlive')
              : host.agentAlive
                ? 'alive'
                : `down, last heartbeat ${host.agentHeartbeatAt ?? 'unknown'}`,
          ],
          ['ports', instances],
        ]),
        '',
        renderTable(host.nics, [
          {header: 'nic', get: n => n.name},
          {header: 'switch', get: n => n.switch},
          {header: 'interface', get: n => n.interface},
          {header: 'speed', get: n => `${n.speedMbps / 1000}G`},
          {header: 'link', get: n => (n.up === null ? unknown('nics') : n.up ? 'up' : 'down')},
        ]),
      ].join('\n'),
    )
  }
}
