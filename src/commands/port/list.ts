import {Flags} from '@oclif/core'

import {FabricCommand} from '../../lib/cli/base-command.js'
import {portService} from '../../lib/ports/index.js'
import {renderPortTable} from '../../lib/ports/render.js'

export default class PortList extends FabricCommand {
  static override summary = 'List ports, filtered, one page at a time (sorted by name).'
  static override description = `Paging is by key, not offset: each page starts after the last name of the previous one
(pass the "next" token with --after), so it stays fast at 100,000 ports. A human listing prints
the command for the next page on stderr.`

  static override examples = [
    '<%= config.bin %> port list --host az1-h0007',
    '<%= config.bin %> port list --label prod-env --state BUILD_*',
    '<%= config.bin %> port list --prefix web- --limit 500 --json',
    '<%= config.bin %> port list --limit 1000 --after web-0999',
  ]

  static override flags = {
    host: Flags.string({description: 'Only ports bound to this host.'}),
    network: Flags.string({description: 'Only ports on this network (name or id).'}),
    label: Flags.string({description: 'Only ports on networks carrying this label.'}),
    az: Flags.string({description: 'Only ports on networks in this AZ.'}),
    state: Flags.string({
      description: 'Only ports in this UNDERLAY_OVERLAY state; * matches any plane state (e.g. *_ERROR).',
    }),
    prefix: Flags.string({description: 'Only ports whose name starts with this.'}),
    limit: Flags.integer({description: 'Page size (1–10000).', default: 100}),
    after: Flags.string({description: 'Continue after this token (the "next" of the previous page).'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(PortList)
    const fabric = await this.openFabric(flags.context)
    const svc = await portService(fabric)
    const page = await svc.list({
      host: flags.host,
      network: flags.network,
      label: flags.label,
      az: flags.az,
      state: flags.state,
      namePrefix: flags.prefix,
      limit: flags.limit,
      after: flags.after,
    })
    this.emit(
      {
        kind: 'PortList',
        schemaVersion: 1,
        context: fabric.context.name,
        backend: svc.backend,
        ports: page.ports,
        limit: flags.limit,
        next: page.next,
      },
      () => renderPortTable(page.ports),
    )
    if (!this.jsonMode && page.next !== null) {
      const rest = this.argv.filter(
        (a, i, all) => a !== '--after' && all[i - 1] !== '--after' && !a.startsWith('--after='),
      )
      this.notice(`-- more: ${this.config.bin} port list ${[...rest, '--after', page.next].join(' ')}`)
    }
  }
}
