import {z} from 'zod'

import {CAUSE_CODES} from '../trace/types.js'
import {doc} from './model.js'

/** The `Trace` document (`fabricctl trace --json`); mirrors src/lib/trace/types.ts. */
const cause = z.enum(CAUSE_CODES)
const nodeKind = z.enum(['host', 'spine', 'leaf', 'access', 'aggregation', 'core'])

const encap = z.object({
  vlan: z.number().int().nullable().describe('802.1Q tag the frame carries at this device (null: untagged)'),
  vni: z.number().int().nullable().describe('VXLAN VNI: L2 VNI when bridged, L3 VNI when routed between leaves'),
  vrf: z.string().nullable(),
  outer: z.object({srcVtep: z.string(), dstVtep: z.string(), udpSrcPort: z.number().int(), udpDstPort: z.number().int()}).nullable(),
})

const hop = z.object({
  n: z.number().int().min(1),
  node: z.string().describe('host or switch name'),
  nodeKind,
  device: z.string(),
  kind: z.enum(['vnic', 'tap', 'veth', 'linux-bridge', 'ovs-bridge', 'ovs-patch', 'bond', 'nic', 'switch-port', 'leaf', 'spine', 'access', 'aggregation', 'core']),
  plane: z.enum(['underlay', 'overlay']),
  segment: z.enum(['src-end', 'fabric', 'dst-end']),
  encap,
  action: z.string(),
  status: z.enum(['ok', 'drop', 'not-reached']),
  cause: cause.nullable(),
  reason: z.string().nullable(),
  evidence: z.string().nullable(),
  unknown: z.string().optional().describe('what this hop could not establish, and why (absent: nothing)'),
})

const endpoint = z.object({
  ref: z.string(),
  port: z.object({id: z.string(), name: z.string(), ip: z.string(), mac: z.string(), network: z.string(), state: z.string()}),
  instance: z.string().nullable(),
  instanceKind: z.enum(['vm', 'container', 'baremetal']).nullable(),
  host: z.string().nullable(),
  plugging: z.enum(['direct', 'qbr', 'baremetal']).nullable(),
  network: z.object({name: z.string(), tenant: z.string(), vrf: z.string().nullable(), vlan: z.number().int(), l2Vni: z.number().int().nullable(), l3Vni: z.number().int().nullable()}),
})

export const traceSchemas = {
  Trace: doc('Trace', {
    context: z.string(),
    backend: z.enum(['sim', 'live']),
    az: z.string(),
    topology: z.enum(['spine-leaf', 'hierarchical']),
    flow: z.object({proto: z.enum(['tcp', 'udp', 'icmp']), srcIp: z.string(), dstIp: z.string(), sport: z.number().int(), dport: z.number().int()}),
    src: endpoint,
    dst: endpoint,
    route: z.enum(['local', 'bridged', 'routed', 'none']),
    hops: z.array(hop),
    disposition: z.discriminatedUnion('result', [
      z.object({result: z.literal('delivered'), hop: z.null(), node: z.null(), device: z.null(), cause: z.null(), reason: z.null()}),
      z.object({result: z.literal('dropped'), hop: z.number().int().min(1), node: z.string(), device: z.string(), cause, reason: z.string()}),
    ]),
    ecmp: z.object({candidates: z.array(z.string()), chosen: z.string().nullable(), outerUdpSrcPort: z.number().int(), hash: z.string()}).nullable(),
    summary: z.object({hostHops: z.number().int(), switchHops: z.number().int(), totalHops: z.number().int(), complete: z.boolean()}),
    warnings: z.array(z.string()),
  }),
}
