import {Args, Flags} from '@oclif/core'

import {ResultCommand} from '../../lib/cli/base-command.js'
import {dryRunFlag} from '../../lib/cli/flags.js'
import {EXIT, type ExitCode} from '../../lib/cli/exit-codes.js'
import type {ResultOf} from '../../lib/cli/result.js'
import type {SnapshotKind} from '../../lib/leaf/driver.js'
import {renderRollback} from '../../lib/leaf/render.js'

export default class LeafRollback extends ResultCommand<'LeafRollback'> {
  protected readonly kind = 'LeafRollback'
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

  async run(): Promise<ResultOf<'LeafRollback'>> {
    const {args, flags} = await this.parse(LeafRollback)
    const fabric = await this.openFabric(flags.context)
    const {openLeafService} = await import('../../lib/leaf/service.js')
    const svc = await openLeafService(fabric)
    await svc.targets({leaf: args.leaf})
    const r = await svc.rollback(args.leaf, flags.to as SnapshotKind, {dryRun: flags['dry-run']})
    return {...r, dryRun: Boolean(flags['dry-run'])}
  }

  protected render(r: ResultOf<'LeafRollback'>): string {
    return renderRollback(r, this.style)
  }

  protected override exitCode({status}: ResultOf<'LeafRollback'>): ExitCode {
    return status === 'unreachable'
      ? EXIT.PARTIAL
      : status === 'failed' || status === 'no-snapshot'
        ? EXIT.CHECK_FAILED
        : EXIT.OK
  }
}
