import {Flags} from '@oclif/core'

import {ResultCommand} from '../../lib/cli/base-command.js'
import type {ResultOf} from '../../lib/cli/result.js'
import {portService} from '../../lib/ports/index.js'
import {renderUsage} from '../../lib/ports/render.js'

export default class IpamUsage extends ResultCommand<'IpamUsage'> {
  protected readonly kind = 'IpamUsage'
  protected override readonly envelope = ['context', 'backend'] as const
  static override summary = 'Address usage (used/free/total) per network or per label.'
  static override description =
    'Total counts usable addresses (without network, broadcast and gateway). A network with an active network-exhausted fault counts as full (free 0). A network with several labels counts under each.'
  static override examples = [
    '<%= config.bin %> ipam usage',
    '<%= config.bin %> ipam usage --by label',
    '<%= config.bin %> ipam usage --by label --json',
  ]
  static override flags = {
    by: Flags.string({
      description: 'Group rows by network or by label.',
      options: ['network', 'label'],
      default: 'network',
    }),
  }

  async run(): Promise<ResultOf<'IpamUsage'>> {
    const {flags} = await this.parse(IpamUsage)
    const by = flags.by as 'network' | 'label'
    const fabric = await this.openFabric(flags.context)
    const svc = await portService(fabric)
    const rows = await svc.usage(by)
    const sum = (k: 'used' | 'free' | 'total') => (by === 'network' ? rows.reduce((a, r) => a + r[k], 0) : 0)
    // By label a network may count twice; totals are per network.
    const totals =
      by === 'network' ? {used: sum('used'), free: sum('free'), total: sum('total')} : await totalsByNetwork(svc)
    return {by, rows, totals}
  }

  protected render({by, rows, totals}: ResultOf<'IpamUsage'>): string {
    return `${renderUsage(rows, by)}\n\ntotal: ${totals.used} used, ${totals.free} free of ${totals.total}`
  }
}

async function totalsByNetwork(
  svc: Awaited<ReturnType<typeof portService>>,
): Promise<{used: number; free: number; total: number}> {
  const rows = await svc.usage('network')
  return {
    used: rows.reduce((a, r) => a + r.used, 0),
    free: rows.reduce((a, r) => a + r.free, 0),
    total: rows.reduce((a, r) => a + r.total, 0),
  }
}
