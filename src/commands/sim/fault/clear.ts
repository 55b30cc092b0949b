import {Args, Flags} from '@oclif/core'

import {ResultCommand} from '../../../lib/cli/base-command.js'
import type {ResultOf} from '../../../lib/cli/result.js'
import {usageError} from '../../../lib/cli/errors.js'

export default class FaultClear extends ResultCommand<'FaultsCleared'> {
  protected readonly kind = 'FaultsCleared'
  static override summary = 'Clear one fault (by id) or all of them, putting back what they changed.'
  static override examples = ['<%= config.bin %> sim fault clear 3', '<%= config.bin %> sim fault clear --all']
  static override args = {id: Args.integer({description: 'Fault id (see `sim fault list`).', min: 1})}
  static override flags = {all: Flags.boolean({description: 'Clear every active fault (not with an ID).'})}

  async run(): Promise<ResultOf<'FaultsCleared'>> {
    const {args, flags} = await this.parse(FaultClear)
    if (args.id !== undefined && flags.all)
      throw usageError(
        'FAULT_CLEAR_CONFLICT',
        'Give a fault ID or --all, not both.',
        `${args.id} --all`,
        'Clear one fault with `fabricctl sim fault clear ID`, or every fault with `fabricctl sim fault clear --all`.',
      )
    if (args.id === undefined && !flags.all)
      throw usageError(
        'MISSING_FAULT_ID',
        'Say which fault to clear.',
        null,
        'Give a fault id (see `fabricctl sim fault list`) or --all.',
      )
    const fabric = await this.openFabric(flags.context)
    const faults = fabric.faults
    if (!faults)
      throw usageError(
        'NOT_A_SIM_CONTEXT',
        'Only a simulated fabric has injected faults.',
        fabric.context.name,
        'Use a context with backend: sim.',
      )
    const cleared = faults.clear(flags.all ? 'all' : args.id!)
    return {cleared: cleared.map(f => ({id: f.id, kind: f.kind, target: f.target}))}
  }

  protected override readonly envelope = []

  protected render({cleared}: ResultOf<'FaultsCleared'>): string {
    return cleared.length === 0
      ? 'No faults were active.'
      : cleared.map(f => `cleared #${f.id} ${f.kind} on ${f.target}`).join('\n')
  }
}
