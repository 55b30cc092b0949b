import {Args} from '@oclif/core'

import {ResultCommand} from '../../lib/cli/base-command.js'
import type {ResultOf} from '../../lib/cli/result.js'
import {allContexts, loadConfig, setCurrentContext} from '../../lib/context/config.js'
import {configFile} from '../../lib/cli/paths.js'
import {notFound} from '../../lib/cli/errors.js'

export default class ContextUse extends ResultCommand<'ContextSwitched'> {
  protected readonly kind = 'ContextSwitched'
  static override summary =
    'Make a context the current one (changes only current-context in the context file, keeping comments and layout).'
  static override examples = ['<%= config.bin %> context use lab', '<%= config.bin %> context use sim']
  static override args = {name: Args.string({description: 'Context name.', required: true})}

  async run(): Promise<ResultOf<'ContextSwitched'>> {
    const {args} = await this.parse(ContextUse)
    const file = configFile()
    const config = await loadConfig(file)
    if (!allContexts(config).some(c => c.name === args.name))
      throw notFound('context', args.name, 'List contexts with `fabricctl context list`.')
    const written = await setCurrentContext(args.name, file)
    this.written = written
    return {current: args.name, file}
  }

  protected override readonly envelope = []
  private written = ''

  protected render({current, file}: ResultOf<'ContextSwitched'>): string {
    const where = this.written === file ? file : `${file} → ${this.written}`
    return `Switched to context "${current}" (${where}).`
  }
}
