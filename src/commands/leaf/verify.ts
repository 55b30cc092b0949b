import {Args, Flags} from '@oclif/core'

import {ResultCommand} from '../../lib/cli/base-command.js'
import {concurrencyFlag} from '../../lib/cli/flags.js'
import {EXIT, type ExitCode} from '../../lib/cli/exit-codes.js'
import type {ResultOf} from '../../lib/cli/result.js'
import {renderVerify} from '../../lib/leaf/render.js'

export default class LeafVerify extends ResultCommand<'LeafVerify'> {
  protected readonly kind = 'LeafVerify'
  static override summary = 'Read back what a leaf really carries and check it against the desired state.'
  static override description = `For FRR leaves the evidence is FRR's own view (show evpn vni json, show evpn mac vni N json,
show bgp summary json) and the kernel's (bridge -j link, bridge -j vlan show), besides the running
configuration. Exit 0 when every leaf is in sync, 1 when one differs, 3 when one is unreachable.`

  static override examples = ['<%= config.bin %> leaf verify az1-leaf01a', '<%= config.bin %> leaf verify --all --json']
  static override args = {leaf: Args.string({description: 'Leaf name (or use --all).'})}
  static override flags = {
    all: Flags.boolean({description: 'Every leaf.', exclusive: ['leaf']}),
    concurrency: concurrencyFlag({description: 'Leaves verified at once (live leaves over SSH).'}),
  }

  async run(): Promise<ResultOf<'LeafVerify'>> {
    const {args, flags} = await this.parse(LeafVerify)
    const fabric = await this.openFabric(flags.context)
    const {openLeafService, mapLimit} = await import('../../lib/leaf/service.js')
    const svc = await openLeafService(fabric)
    const targets = await svc.targets({leaf: args.leaf, all: flags.all})
    const results = await mapLimit(targets, flags.concurrency, leaf => svc.verify(leaf))
    const n = (st: string) => results.filter(r => r.status === st).length
    const totals = {leaves: results.length, inSync: n('in-sync'), differ: n('differs'), unreachable: n('unreachable')}
    const leaves = results.map(({running: _r, ...rest}) => rest)
    return {leaves, totals}
  }

  protected render({leaves}: ResultOf<'LeafVerify'>): string {
    return renderVerify(leaves, this.style)
  }

  protected override exitCode({totals}: ResultOf<'LeafVerify'>): ExitCode {
    return totals.unreachable > 0 ? EXIT.PARTIAL : totals.differ > 0 ? EXIT.CHECK_FAILED : EXIT.OK
  }
}
