import {Args, Flags} from '@oclif/core'

import {FabricCommand} from '../../lib/cli/base-command.js'
import {concurrencyFlag} from '../../lib/cli/flags.js'
import {EXIT} from '../../lib/cli/exit-codes.js'

export default class LeafDiff extends FabricCommand {
  static override summary = "Compare a leaf's running configuration with its desired state (exit 1 when they differ)."
  static override description = `Reads the running state of the leaf (the simulated store, or the FRR leaf over SSH: kernel
devices and FRR configuration) and prints a unified diff against the desired state: lines with
"-" run on the leaf but are not wanted, lines with "+" are wanted but missing. Runbooks can gate on
the exit code: 0 in sync, 1 differs, 3 some leaves unreachable.`

  static override examples = [
    '<%= config.bin %> leaf diff az1-leaf01a',
    '<%= config.bin %> leaf diff --all',
    '<%= config.bin %> leaf diff --all --json | jq \'.leaves[] | select(.status != "in-sync") | .leaf\'',
  ]

  static override args = {leaf: Args.string({description: 'Leaf name (or use --all).'})}
  static override flags = {
    all: Flags.boolean({description: 'Every leaf.', exclusive: ['leaf']}),
    concurrency: concurrencyFlag({description: 'Leaves read at once (live leaves over SSH).'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(LeafDiff)
    const fabric = await this.openFabric(flags.context)
    const {openLeafService, mapLimit} = await import('../../lib/leaf/service.js')
    const {renderDiffs} = await import('../../lib/leaf/render.js')
    const svc = await openLeafService(fabric)
    const targets = await svc.targets({leaf: args.leaf, all: flags.all})
    const results = await mapLimit(targets, flags.concurrency, leaf => svc.diff(leaf))
    const n = (st: string) => results.filter(r => r.status === st).length
    const totals = {
      leaves: results.length,
      inSync: n('in-sync'),
      differ: n('differs'),
      unreachable: n('unreachable'),
      changes: results.reduce((a, r) => a + r.changes.length, 0),
    }
    this.emit({kind: 'LeafDiff', schemaVersion: 1, context: fabric.context.name, leaves: results, totals}, () =>
      renderDiffs(results, this.style),
    )
    this.finish(totals.unreachable > 0 ? EXIT.PARTIAL : totals.differ > 0 ? EXIT.CHECK_FAILED : EXIT.OK)
  }
}
