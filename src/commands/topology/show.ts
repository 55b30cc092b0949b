import {Flags} from '@oclif/core'

import {FabricCommand} from '../../lib/cli/base-command.js'
import {renderTable} from '../../lib/output/table.js'
import {topologyDot, topologySummary} from '../../lib/topology.js'

export default class TopologyShow extends FabricCommand {
  static override summary = 'Summarise the fabric per availability zone.'
  static override description =
    'Switches by role, leaf pairs, hosts by role (and how many still use security-group bridges), networks and labels, instances and port states. --format dot prints a Graphviz graph (spines, leaves, hosts and their cabling).'
  static override examples = [
    '<%= config.bin %> topology show',
    '<%= config.bin %> topology show --az az1 --json',
    '<%= config.bin %> topology show --format dot | dot -Tsvg > fabric.svg',
  ]

  static override flags = {
    az: Flags.string({description: 'Only this availability zone.'}),
    format: Flags.string({
      description: 'Output format (human text or Graphviz).',
      options: ['text', 'dot'],
      default: 'text',
    }),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(TopologyShow)
    const fabric = await this.openFabric(flags.context)
    if (flags.format === 'dot' && !this.jsonMode) {
      process.stdout.write(`${await topologyDot(fabric, {az: flags.az})}\n`)
      return
    }
    const doc = await topologySummary(fabric, {az: flags.az})
    if (flags.az && doc.azs.length === 0) {
      const {notFound} = await import('../../lib/cli/errors.js')
      throw notFound('AZ', flags.az, `Known AZs: ${(await fabric.inventory.azs()).map(a => a.name).join(', ')}.`)
    }
    this.emit(doc, () => {
      const fmt = (r: Record<string, number> | null) =>
        r
          ? Object.entries(r)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')
          : '-'
      const head = `Context ${doc.context} (${doc.backend}${doc.fabric.profile ? `, profile ${doc.fabric.profile}, seed ${doc.fabric.seed}` : ''})`
      return `${head}\n\n${renderTable(doc.azs, [
        {header: 'az', get: a => a.name},
        {header: 'topology', get: a => a.topology},
        {header: 'switches', get: a => fmt(a.switches)},
        {header: 'pairs', get: a => a.leafPairs, align: 'right'},
        {header: 'hosts', get: a => a.hosts.total, align: 'right'},
        {header: 'qbr', get: a => a.hosts.legacyPlugging, align: 'right'},
        {header: 'networks', get: a => a.networks, align: 'right'},
        {
          header: 'instances',
          get: a => (a.instances ? Object.values(a.instances).reduce((x, y) => x + y, 0) : null),
          align: 'right',
        },
        {header: 'max/host', get: a => a.maxInstancesPerHost, align: 'right'},
        {header: 'ports', get: a => fmt(a.ports?.byState ?? null)},
      ])}\n\nlabels: ${[...new Set(doc.azs.flatMap(a => a.labels))].join(', ') || '-'}`
    })
  }
}
