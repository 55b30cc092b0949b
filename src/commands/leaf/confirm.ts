import {Args} from '@oclif/core'

import {ResultCommand} from '../../lib/cli/base-command.js'
import {EXIT, EXIT_CODES_HELP, type ExitCode} from '../../lib/cli/exit-codes.js'
import type {ResultOf} from '../../lib/cli/result.js'

export default class LeafConfirm extends ResultCommand<'LeafConfirm'> {
  protected readonly kind = 'LeafConfirm'
  static override summary = 'Confirm a push made with --confirm-within: disarm the revert armed on the leaf.'
  static override description = `\`fabricctl leaf push LEAF --confirm-within DURATION\` arms a timer on the leaf that puts the pre-push
state back. This command stops it, so the pushed state stays. Nothing armed: says so, exit 0.

${EXIT_CODES_HELP}`

  static override examples = ['<%= config.bin %> leaf confirm az1-leaf01a']
  static override args = {leaf: Args.string({description: 'Leaf name.', required: true})}
  static override flags = {}

  async run(): Promise<ResultOf<'LeafConfirm'>> {
    const {args, flags} = await this.parse(LeafConfirm)
    const fabric = await this.openFabric(flags.context)
    const {openLeafService} = await import('../../lib/leaf/service.js')
    const svc = await openLeafService(fabric)
    await svc.targets({leaf: args.leaf})
    return {leaves: [await svc.confirm(args.leaf)]}
  }

  protected render({leaves}: ResultOf<'LeafConfirm'>): string {
    return leaves
      .map(r =>
        r.status === 'unreachable'
          ? `${r.leaf}: unreachable: ${r.error?.message ?? ''}`
          : r.status === 'unsupported'
            ? `${r.leaf}: the ${r.driver} driver has no commit-confirm; nothing is armed.`
            : r.reverts.length === 0
              ? `${r.leaf}: no revert armed; nothing to confirm.`
              : `${r.leaf}: confirmed; disarmed ${r.reverts.map(p => `${p.id} (due ${p.deadline})`).join(', ')}.`,
      )
      .join('\n')
  }

  protected override exitCode({leaves}: ResultOf<'LeafConfirm'>): ExitCode {
    return leaves.some(r => r.status === 'unreachable') ? EXIT.PARTIAL : EXIT.OK
  }
}
