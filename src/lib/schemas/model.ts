import {z} from 'zod'

/** zod mirrors of the domain model (src/lib/model/types.ts), used to publish JSON Schemas of outputs. */
export const planeState = z.enum(['DOWN', 'BUILD', 'ACTIVE', 'ERROR'])

export const nic = z.object({name: z.string(), switch: z.string(), interface: z.string(), speedMbps: z.number().int(), up: z.boolean().nullable().describe('null: not read (see the host\'s unknown.nics)')})

export const host = z.object({
  name: z.string(), az: z.string(), role: z.enum(['hypervisor', 'container', 'baremetal']), address: z.string().nullable(),
  ovsVersion: z.string().nullable().describe('null: no Open vSwitch (bare metal); "unknown" on a live host not yet audited'),
  ovsRunning: z.boolean().nullable().describe('null: not read (see unknown.ovsRunning)'), plugging: z.enum(['direct', 'qbr']), bond: z.string(), nics: z.array(nic),
  kernel: z.object({version: z.string(), config: z.record(z.string(), z.string()).nullable(), bpffsMounted: z.boolean().nullable(), jitEnabled: z.boolean().nullable()}),
  agentAlive: z.boolean().nullable(), agentHeartbeatAt: z.string().nullable(),
  unknown: z.record(z.string(), z.string()).optional().describe('why a null fact is null (field → reason); absent when every fact was read'),
})

/** A host's facts as `host show` prints them: a fact the backend did not read is null, and `unknown` says why. */
export const hostFacts = host.extend({
  ovsRunning: z.boolean().nullable(),
  nics: z.array(nic.extend({up: z.boolean().nullable()})),
  agentAlive: z.boolean().nullable(),
  agentHeartbeatAt: z.string().nullable(),
  unknown: z.record(z.string(), z.string()).optional().describe('fact path (e.g. ovsRunning, nics.eth0.up) → why it is unknown'),
})

export const switchSchema = z.object({
  name: z.string(), az: z.string(), role: z.enum(['spine', 'leaf', 'access', 'aggregation', 'core']), pair: z.string().nullable(),
  asn: z.number().int().nullable(), vtep: z.string().nullable(), address: z.string().nullable(), driver: z.string(),
})

export const network = z.object({
  id: z.string(), name: z.string(), az: z.string(), tenant: z.string(), cidr: z.string(), gateway: z.string(),
  vlan: z.number().int(), l2Vni: z.number().int().nullable(), labels: z.array(z.string()),
})

export const port = z.object({
  id: z.string(), name: z.string(), network: z.string(), ip: z.string(), mac: z.string(), host: z.string().nullable(), instance: z.string().nullable(),
  underlay: planeState, overlay: planeState, createdAt: z.string(), updatedAt: z.string(),
})

export const leafVni = z.object({
  vni: z.number().int(), vlan: z.number().int(), network: z.string(), vrf: z.string(), routeTarget: z.string(),
  gateway: z.object({address: z.string(), mac: z.string()}),
})

export const leafConfig = z.object({
  vnis: z.record(z.string(), leafVni),
  vrfs: z.record(z.string(), z.object({l3Vni: z.number().int()})),
  interfaces: z.record(z.string(), z.object({vlans: z.array(z.number().int())})),
})

export const faultKind = z.enum(['agent-down', 'ovs-down', 'nic-down', 'device-missing', 'controller-missing-port', 'stale-host-map', 'leaf-unreachable', 'push-fail', 'config-drift', 'network-exhausted', 'old-host-unreachable', 'stale-device', 'stale-foreign-device'])

/** Every output document starts with these. */
export function doc<K extends string, S extends z.ZodRawShape>(kind: K, shape: S) {
  return z.object({kind: z.literal(kind), schemaVersion: z.literal(1), ...shape})
}
