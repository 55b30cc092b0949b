import {z} from 'zod'

import {doc, faultKind, hostFacts, leafConfig, network, switchSchema} from './model.js'

const counts = z.record(z.string(), z.number().int())

export const foundationSchemas = {
  Error: z.object({
    kind: z.literal('Error'), schemaVersion: z.literal(1),
    error: z.object({code: z.string(), message: z.string(), value: z.unknown().optional(), hint: z.string().optional(), details: z.record(z.string(), z.unknown()).optional(), exitCode: z.union([z.number().int().min(1).max(7), z.literal(130)])}),
  }),
  SimFabric: doc('SimFabric', {
    context: z.string(), file: z.string(), profile: z.enum(['small', 'seed', 'x5']), seed: z.number().int().min(0).max(4_294_967_295), topology: z.enum(['spine-leaf', 'hierarchical']),
    summary: z.object({azs: z.number().int(), switches: z.number().int(), hosts: z.number().int(), networks: z.number().int(), instances: z.number().int(), ports: z.number().int()}),
    elapsedMs: z.number(),
  }),
  Fault: doc('Fault', {fault: z.object({id: z.number().int(), kind: faultKind, target: z.string(), params: z.record(z.string(), z.unknown()), createdAt: z.string()})}),
  FaultList: doc('FaultList', {faults: z.array(z.object({id: z.number().int(), kind: faultKind, target: z.string(), params: z.record(z.string(), z.unknown()), createdAt: z.string()}))}),
  FaultsCleared: doc('FaultsCleared', {cleared: z.array(z.object({id: z.number().int(), kind: faultKind, target: z.string()}))}),
  ContextList: doc('ContextList', {
    file: z.string(), current: z.string(),
    contexts: z.array(z.object({name: z.string(), backend: z.enum(['sim', 'live']), current: z.boolean(), neutron: z.string().nullable(), hosts: z.number().int().nullable(), leaves: z.number().int().nullable()})),
  }),
  Context: doc('Context', {current: z.boolean(), context: z.object({name: z.string(), backend: z.enum(['sim', 'live'])}).loose()}),
  ContextSwitched: doc('ContextSwitched', {current: z.string(), file: z.string()}),
  Topology: doc('Topology', {
    context: z.string(), backend: z.enum(['sim', 'live']),
    fabric: z.object({profile: z.string().nullable(), seed: z.number().int().nullable()}),
    azs: z.array(z.object({
      name: z.string(), topology: z.enum(['spine-leaf', 'hierarchical']), switches: counts, leafPairs: z.number().int(),
      hosts: z.object({total: z.number().int(), byRole: counts, legacyPlugging: z.number().int()}),
      networks: z.number().int(), labels: z.array(z.string()), instances: counts.nullable(),
      ports: z.object({total: z.number().int(), byState: counts}).nullable(), maxInstancesPerHost: z.number().int().nullable(),
    })),
    totals: z.object({azs: z.number().int(), switches: z.number().int(), hosts: z.number().int(), networks: z.number().int(), instances: z.number().int().nullable(), ports: z.number().int().nullable()}),
  }),
  HostList: doc('HostList', {context: z.string(), hosts: z.array(hostFacts)}),
  Host: doc('Host', {context: z.string(), host: hostFacts, ports: z.number().int().nullable()}),
  NetworkList: doc('NetworkList', {context: z.string(), networks: z.array(network.extend({used: z.number().int().nullable(), size: z.number().int().nullable()}))}),
  Network: doc('Network', {context: z.string(), network: network.extend({used: z.number().int().nullable(), size: z.number().int().nullable()})}),
  LeafList: doc('LeafList', {context: z.string(), leaves: z.array(switchSchema.extend({hosts: z.number().int()}))}),
  Leaf: doc('Leaf', {
    context: z.string(), leaf: switchSchema,
    hosts: z.array(z.object({host: z.string(), nic: z.string(), interface: z.string(), speedMbps: z.number().int(), up: z.boolean().nullable().describe('null: not read')})),
    running: leafConfig.nullable(),
  }),
}
