import {Args, Flags} from '@oclif/core'

import {FabricCommand} from '../../lib/cli/base-command.js'
import {EXIT, EXIT_CODES_HELP} from '../../lib/cli/exit-codes.js'

export default class LeafPending extends FabricCommand {
  static override summary = 'List the reverts armed on leaves by push --confirm-within.'
  static override description = `Reads the armed reverts from the leaves themselves (/run/fabricctl on each leaf): when each fires,
who armed it. Exit 0, or 3 when a leaf is unreachable.

${EXIT_CODES_HELP}`

  static override examples = [
    '<%= config.bin %> leaf pending --all',
    '<%= config.bin %> leaf pending az1-leaf01a --json',
  ]
  static override args = {leaf: Args.string({description: 'Leaf name (or use --all).'})}
  static override flags = {
    all: Flags.boolean({description: 'Every leaf.', exclusive: ['leaf']}),
    concurrency: Flags.integer({description: 'Leaves read at once.', default: 8, min: 1, max: 64}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(LeafPending)
    const fabric = await this.openFabric(flags.context)
    const {openLeafService, mapLimit} = await import('../../lib/leaf/service.js')
    const {renderTable} = await import('../../lib/output/table.js')
    const svc = await openLeafService(fabric)
    const targets = await svc.targets({leaf: args.leaf, all: flags.all})
    const leaves = await mapLimit(targets, flags.concurrency, leaf => svc.pending(leaf))
    const rows = leaves.flatMap(l => l.reverts)
    const unreachable = leaves.filter(l => l.status === 'unreachable')
    const totals = {leaves: leaves.length, pending: rows.length, unreachable: unreachable.length}
    this.emit({kind: 'LeafPending', schemaVersion: 1, context: fabric.context.name, leaves, totals}, () =>
      [
        renderTable(
          rows,
          [
            {header: 'leaf', get: r => r.leaf},
            {header: 'id', get: r => r.id},
            {header: 'reverts at', get: r => r.deadline},
            {header: 'armed', get: r => r.armedAt},
            {header: 'by', get: r => r.by},
          ],
          {empty: 'No revert armed.'},
        ),
        ...unreachable.map(l => `${l.leaf}: unreachable: ${l.error?.message ?? ''}`),
      ].join('\n'),
    )
    this.finish(unreachable.length > 0 ? EXIT.PARTIAL : EXIT.OK)
  }
}
