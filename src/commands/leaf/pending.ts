import {Args, Flags} from '@oclif/core'

import {ResultCommand} from '../../lib/cli/base-command.js'
import {EXIT, EXIT_CODES_HELP, type ExitCode} from '../../lib/cli/exit-codes.js'
import type {ResultOf} from '../../lib/cli/result.js'
import {renderTable} from '../../lib/output/table.js'

export default class LeafPending extends ResultCommand<'LeafPending'> {
  protected readonly kind = 'LeafPending'
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

  async run(): Promise<ResultOf<'LeafPending'>> {
    const {args, flags} = await this.parse(LeafPending)
    const fabric = await this.openFabric(flags.context)
    const {openLeafService, mapLimit} = await import('../../lib/leaf/service.js')
    const svc = await openLeafService(fabric)
    const targets = await svc.targets({leaf: args.leaf, all: flags.all})
    const leaves = await mapLimit(targets, flags.concurrency, leaf => svc.pending(leaf))
    const totals = {
      leaves: leaves.length,
      pending: leaves.reduce((a, l) => a + l.reverts.length, 0),
      unreachable: leaves.filter(l => l.status === 'unreachable').length,
    }
    return {leaves, totals}
  }

  protected render({leaves}: ResultOf<'LeafPending'>): string {
    return [
      renderTable(
        leaves.flatMap(l => l.reverts),
        [
          {header: 'leaf', get: r => r.leaf},
          {header: 'id', get: r => r.id},
          {header: 'reverts at', get: r => r.deadline},
          {header: 'armed', get: r => r.armedAt},
          {header: 'by', get: r => r.by},
        ],
        {empty: 'No revert armed.'},
      ),
      ...leaves.filter(l => l.status === 'unreachable').map(l => `${l.leaf}: unreachable: ${l.error?.message ?? ''}`),
    ].join('\n')
  }

  protected override exitCode({totals}: ResultOf<'LeafPending'>): ExitCode {
    return totals.unreachable > 0 ? EXIT.PARTIAL : EXIT.OK
  }
}
