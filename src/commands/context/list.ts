import {ResultCommand} from '../../lib/cli/base-command.js'
import type {ResultOf} from '../../lib/cli/result.js'
import {allContexts, loadConfig} from '../../lib/context/config.js'
import {configFile} from '../../lib/cli/paths.js'
import {renderTable} from '../../lib/output/table.js'
import {redactText} from '../../lib/cli/redact.js'
import {describeContext} from '../../lib/backends/open.js'

export default class ContextList extends ResultCommand<'ContextList'> {
  protected readonly kind = 'ContextList'
  static override summary = 'List the contexts (fabrics) fabricctl can talk to.'
  static override description =
    'The built-in context "sim" (the simulated fabric) always exists. Others come from the context file: $FABRICCTL_CONFIG or $XDG_CONFIG_HOME/fabricctl/config.yaml (format: docs/contexts.md).'
  static override examples = ['<%= config.bin %> context list', '<%= config.bin %> context list --json']

  async run(): Promise<ResultOf<'ContextList'>> {
    const {flags} = await this.parse(ContextList)
    const file = configFile()
    const config = await loadConfig(file)
    const current = (await this.context(flags.context)).context.name
    const contexts = allContexts(config).map(c => {
      const d = describeContext(c)
      return {
        name: c.name,
        backend: d.info.backend,
        current: c.name === current,
        neutron: d.neutron === null ? null : redactText(d.neutron),
        hosts: d.hosts,
        leaves: d.leaves,
      }
    })
    return {file, current, contexts}
  }

  protected override readonly envelope = []

  protected render({contexts}: ResultOf<'ContextList'>): string {
    return renderTable(contexts, [
      {header: 'current', get: c => (c.current ? '*' : '')},
      {header: 'name', get: c => c.name},
      {header: 'backend', get: c => c.backend},
      {header: 'neutron', get: c => c.neutron},
      {header: 'hosts', get: c => c.hosts, align: 'right'},
      {header: 'leaves', get: c => c.leaves, align: 'right'},
    ])
  }
}
