import {ResultCommand} from '../../lib/cli/base-command.js'
import {EXIT, type ExitCode} from '../../lib/cli/exit-codes.js'
import {durationFlag, hostReadFlags} from '../../lib/cli/flags.js'
import type {ResultOf} from '../../lib/cli/result.js'
import {portService} from '../../lib/ports/index.js'
import {DEFAULT_GRACE_MS, leakCheckItems, scanLeaks} from '../../lib/ports/leaks.js'
import {renderCheck} from '../../lib/ports/render.js'

export default class IpamCheck extends ResultCommand<'IpamCheck'> {
  protected readonly kind = 'IpamCheck'
  protected override readonly envelope = ['context', 'backend'] as const
  static override summary =
    'Check IPAM consistency: duplicate IPs, unknown hosts, controller records, leftover leaf config, leaked ports.'
  static override description = `Checks: duplicate-ips (one IP held twice in a tenant), bad-addresses (outside the network or
reserved), unknown-hosts (bound to a host the fabric does not know), missing-controller-record,
stale-controller-record (the controller's host/IP/MAC disagree, or it keeps a released port),
leaf-config-without-port (a leaf interface VLAN or VNI with no port behind it),
orphaned-port (bound to a host where no OVS interface carries its iface-id for longer than --grace; the
clock starts when its device was last seen where the backend knows it, else at the port's last change,
its binding: each finding says which), unbound-past-age (unbound and unchanged for longer than
--unbound-older-than; off by default). A host that cannot be read makes its ports unknown, never orphaned.
On the live backend the controller and leaf checks are skipped (with the reason).
Exit 1 when any check fails; 3 when none failed but some ports could not be checked (unknown).
\`ipam gc\` releases the leaked ports.`

  static override examples = [
    '<%= config.bin %> ipam check',
    '<%= config.bin %> ipam check --grace 5m --unbound-older-than 7d',
    '<%= config.bin %> ipam check --grace 0s --json',
  ]

  static override flags = {
    grace: durationFlag('grace', {
      description: 'Report a bound port without a device once it has been missing this long (e.g. 15m, 0s).',
      defaultMs: DEFAULT_GRACE_MS,
    }),
    'unbound-older-than': durationFlag('unbound-older-than', {
      description: 'Also report unbound ports unchanged for longer than this (off by default).',
    }),
    ...hostReadFlags(),
  }

  async run(): Promise<ResultOf<'IpamCheck'>> {
    const {flags} = await this.parse(IpamCheck)
    const fabric = await this.openFabric(flags.context)
    const svc = await portService(fabric)
    const r = await svc.check()
    const scan = await scanLeaks(
      fabric,
      svc,
      {graceMs: flags.grace ?? DEFAULT_GRACE_MS, unboundOlderThanMs: flags['unbound-older-than'] ?? null},
      {},
      {concurrency: flags.concurrency, timeoutMs: flags.timeout},
    )
    r.checks.push(...leakCheckItems(scan))
    r.ok = r.checks.every(c => c.status !== 'failed')
    return r
  }

  protected render(r: ResultOf<'IpamCheck'>): string {
    return renderCheck(r)
  }

  protected override exitCode(r: ResultOf<'IpamCheck'>): ExitCode {
    return !r.ok ? EXIT.CHECK_FAILED : r.checks.some(c => c.status === 'unknown') ? EXIT.PARTIAL : EXIT.OK
  }
}
