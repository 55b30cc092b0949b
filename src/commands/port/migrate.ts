import {Args, Flags} from '@oclif/core'

import {ResultCommand} from '../../lib/cli/base-command.js'
import {EXIT, type ExitCode} from '../../lib/cli/exit-codes.js'
import type {ResultOf} from '../../lib/cli/result.js'
import {capacityFlags, capacityGate} from '../../lib/capacity/gate.js'
import {parseDuration, timeoutFlag} from '../../lib/cli/flags.js'
import {fencedMigrate, fenceExit} from '../../lib/ports/fence.js'
import {portService} from '../../lib/ports/index.js'
import {renderMigration} from '../../lib/ports/render.js'

export default class PortMigrate extends ResultCommand<'PortMigration'> {
  protected readonly kind = 'PortMigration'
  protected override readonly envelope = ['context', 'backend'] as const
  static override summary = 'Move a port to another host keeping its IP and MAC (pod drift).'
  static override description = `The old device leaves the old host's br-int, the new host is bound (BUILD_BUILD, then the
agent and controller react), the old host's leaf interfaces lose the network's VLAN when no port
of it remains there, and the new host's leaf interfaces get it. The result shows the host, IP,
MAC and state before and after, and every leaf touched.

Drift fencing (the same IP and MAC never live on two hosts): before any change the old host's
OVS is read for interfaces whose external_ids:iface-id is the port; after the move it is read
again, and a device still carrying the iface-id is removed when it was plugged for this port (on
br-int, with the port's iface-id and attached-mac), otherwise left and reported
(OLD_HOST_STILL_WIRED, exit 3). Then the leaves of both hosts must learn the MAC only on the new
host's interfaces (bridge fdb, EVPN MACs), waiting up to --fence-wait (OLD_HOST_MAC_ON_LEAF, exit 3).

An old host that cannot be read refuses the move before anything changes (OLD_HOST_UNREACHABLE,
exit 4). --fence-unreachable moves it anyway: use it only when the old host is known to be down
or isolated; if it still runs, its device keeps the same IP and MAC live there (duplicate address,
MAC flapping between leaf ports) until it is removed by hand.

Refuses an unknown host, or one in another AZ (exit 2). Exit 1 when the port does not end
ACTIVE_ACTIVE; exit 3 when it did but cleaning an old leaf failed, or fencing found the old host
still wired. PORT is a name, id or IP.`

  static override examples = [
    '<%= config.bin %> port migrate checkout-7f9c --to-host az1-h0012',
    '<%= config.bin %> port migrate 10.16.0.23 --to-host az1-h0012 --dry-run',
    '<%= config.bin %> port migrate checkout-7f9c --to-host az1-h0012 --json',
    '<%= config.bin %> port migrate checkout-7f9c --to-host az1-h0012 --fence-unreachable  # old host powered off',
  ]

  static override args = {port: Args.string({description: 'Port name, id or IP.', required: true})}
  static override flags = {
    'to-host': Flags.string({description: 'Destination host (same AZ).', required: true}),
    ...capacityFlags,
    'max-changes': Flags.integer({
      description:
        'Refuse (exit 4, nothing applied) when the push to any one leaf would make more changes than this (as `leaf push --max-changes`).',
      min: 0,
    }),
    'fence-unreachable': Flags.boolean({
      description:
        'Move even when the old host cannot be read. Risk: if it still runs, the same IP and MAC stay live there until its device is removed.',
      default: false,
    }),
    'fence-wait': Flags.custom<number>({
      parse: async raw => parseDuration(raw, '--fence-wait', {minMs: 0, maxMs: 600_000, bare: 's'}),
    })({
      description: "How long to wait for the MAC to leave the old host's leaf port (e.g. 10s, 0 to not wait).",
      default: 10_000,
    }),
    timeout: timeoutFlag({
      description:
        'Per exchange with the old host (read, remove a device): a duration, e.g. 15s or 1500ms; a bare number is ms.',
      defaultMs: 15_000,
      minMs: 100,
      bare: 'ms',
    }),
    'dry-run': Flags.boolean({description: 'Show the move (state, leaves) without changing anything.', default: false}),
  }

  async run(): Promise<ResultOf<'PortMigration'>> {
    const {args, flags} = await this.parse(PortMigrate)
    const fabric = await this.openFabric(flags.context)
    const svc = await portService(fabric)
    await capacityGate(fabric, this.openedContext(), flags, async () => {
      const {port} = await svc.show(args.port)
      return [
        {network: port.network, host: flags['to-host'], count: 1},
        ...(port.host ? [{network: port.network, host: port.host, count: -1}] : []),
      ]
    })
    return fencedMigrate(fabric, svc, args.port, flags['to-host'], {
      dryRun: flags['dry-run'],
      maxChanges: flags['max-changes'],
      fenceUnreachable: flags['fence-unreachable'],
      timeoutMs: flags.timeout,
      leafWaitMs: flags['fence-wait'],
    })
  }

  protected render(r: ResultOf<'PortMigration'>): string {
    return renderMigration(r)
  }

  protected override exitCode(r: ResultOf<'PortMigration'>): ExitCode {
    if (r.dryRun) return EXIT.OK
    if (fenceExit(r.fence) !== null) return EXIT.PARTIAL
    if (r.port.state !== 'ACTIVE_ACTIVE') return EXIT.CHECK_FAILED
    return r.leaves.some(l => !l.ok) ? EXIT.PARTIAL : EXIT.OK
  }
}
