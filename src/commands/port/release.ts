import {Args, Flags} from '@oclif/core'

import {ResultCommand} from '../../lib/cli/base-command.js'
import {EXIT, type ExitCode} from '../../lib/cli/exit-codes.js'
import type {ResultOf} from '../../lib/cli/result.js'
import {portService} from '../../lib/ports/index.js'
import {renderRelease} from '../../lib/ports/render.js'

export default class PortRelease extends ResultCommand<'PortRelease'> {
  protected readonly kind = 'PortRelease'
  protected override readonly envelope = ['context', 'backend'] as const
  static override summary = 'Release ports: device removed, controller record dropped, addresses freed, leaves cleaned.'
  static override description = `All the named ports are released together, or none (an unknown PORT changes nothing).
PORT is a name, id or IP. Exit 3 when the ports were released but cleaning a leaf failed
(\`ipam check\` then lists the leftover leaf configuration).`

  static override examples = [
    '<%= config.bin %> port release web-1 web-2 web-3',
    '<%= config.bin %> port release 10.16.0.23 --dry-run',
    '<%= config.bin %> port release checkout-7f9c --json',
  ]

  static override strict = false
  static override args = {port: Args.string({description: 'Port name, id or IP (several allowed).', required: true})}
  static override flags = {
    'max-changes': Flags.integer({
      description:
        'Refuse (exit 4, nothing applied) when the push to any one leaf would make more changes than this (as `leaf push --max-changes`).',
      min: 0,
    }),
    'dry-run': Flags.boolean({description: 'Show what would be released; change nothing.', default: false}),
  }

  async run(): Promise<ResultOf<'PortRelease'>> {
    const {argv, flags} = await this.parse(PortRelease)
    const fabric = await this.openFabric(flags.context)
    const svc = await portService(fabric)
    return svc.release(argv as string[], {dryRun: flags['dry-run'], maxChanges: flags['max-changes']})
  }

  protected render(r: ResultOf<'PortRelease'>): string {
    return renderRelease(r)
  }

  protected override exitCode(r: ResultOf<'PortRelease'>): ExitCode {
    return !r.dryRun && r.leaves.some(l => !l.ok) ? EXIT.PARTIAL : EXIT.OK
  }
}
