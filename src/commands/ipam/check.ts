import {FabricCommand} from '../../lib/cli/base-command.js'
import {EXIT} from '../../lib/cli/exit-codes.js'
import {portService} from '../../lib/ports/index.js'
import {renderCheck} from '../../lib/ports/render.js'

export default class IpamCheck extends FabricCommand {
  static override summary =
    'Check IPAM consistency: duplicate IPs, unknown hosts, missing controller records, leftover leaf config.'
  static override description = `Checks: duplicate-ips (one IP held twice in a tenant), bad-addresses (outside the network or
reserved), unknown-hosts (bound to a host the fabric does not know), missing-controller-record,
stale-controller-record (the controller's host/IP/MAC disagree, or it keeps a released port),
leaf-config-without-port (a leaf interface VLAN or VNI with no port behind it).
On the live backend the controller and leaf checks are skipped (with the reason).
Exit 1 when any check fails.`

  static override examples = ['<%= config.bin %> ipam check', '<%= config.bin %> ipam check --json']

  async run(): Promise<void> {
    const {flags} = await this.parse(IpamCheck)
    const fabric = await this.openFabric(flags.context)
    const svc = await portService(fabric)
    const r = await svc.check()
    this.emit({kind: 'IpamCheck', schemaVersion: 1, context: fabric.context.name, backend: svc.backend, ...r}, () =>
      renderCheck(r),
    )
    this.finish(r.ok ? EXIT.OK : EXIT.CHECK_FAILED)
  }
}
