import {Args} from '@oclif/core'

import {FabricCommand} from '../../lib/cli/base-command.js'
import {allContexts, loadConfig} from '../../lib/context/config.js'
import {notFound} from '../../lib/cli/errors.js'
import {redactContext} from '../../lib/context/redact.js'

export default class ContextShow extends FabricCommand {
  static override summary = 'Show a context (the current one by default); secrets are redacted.'
  static override examples = ['<%= config.bin %> context show', '<%= config.bin %> context show lab --json']
  static override args = {name: Args.string({description: 'Context name (default: the current context).'})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ContextShow)
    const resolved = await this.context(flags.context)
    const name = args.name ?? resolved.context.name
    const context = allContexts(await loadConfig(resolved.file)).find(c => c.name === name)
    if (!context) throw notFound('context', name, 'List contexts with `fabricctl context list`.')
    const shown = redactContext(context)
    const {toYamlText} = await import('../../lib/cli/safe-yaml.js')
    this.emit({kind: 'Context', schemaVersion: 1, current: name === resolved.context.name, context: shown}, () =>
      toYamlText(shown).trimEnd(),
    )
  }
}
