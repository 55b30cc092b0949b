import {Args} from '@oclif/core'

import {FabricCommand} from '../../lib/cli/base-command.js'
import {EXIT, EXIT_CODES_HELP} from '../../lib/cli/exit-codes.js'

export default class LeafConfirm extends FabricCommand {
  static override summary = 'Confirm a push made with --confirm-within: disarm the revert armed on the leaf.'
  static override description = `\`fabricctl leaf push LEAF --confirm-within DURATION\` arms a timer on the leaf that puts the pre-push
state back. This command stops it, so the pushed state stays. Nothing armed: says so, exit 0.

${EXIT_CODES_HELP}`

  static override examples = ['<%= config.bin %> leaf confirm az1-leaf01a']
  static override args = {leaf: Args.string({description: 'Leaf name.', required: true})}
  static override flags = {}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(LeafConfirm)
    const fabric = await this.openFabric(flags.context)
    const {openLeafService} = await import('../../lib/leaf/service.js')
    const svc = await openLeafService(fabric)
    await svc.targets({leaf: args.leaf})
    const r = await svc.confirm(args.leaf)
    this.emit({kind: 'LeafConfirm', schemaVersion: 1, context: fabric.context.name, leaves: [r]}, () =>
      r.status === 'unreachable'
        ? `${r.leaf}: unreachable: ${r.error?.message ?? ''}`
        : r.status === 'unsupported'
          ? `${r.leaf}: the ${r.driver} driver has no commit-confirm; nothing is armed.`
          : r.reverts.length === 0
            ? `${r.leaf}: no revert armed; nothing to confirm.`
            : `${r.leaf}: confirmed; disarmed ${r.reverts.map(p => `${p.id} (due ${p.deadline})`).join(', ')}.`,
    )
    this.finish(r.status === 'unreachable' ? EXIT.PARTIAL : EXIT.OK)
  }
}
