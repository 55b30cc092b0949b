import {Args, Flags} from '@oclif/core'

import {ResultCommand} from '../../lib/cli/base-command.js'
import {concurrencyFlag} from '../../lib/cli/flags.js'
import {EXIT, type ExitCode} from '../../lib/cli/exit-codes.js'
import type {ResultOf} from '../../lib/cli/result.js'
import {renderDiffs} from '../../lib/leaf/render.js'

export default class LeafDiff extends ResultCommand<'LeafDiff'> {
  protected readonly kind = 'LeafDiff'
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

  async run(): Promise<ResultOf<'LeafDiff'>> {
    const {args, flags} = await this.parse(LeafDiff)
    const fabric = await this.openFabric(flags.context)
    const {openLeafService, mapLimit} = await import('../../lib/leaf/service.js')
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
    return {leaves: results, totals}
  }

  protected render({leaves}: ResultOf<'LeafDiff'>): string {
    return renderDiffs(leaves, this.style)
  }

  protected override exitCode({totals}: ResultOf<'LeafDiff'>): ExitCode {
    return totals.unreachable > 0 ? EXIT.PARTIAL : totals.differ > 0 ? EXIT.CHECK_FAILED : EXIT.OK
  }
}
