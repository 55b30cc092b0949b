import {Args, Flags} from '@oclif/core'

import {FabricCommand} from '../../lib/cli/base-command.js'
import {EXIT_CODES_HELP} from '../../lib/cli/exit-codes.js'

export default class LeafConfig extends FabricCommand {
  static override summary =
    'Show the desired configuration of a leaf (derived from the ports on the hosts cabled to it).'
  static override description = `The desired state is never hand-edited: per network present under the leaf, the VLAN ↔ L2 VNI
mapping, EVPN route targets and the anycast gateway; per tenant VRF its L3 VNI; per host-facing
interface the VLANs allowed on it. In the simulated fabric it comes from the physical cabling; on
a live fabric from Neutron (ports and their binding:host_id) and the context's inventory.

--format frr shows what the leaf's driver renders: the FRR configuration (the leaf's running
configuration with the managed EVPN part replaced) and the kernel commands (iproute2) that take the
leaf from its running state to the desired one.

${EXIT_CODES_HELP}`

  static override examples = [
    '<%= config.bin %> leaf config az1-leaf01a',
    '<%= config.bin %> leaf config az1-leaf01a --format json',
    '<%= config.bin %> leaf config lab-leaf1 --context lab --format frr',
  ]

  static override args = {leaf: Args.string({description: 'Leaf name.', required: true})}
  static override flags = {
    format: Flags.string({description: 'Output format.', options: ['text', 'json', 'frr'], default: 'text'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(LeafConfig)
    const fabric = await this.openFabric(flags.context)
    const {openLeafService} = await import('../../lib/leaf/service.js')
    const {leafConfigText} = await import('../../lib/leaf/diff.js')
    const svc = await openLeafService(fabric)
    const [config] = await svc.targets({leaf: args.leaf}).then(() => Promise.all([svc.desired(args.leaf)]))
    const leaf = (await svc.leaves()).find(l => l.name === args.leaf)!
    const rendered = flags.format === 'frr' ? await svc.render(args.leaf) : null
    const text = leafConfigText(config!)
    const doc = {
      kind: 'LeafDesiredConfig',
      schemaVersion: 1,
      context: fabric.context.name,
      leaf: args.leaf,
      driver: leaf.driver,
      source: fabric.leafDrivers.desiredSource,
      config: config!,
      text,
      rendered,
    }
    if (flags.format === 'json' && !this.jsonMode) {
      process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`)
      return
    }
    this.emit(doc, () => {
      if (rendered) {
        return [
          ...rendered.notes.map(n => `# ${n}`),
          '# --- FRR configuration (candidate) ---',
          rendered.frr.trimEnd() || '# (none)',
          '# --- kernel (iproute2), running → desired ---',
          ...(rendered.kernel.length ? rendered.kernel : ['# (no change)']),
        ].join('\n')
      }
      return text.length ? text.join('\n') : `# ${args.leaf}: nothing to carry (no port on any host cabled to it)`
    })
  }
}
