import {Args} from '@oclif/core'

import {FabricCommand} from '../../lib/cli/base-command.js'
import {allContexts, loadConfig, setCurrentContext} from '../../lib/context/config.js'
import {configFile} from '../../lib/cli/paths.js'
import {notFound} from '../../lib/cli/errors.js'

export default class ContextUse extends FabricCommand {
  static override summary =
    'Make a context the current one (changes only current-context in the context file, keeping comments and layout).'
  static override examples = ['<%= config.bin %> context use lab', '<%= config.bin %> context use sim']
  static override args = {name: Args.string({description: 'Context name.', required: true})}

  async run(): Promise<void> {
    const {args} = await this.parse(ContextUse)
    const file = configFile()
    const config = await loadConfig(file)
    if (!allContexts(config).some(c => c.name === args.name))
      throw notFound('context', args.name, 'List contexts with `fabricctl context list`.')
    const written = await setCurrentContext(args.name, file)
    const where = written === file ? file : `${file} → ${written}`
    this.emit(
      {kind: 'ContextSwitched', schemaVersion: 1, current: args.name, file},
      () => `Switched to context "${args.name}" (${where}).`,
    )
  }
}
