import {Args, Flags} from '@oclif/core'

import {FabricCommand} from '../lib/cli/base-command.js'
import {EXIT} from '../lib/cli/exit-codes.js'

export default class Trace extends FabricCommand {
  static override summary = 'Trace a flow hop by hop through hosts, leaves and spines, and say where and why it breaks.'
  static override description = [
    "SRC and DST are ports (name, id or IP) or instance names. The path runs through each host's devices (vNIC, tap/veth, [qbr, qvb, qvo], br-int with the local VLAN, int-br-bond / phy-br-bond, br-bond, bond0, the member NIC the bond hashes the flow to) to the leaf, across a spine chosen by ECMP (in a hierarchical AZ: access, aggregation and the core gateway), and down to the other end.",
    'Each hop shows its VLAN/VNI and whether it passes; a dropped trace names the hop and a stable cause code (docs/trace.md). Simulated fabrics are traced from the store, faults included; live ones from Neutron, the hosts (ovs-vsctl, ovs-appctl ofproto/trace) and the leaves (FRR) over SSH.',
  ].join('\n\n')

  static override examples = [
    '<%= config.bin %> trace vm-az1-000009 vm-az1-000035',
    '<%= config.bin %> trace 10.16.0.2 10.16.0.13 --proto udp --dport 53 --format table',
    '<%= config.bin %> trace search-az1-000001 vm-az1-000036 --json | jq .disposition',
    '<%= config.bin %> trace lab-h1-i1 lab-h3-i1 --context lab',
  ]

  static override args = {
    src: Args.string({description: 'Source: port name, id or IP, or instance name.', required: true}),
    dst: Args.string({description: 'Destination: port name, id or IP, or instance name.', required: true}),
  }

  static override flags = {
    proto: Flags.string({description: 'Protocol of the flow.', options: ['tcp', 'udp', 'icmp'], default: 'tcp'}),
    sport: Flags.integer({
      description: 'Source port (tcp/udp; default 49152). Changes the ECMP and bond choices like a real flow.',
    }),
    dport: Flags.integer({description: 'Destination port (tcp/udp; default 80 for tcp, 53 for udp).'}),
    format: Flags.string({
      description: 'Output: diagram (default on a TTY), table (default otherwise), json (same as --json).',
      options: ['diagram', 'table', 'json'],
    }),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Trace)
    if (flags.format === 'json') this.jsonMode = true
    const {flowSpec, traceFlow} = await import('../lib/trace/index.js')
    const spec = flowSpec({proto: flags.proto, sport: flags.sport, dport: flags.dport})
    const fabric = await this.openFabric(flags.context)
    const trace = await traceFlow(fabric, args.src, args.dst, spec)
    const format = flags.format ?? (process.stdout.isTTY ? 'diagram' : 'table')
    const {renderTraceDiagram, renderTraceTable} = await import('../lib/trace/render.js')
    this.emit(trace, () =>
      format === 'diagram'
        ? renderTraceDiagram(trace, this.style, process.stdout.columns || 100)
        : renderTraceTable(trace, this.style),
    )
    this.finish(trace.disposition.result === 'delivered' ? EXIT.OK : EXIT.CHECK_FAILED)
  }
}
