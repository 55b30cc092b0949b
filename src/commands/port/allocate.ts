import {Flags} from '@oclif/core'

import {ResultCommand} from '../../lib/cli/base-command.js'
import {FabricError} from '../../lib/cli/errors.js'
import {EXIT, type ExitCode} from '../../lib/cli/exit-codes.js'
import {beforeUnit, watchInterrupts} from '../../lib/cli/interrupt.js'
import type {ResultOf} from '../../lib/cli/result.js'
import {capacityFlags, capacityGate} from '../../lib/capacity/gate.js'
import {portService} from '../../lib/ports/index.js'
import {renderAllocation} from '../../lib/ports/render.js'

export default class PortAllocate extends ResultCommand<'PortAllocation'> {
  protected readonly kind = 'PortAllocation'
  protected override readonly envelope = ['context', 'backend'] as const
  static override summary = 'Allocate ports (IP + MAC) from a network or from any network carrying a label.'
  static override description = `By label, any network with the label (in the AZ: --az, else the --host's AZ) will do:
the network with the most free addresses is used first (ties by name); a batch that does not fit
there continues in the next. When all are full the command fails naming the label, the networks
tried and their usage, and allocates nothing.

Names are unique. Allocating a name that exists returns the existing port unchanged (same IP and
MAC), marked created: false — a CNI retry or a pod drift gets the same address; --fail-if-exists
makes that an error (exit 4). --count N is one atomic batch: all N ports or none.
Network, broadcast and gateway addresses are never handed out.

With --host the port is also bound (the host_id step): exit 1 when a port does not reach
ACTIVE_ACTIVE (the reasons are printed; see \`port diagnose\`).`

  static override examples = [
    '<%= config.bin %> port allocate --label prod-env --az az1 --name checkout-7f9c',
    "<%= config.bin %> port allocate --label prod-env --count 50 --name-template 'web-{i}' --host az1-h0007",
    '<%= config.bin %> port allocate --network az1-prod-01 --name db-1 --ip 10.16.0.50',
    "<%= config.bin %> port allocate --label prod-env --count 500 --name-template 'job-{i}' --dry-run --json",
  ]

  static override flags = {
    network: Flags.string({description: 'Allocate from this network (name or id).'}),
    label: Flags.string({description: 'Allocate from any network carrying this label.'}),
    az: Flags.string({description: 'With --label: only networks in this AZ.'}),
    name: Flags.string({description: 'Port name (unique; an existing name returns that port).'}),
    'name-template': Flags.string({description: "Names for a batch: {i} is replaced by 1..N, e.g. 'web-{i}'."}),
    count: Flags.integer({description: 'Number of ports, allocated atomically (all or none).', default: 1}),
    host: Flags.string({description: 'Bind the new ports to this host (sets host_id; agent and controller react).'}),
    ip: Flags.string({description: 'Fixed IP for a single port (must be free and not reserved).'}),
    'fail-if-exists': Flags.boolean({
      description: 'Fail (exit 4) instead of returning an existing port of the same name.',
      default: false,
    }),
    ...capacityFlags,
    'max-changes': Flags.integer({
      description:
        'Refuse (exit 4, nothing applied) when the push to any one leaf would make more changes than this (as `leaf push --max-changes`).',
      min: 0,
    }),
    'dry-run': Flags.boolean({
      description: 'Show the network and IPs that would be used; change nothing.',
      default: false,
    }),
  }

  async run(): Promise<ResultOf<'PortAllocation'>> {
    const {flags} = await this.parse(PortAllocate)
    const fabric = await this.openFabric(flags.context)
    const svc = await portService(fabric)
    const request = {
      network: flags.network,
      label: flags.label,
      az: flags.az,
      name: flags.name,
      nameTemplate: flags['name-template'],
      count: flags.count,
      host: flags.host,
      ip: flags.ip,
      failIfExists: flags['fail-if-exists'],
      dryRun: flags['dry-run'],
      maxChanges: flags['max-changes'],
    }
    // Unbound ports take no leaf table entries: the gate only has something to check with --host.
    await capacityGate(fabric, this.openedContext(), flags, async () => {
      if (!flags.host) return []
      const network = flags.network
        ? (await fabric.inventory.networks()).find(n => n.name === flags.network || n.id === flags.network)?.name
        : undefined
      // with --label the service picks the network: its plan (a dry run) says which
      const planned = network ?? (await svc.allocate({...request, dryRun: true})).ports.find(p => p.created)?.network
      return planned ? [{network: planned, host: flags.host, count: flags.count}] : []
    })
    // SIGINT/SIGTERM: a batch is all-or-nothing. Before it starts, nothing is done; a simulated batch is one
    // transaction and completes; a live batch stops posting and deletes what it created. Then: report, exit 130.
    const watch = watchInterrupts('the allocation batch completes or is undone (it is all-or-nothing)')
    let r: Awaited<ReturnType<typeof svc.allocate>>
    try {
      await beforeUnit(`allocate ${flags.count}`)
      if (watch.signal) {
        throw new FabricError({
          code: 'INTERRUPTED',
          message: `Interrupted by ${watch.signal} before the batch started: nothing was allocated.`,
          value: flags.count,
          hint: 'Run the same command again to allocate the batch.',
          exitCode: EXIT.INTERRUPTED,
        })
      }
      r = await svc.allocate({...request, shouldStop: () => watch.signal !== undefined})
      await new Promise(resolve => setImmediate(resolve)) // a signal that arrived during a synchronous batch is handled now
    } finally {
      watch.dispose()
    }
    const interrupted =
      watch.signal && !r.dryRun
        ? {
            signal: watch.signal,
            notStarted: [],
            note: `${watch.signal} arrived while the batch was being written; the batch is all-or-nothing and completed: ${r.created} ports created, ${r.existing} already existed.`,
          }
        : undefined
    return {...r, ...(interrupted ? {interrupted} : {})}
  }

  protected render(r: ResultOf<'PortAllocation'>): string {
    return renderAllocation(r) + (r.interrupted ? `\n\n${r.interrupted.note}` : '')
  }

  protected override exitCode(r: ResultOf<'PortAllocation'>): ExitCode {
    if (r.interrupted) return EXIT.INTERRUPTED
    // A created port has a host only when --host bound it: exit 1 when such a port is not ACTIVE_ACTIVE.
    const notActive = !r.dryRun && r.ports.some(p => p.created && p.host !== null && p.state !== 'ACTIVE_ACTIVE')
    return notActive ? EXIT.CHECK_FAILED : EXIT.OK
  }
}
