import {Args, Flags} from '@oclif/core'

import {FabricCommand} from '../../lib/cli/base-command.js'
import {dryRunFlag} from '../../lib/cli/flags.js'
import {EXIT} from '../../lib/cli/exit-codes.js'
import type {SnapshotKind} from '../../lib/leaf/driver.js'

export default class LeafRollback extends FabricCommand {
  static override summary = 'Restore a leaf to its last-known-good state (or to the state before the last push).'
  static override description = `fabricctl keeps, per leaf, the last state it pushed and verified (last-known-good) and the state
the leaf ran before that push (previous) — on the client side, since FRR 8.4 has no commit/rollback.
"--to last-known-good" (the default) undoes drift or manual changes since the last push;
"--to previous" undoes the last push itself (running it twice redoes it).
When nothing is recorded to roll back to (status no-snapshot), it says so, changes nothing and exits 1.`

  static override examples = [
    '<%= config.bin %> leaf rollback az1-leaf01a',
    '<%= config.bin %> leaf rollback az1-leaf01a --to previous --dry-run',
  ]

  static override args = {leaf: Args.string({description: 'Leaf name.', required: true})}
  static override flags = {
    to: Flags.string({
      description: 'Which recorded state to restore.',
      options: ['last-known-good', 'previous'],
      default: 'last-known-good',
    }),
    'dry-run': dryRunFlag(),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(LeafRollback)
    const fabric = await this.openFabric(flags.context)
    const {openLeafService} = await import('../../lib/leaf/service.js')
    const {renderRollback} = await import('../../lib/leaf/render.js')
    const svc = await openLeafService(fabric)
    await svc.targets({leaf: args.leaf})
    const r = await svc.rollback(args.leaf, flags.to as SnapshotKind, {dryRun: flags['dry-run']})
    this.emit(
      {kind: 'LeafRollback', schemaVersion: 1, context: fabric.context.name, ...r, dryRun: Boolean(flags['dry-run'])},
      () => renderRollback(r, this.style),
    )
    this.finish(
      r.status === 'unreachable'
        ? EXIT.PARTIAL
        : r.status === 'failed' || r.status === 'no-snapshot'
          ? EXIT.CHECK_FAILED
          : EXIT.OK,
    )
  }
}
