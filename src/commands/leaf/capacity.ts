import {Args, Flags} from '@oclif/core'

import {ResultCommand} from '../../lib/cli/base-command.js'
import {EXIT, EXIT_CODES_HELP, type ExitCode} from '../../lib/cli/exit-codes.js'
import type {ResultOf} from '../../lib/cli/result.js'
import {renderCapacity} from '../../lib/capacity/render.js'

export default class LeafCapacity extends ResultCommand<'LeafCapacity'> {
  protected readonly kind = 'LeafCapacity'
  static override summary = "What the desired state puts in each leaf's hardware tables, against the leaf's limits."
  static override description = `Counts, per leaf, what its desired state implies: MAC entries and ARP/ND entries (every bound
port of every L2 VNI on the leaf, local or learned over EVPN), /32 host routes (the tenants'
bound ports behind other leaves, symmetric IRB), VNIs (L2 + L3) and VRFs. Each is compared with
the leaf's limits, from a limits file that maps leaves to a switch ASIC class (built-in classes,
each with its published source: docs/capacity.md). Neighbours and host routes share the L3 host
table, so they are compared together ("hostTable").

Without a limits file (--limits, or the context's capacity.limits) the counts are printed and
every limit is "unknown".

Exit 0 when every table is below its limit, 1 when a table is full (at or over its limit).

${EXIT_CODES_HELP}`

  static override examples = [
    '<%= config.bin %> leaf capacity --all --limits leaf-limits.yaml',
    '<%= config.bin %> leaf capacity az1-leaf01a --limits leaf-limits.yaml --json',
    '<%= config.bin %> leaf capacity --all --warn-at 80',
  ]

  static override args = {leaf: Args.string({description: 'Leaf name (or use --all).'})}
  static override flags = {
    all: Flags.boolean({description: 'Every leaf.', exclusive: ['leaf']}),
    limits: Flags.string({description: 'Limits file (YAML/JSON): leaf name or glob → ASIC class (docs/capacity.md).'}),
    'warn-at': Flags.integer({
      description: 'Percent of a limit from which a table is reported as "warn".',
      default: 90,
      min: 1,
      max: 100,
    }),
  }

  async run(): Promise<ResultOf<'LeafCapacity'>> {
    const {args, flags} = await this.parse(LeafCapacity)
    const fabric = await this.openFabric(flags.context)
    const {chosenLimits, leafCapacity} = await import('../../lib/capacity/index.js')
    const {context, file} = this.openedContext()
    const limits = await chosenLimits(flags.limits, context, file)
    const {openLeafService} = await import('../../lib/leaf/service.js')
    const svc = await openLeafService(fabric)
    const leaves = await svc.targets({leaf: args.leaf, all: flags.all})
    const rows = await leafCapacity(fabric, {leaves, limits, warnAt: flags['warn-at']})
    const totals = {
      leaves: rows.length,
      ok: rows.filter(r => r.status === 'ok').length,
      warn: rows.filter(r => r.status === 'warn').length,
      full: rows.filter(r => r.status === 'full').length,
      unknown: rows.filter(r => r.status === 'unknown').length,
    }
    return {limitsFile: limits?.name ?? null, leaves: rows, totals}
  }

  protected render({leaves}: ResultOf<'LeafCapacity'>): string {
    return renderCapacity(leaves, this.style)
  }

  protected override exitCode({totals}: ResultOf<'LeafCapacity'>): ExitCode {
    return totals.full > 0 ? EXIT.CHECK_FAILED : EXIT.OK
  }
}
