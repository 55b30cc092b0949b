import {Flags} from '@oclif/core'

import {ResultCommand} from '../../lib/cli/base-command.js'
import type {ResultOf} from '../../lib/cli/result.js'
import {renderFields} from '../../lib/output/table.js'

export default class SimInit extends ResultCommand<'SimFabric'> {
  protected readonly kind = 'SimFabric'
  static override summary = 'Generate the built-in simulated fabric from a seed.'
  static override description = `The same profile, seed and topology give the same fabric, byte for byte.
"small" (1 AZ, 4 leaves, 10 hosts, every kind of host) is for tests and demos; "seed" reproduces
the reference deployment (4 AZs, 2,000 hosts, 20,000+ instances in the largest AZ, a host with
500+ instances). Every generated port starts ACTIVE_ACTIVE with consistent leaf configs.`

  static override examples = [
    '<%= config.bin %> sim init',
    '<%= config.bin %> sim init --profile seed --seed 42 --force',
    '<%= config.bin %> sim init --topology hierarchical --force --context sim-legacy',
  ]

  static override flags = {
    profile: Flags.string({description: 'Size of the fabric.', options: ['small', 'seed', 'x5'], default: 'small'}),
    seed: Flags.integer({
      description: 'Random seed (same seed, same fabric), 0 to 4294967295.',
      default: 1,
      min: 0,
      max: 4_294_967_295,
    }),
    topology: Flags.string({
      description: 'Fabric generation to model.',
      options: ['spine-leaf', 'hierarchical'],
      default: 'spine-leaf',
    }),
    force: Flags.boolean({
      description: 'Replace an existing simulated fabric (its ports, faults and leaf state are lost).',
    }),
  }

  async run(): Promise<ResultOf<'SimFabric'>> {
    const {flags} = await this.parse(SimInit)
    const {context} = await this.context(flags.context)
    const {fabricGenerator} = await import('../../lib/backends/open.js')
    const generate = await fabricGenerator(context)
    if (!generate) {
      const {usageError} = await import('../../lib/cli/errors.js')
      throw usageError(
        'NOT_A_SIM_CONTEXT',
        `Context "${context.name}" is a live context; sim init only generates simulated fabrics.`,
        context.name,
        'Use --context sim (or another context with backend: sim).',
      )
    }
    const r = await generate({
      profile: flags.profile as 'small' | 'seed' | 'x5',
      seed: flags.seed,
      topology: flags.topology as 'spine-leaf',
      force: flags.force,
    })
    return r
  }

  protected render(r: ResultOf<'SimFabric'>): string {
    return renderFields([
      ['context', this.envelopeValue('context')],
      ['profile', r.profile],
      ['seed', r.seed],
      ['topology', r.topology],
      ['store', r.file],
      ['azs', r.summary.azs],
      ['switches', r.summary.switches],
      ['hosts', r.summary.hosts],
      ['networks', r.summary.networks],
      ['instances', r.summary.instances],
      ['ports', r.summary.ports],
      ['took', `${r.elapsedMs} ms`],
    ])
  }
}
