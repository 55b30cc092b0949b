import {Args, Flags} from '@oclif/core'

import {FabricCommand} from '../../lib/cli/base-command.js'
import {EXIT} from '../../lib/cli/exit-codes.js'
import {capacityFlags, capacityGate} from '../../lib/capacity/gate.js'
import {portService} from '../../lib/ports/index.js'
import {renderMigration} from '../../lib/ports/render.js'

export default class PortMigrate extends FabricCommand {
  static override summary = 'Move a port to another host keeping its IP and MAC (pod drift).'
  static override description = `The old device leaves the old host's br-int, the new host is bound (BUILD_BUILD, then the
agent and controller react), the old host's leaf interfaces lose the network's VLAN when no port
of it remains there, and the new host's leaf interfaces get it. The result shows the host, IP,
MAC and state before and after, and every leaf touched.

Refuses an unknown host, or one in another AZ (exit 2). Exit 1 when the port does not end
ACTIVE_ACTIVE; exit 3 when it did but cleaning an old leaf failed. PORT is a name, id or IP.`

  static override examples = [
    '<%= config.bin %> port migrate checkout-7f9c --to-host az1-h0012',
    '<%= config.bin %> port migrate 10.16.0.23 --to-host az1-h0012 --dry-run',
    '<%= config.bin %> port migrate checkout-7f9c --to-host az1-h0012 --json',
  ]

  static override args = {port: Args.string({description: 'Port name, id or IP.', required: true})}
  static override flags = {
    'to-host': Flags.string({description: 'Destination host (same AZ).', required: true}),
    ...capacityFlags,
    'max-changes': Flags.integer({
      description:
        'Refuse (exit 4, nothing applied) when the push to any one leaf would make more changes than this (as `leaf push --max-changes`).',
      min: 0,
    }),
    'dry-run': Flags.boolean({description: 'Show the move (state, leaves) without changing anything.', default: false}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(PortMigrate)
    const fabric = await this.openFabric(flags.context)
    const svc = await portService(fabric)
    await capacityGate(fabric, this.openedContext(), flags, async () => {
      const {port} = await svc.show(args.port)
      return [
        {network: port.network, host: flags['to-host'], count: 1},
        ...(port.host ? [{network: port.network, host: port.host, count: -1}] : []),
      ]
    })
    const r = await svc.migrate(args.port, flags['to-host'], {
      dryRun: flags['dry-run'],
      maxChanges: flags['max-changes'],
    })
    this.emit({kind: 'PortMigration', schemaVersion: 1, context: fabric.context.name, backend: svc.backend, ...r}, () =>
      renderMigration(r),
    )
    if (r.dryRun) return
    if (r.port.state !== 'ACTIVE_ACTIVE') this.finish(EXIT.CHECK_FAILED)
    else if (r.leaves.some(l => !l.ok)) this.finish(EXIT.PARTIAL)
  }
}
