import {Args, Flags} from '@oclif/core'

import {ResultCommand} from '../../../lib/cli/base-command.js'
import type {ResultOf} from '../../../lib/cli/result.js'
import {usageError} from '../../../lib/cli/errors.js'
import {FAULT_KINDS, FAULT_KIND_NAMES, type FaultKind} from '../../../lib/sim/faults.js'
import {renderFields} from '../../../lib/output/table.js'

export default class FaultInject extends ResultCommand<'Fault'> {
  protected readonly kind = 'Fault'
  static override summary = 'Break the simulated fabric in a reproducible way.'
  static override description = `Fault kinds and their targets:
${FAULT_KIND_NAMES.map(k => `  ${k.padEnd(24)} ${FAULT_KINDS[k].target.padEnd(8)} ${FAULT_KINDS[k].description}`).join('\n')}

Faults that change evidence (device missing, drift, ...) leave the recorded port status as it
was, like a real fabric does; \`sim fault clear\` puts back what they changed.`

  static override examples = [
    '<%= config.bin %> sim fault inject agent-down --target az1-h03',
    '<%= config.bin %> sim fault inject config-drift --target az1-leaf01a --interface Ethernet2 --vlan 101',
    '<%= config.bin %> sim fault inject network-exhausted --target prod-a',
  ]

  static override args = {kind: Args.string({description: 'Fault kind.', required: true, options: FAULT_KIND_NAMES})}
  static override flags = {
    target: Flags.string({
      description: 'Host, port (name, id or IP), leaf or network, as the kind requires.',
      required: true,
    }),
    interface: Flags.string({description: 'config-drift: the leaf interface to drift (default: the first).'}),
    vlan: Flags.integer({
      description: 'config-drift: the VLAN to remove (default: the first on the interface).',
      min: 1,
      max: 4094,
    }),
  }

  async run(): Promise<ResultOf<'Fault'>> {
    const {args, flags} = await this.parse(FaultInject)
    // --interface and --vlan only mean something to config-drift: refused elsewhere rather than ignored.
    const given = (['interface', 'vlan'] as const).filter(f => flags[f] !== undefined)
    if (args.kind !== 'config-drift' && given.length > 0) {
      throw usageError(
        'FAULT_FLAG_IRRELEVANT',
        `--${given.join(' and --')} ${given.length > 1 ? 'apply' : 'applies'} only to config-drift, not to ${args.kind}.`,
        given.map(f => `--${f} ${flags[f]}`).join(' '),
        `Drop --${given.join(' and --')}, or use \`fabricctl sim fault inject config-drift --target LEAF --interface IF --vlan N\`.`,
      )
    }
    const fabric = await this.openFabric(flags.context)
    const faults = fabric.faults
    if (!faults)
      throw usageError(
        'NOT_A_SIM_CONTEXT',
        'Faults can only be injected into a simulated fabric.',
        fabric.context.name,
        'Use a context with backend: sim.',
      )
    const fault = faults.inject(args.kind as FaultKind, flags.target, {
      interface: flags.interface,
      vlan: flags.vlan,
    })
    const {undo: _undo, ...params} = fault.params
    this.given = flags.target
    return {fault: {...fault, params}}
  }

  protected override readonly envelope = []
  private given = ''

  protected render({fault}: ResultOf<'Fault'>): string {
    return renderFields([
      ['injected', `#${fault.id} ${fault.kind}`],
      ['target', this.given === fault.target ? fault.target : `${this.given} (${fault.target})`],
      ['effect', FAULT_KINDS[fault.kind].description],
    ])
  }
}
