import {ResultCommand} from '../../../lib/cli/base-command.js'
import type {ResultOf} from '../../../lib/cli/result.js'
import {usageError} from '../../../lib/cli/errors.js'
import {renderTable} from '../../../lib/output/table.js'

export default class FaultList extends ResultCommand<'FaultList'> {
  protected readonly kind = 'FaultList'
  static override summary = 'List the faults active in the simulated fabric.'
  static override examples = ['<%= config.bin %> sim fault list', '<%= config.bin %> sim fault list --json']

  async run(): Promise<ResultOf<'FaultList'>> {
    const {flags} = await this.parse(FaultList)
    const fabric = await this.openFabric(flags.context)
    const injected = fabric.faults
    if (!injected)
      throw usageError(
        'NOT_A_SIM_CONTEXT',
        'Only a simulated fabric has injected faults.',
        fabric.context.name,
        'Use a context with backend: sim.',
      )
    const faults = injected.list().map(({params: {undo: _u, ...params}, ...f}) => ({...f, params}))
    return {faults}
  }

  protected override readonly envelope = []

  protected render({faults}: ResultOf<'FaultList'>): string {
    return renderTable(
      faults,
      [
        {header: 'id', get: f => f.id, align: 'right'},
        {header: 'kind', get: f => f.kind},
        {header: 'target', get: f => f.target},
        {header: 'since', get: f => f.createdAt},
      ],
      {empty: 'No faults active.'},
    )
  }
}
