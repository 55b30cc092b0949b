import {z} from 'zod'

import {interrupted} from './interrupt.js'
import {doc} from './model.js'

/** Output kinds of `fabricctl audit hosts` (docs/audit.md). */
const checkId = z.enum(['ovs', 'bridges', 'bpf', 'nic'])
const severity = z.enum(['info', 'warning', 'error'])
const verdict = z.enum(['ok', 'unknown', 'warning', 'error', 'unreachable'])
const sevCounts = z.object({info: z.number().int(), warning: z.number().int(), error: z.number().int(), unknown: z.number().int()})

export const finding = z.object({
  check: checkId,
  id: z.string().describe('stable id, e.g. ovs.known-bug.ovs-idle-lock-cpu'),
  severity,
  unknown: z.boolean().describe('the fact could not be read (severity warning): never a pass'),
  title: z.string(),
  evidence: z.array(z.object({source: z.string().describe('command, file or store column it was read from'), value: z.string()})),
  remediation: z.string().nullable(),
})

const nicFact = z.object({name: z.string(), speedMbps: z.number().nullable(), up: z.boolean().nullable(), switch: z.string().nullable(), interface: z.string().nullable()})

export const auditHost = z.object({
  host: z.string(), az: z.string().nullable(), address: z.string().nullable(), source: z.enum(['sim', 'local', 'ssh']),
  verdict: verdict.describe('worst finding; unreachable when the host could not be audited'),
  failure: z.object({code: z.string(), message: z.string(), hint: z.string().nullable()}).nullable(),
  elapsedMs: z.number().int(),
  checks: z.array(z.object({check: checkId, status: z.enum(['pass', 'unknown', 'warning', 'error', 'not-applicable'])})),
  findings: z.array(finding),
  facts: z.object({
    ovsVersion: z.string().nullable(), ovsRunning: z.boolean().nullable(), kernel: z.string().nullable(),
    instances: z.object({total: z.number().int(), direct: z.number().int(), qbr: z.number().int(), maxPathHops: z.number().int().nullable()}).nullable()
      .describe('br-int instance ports; devices on the dead VLAN (tag 4095) are not counted'),
    deadVlanDevices: z.array(z.object({
      device: z.string(),
      ifaceId: z.string().nullable().describe("the device's external_ids:iface-id; null: none set"),
    })).nullable().describe('br-int devices the OVS agent put on the dead VLAN (Port tag 4095): not instances (finding bridges.dead-vlan-devices); a tag not read is never dead; null: OVS not read'),
    nics: z.array(nicFact).nullable(),
    bond: z.object({
      name: z.string(),
      mode: z.string().nullable().describe('active-backup | balance-slb | balance-tcp (ovs-appctl bond/show); null: unknown, see unknown.mode'),
      lacp: z.string().nullable().describe('off | configured (not negotiated) | negotiated; null: unknown'),
      activeMember: z.string().nullable().describe('the member bond/show names as active; null: unknown or none'),
      unknown: z.record(z.string(), z.string()).describe('why a null fact is null'),
    }).nullable(),
  }).nullable(),
  instances: z.array(z.object({device: z.string(), plugging: z.enum(['direct', 'qbr']), pathHops: z.number().int(), iptablesRules: z.number().int().nullable()})).nullable(),
})

export const auditSchemas = {
  AuditHost: doc('AuditHost', auditHost.shape),
  AuditReport: doc('AuditReport', {
    context: z.string(), source: z.enum(['sim', 'local', 'ssh']), checks: z.array(checkId), failOn: z.enum(['warning', 'error']),
    catalogue: z.object({files: z.array(z.string()), bugs: z.array(z.object({id: z.string(), severity, affected: z.array(z.string())}))}),
    elapsedMs: z.number().int(), exitCode: z.union([z.number().int().min(0).max(5), z.literal(130)]).describe('0-5, or 130 when interrupted'),
    summary: z.object({
      hosts: z.number().int(), byVerdict: z.object({ok: z.number().int(), unknown: z.number().int(), warning: z.number().int(), error: z.number().int(), unreachable: z.number().int()}),
      findingsByCheck: z.object({ovs: sevCounts, bridges: sevCounts, bpf: sevCounts, nic: sevCounts}),
      instances: z.object({total: z.number().int(), direct: z.number().int(), qbr: z.number().int()}),
    }),
    hosts: z.array(auditHost),
    interrupted,
  }),
}
