import {z} from 'zod'

import {interrupted} from './interrupt.js'
import {doc, planeState, port} from './model.js'

/** Output kinds of the port, network label and ipam commands (docs/ports.md). */
const state = z.string().regex(/^(DOWN|BUILD|ACTIVE|ERROR)_(DOWN|BUILD|ACTIVE|ERROR)$/).describe('UNDERLAY_OVERLAY')

export const portView = port.extend({
  state,
  neutron: z.object({status: z.string(), vifType: z.string().nullable(), networkId: z.string()}).optional().describe('live backend only: Neutron\'s status and binding:vif_type'),
})

const leafTouch = z.object({
  leaf: z.string(), side: z.enum(['old', 'new', 'both']), ok: z.boolean(), changed: z.boolean(), error: z.string().optional(), cause: z.string().optional(),
})

const networkUsage = z.object({
  name: z.string(), az: z.string(), cidr: z.string(), labels: z.array(z.string()), used: z.number().int(), total: z.number().int(), free: z.number().int(), exhausted: z.boolean(),
})

const allocatedPort = z.object({
  id: z.string().nullable().describe('null in a dry run for a port that would be created'),
  name: z.string(), network: z.string(), ip: z.string().nullable().describe('null in a live dry run: Neutron picks addresses when it creates the port'), mac: z.string().nullable(), host: z.string().nullable(),
  underlay: planeState, overlay: planeState, state, created: z.boolean().describe('false: the name existed; this is the existing port, unchanged'),
  reasons: z.array(z.string()).optional(),
})

const migrateSide = z.object({host: z.string().nullable(), ip: z.string(), mac: z.string(), state, device: z.string().nullable()})

const fence = z.object({
  oldHost: z.string().nullable(), newHost: z.string(), fenceUnreachable: z.boolean().describe('--fence-unreachable was given'),
  before: z.object({read: z.boolean(), devices: z.array(z.string()), reason: z.string().nullable(), source: z.string().nullable()}).describe("the old host's devices carrying the port's iface-id, read before any change"),
  status: z.enum(['clean', 'unwired', 'still-wired', 'unknown', 'not-applicable', 'planned']).describe("the old host after the move: no device left (clean), the port's device removed (unwired), a device still carries the iface-id (still-wired, exit 3), not readable (unknown, see reason)"),
  reason: z.string().nullable(),
  devices: z.array(z.object({
    device: z.string(), bridge: z.string().nullable(), ofport: z.number().int().nullable(), attachedMac: z.string().nullable(),
    ours: z.boolean().describe('plugged for this port: on br-int with its iface-id and attached-mac; only such a device is removed'), why: z.string(),
    action: z.enum(['unplugged', 'left', 'unplug-failed', 'would-unplug', 'present-before']), error: z.string().optional(),
  })),
  leaves: z.object({
    status: z.enum(['clean', 'stale', 'unknown', 'not-checked']).describe("stale: the MAC is still learned on the old host's leaf port after the wait (exit 3)"),
    reason: z.string().nullable(), mac: z.string(),
    seen: z.array(z.object({leaf: z.string(), interface: z.string(), origin: z.enum(['local', 'remote']), vtep: z.string().nullable(), source: z.string(), where: z.enum(['new-host', 'old-host', 'other'])})),
    unread: z.array(z.object({leaf: z.string(), reason: z.string()})), waitedMs: z.number().int().describe('from the first read of the leaves to the last (reads and waits)'),
  }),
  warnings: z.array(z.string()),
  elapsedMs: z.object({before: z.number().int(), oldHost: z.number().int(), leaves: z.number().int()}).describe('time each part of the fence took: the read before the move, the old host after it (read, removals, read-back), the leaf check (reads and waits)'),
  codes: z.array(z.string()).describe('OLD_HOST_STILL_WIRED, OLD_HOST_MAC_ON_LEAF, FENCE_STEP_FAILED (exit 3); OLD_HOST_UNREAD (warning)'),
}).describe('drift fencing: the same IP and MAC never live on two hosts (docs/ports.md)')

const common = {context: z.string(), backend: z.enum(['sim', 'live'])}
const planStep = z.object({
  id: z.string().describe('stable step id (the failure-injection hook names it)'),
  kind: z.enum(['neutron', 'store', 'host', 'controller', 'leaf', 'record']),
  action: z.string(), undo: z.string().nullable().describe('what undoes the step; null when nothing needs undoing'),
})
const plan = z.object({
  operation: z.enum(['bind', 'migrate', 'release', 'allocate']), subject: z.string(), steps: z.array(planStep),
  leaves: z.array(z.string()).describe('the leaves the operation pushes'),
}).optional().describe('the ordered steps: what --dry-run prints is what the real run executes')
const finding = z.object({subject: z.string(), message: z.string(), evidence: z.record(z.string(), z.unknown()).optional()})
const leakCriteria = z.object({
  graceMs: z.number().int().min(0).describe('an orphaned port is reported once its device has been missing this long'),
  unboundOlderThanMs: z.number().int().min(0).nullable().describe('unbound ports unchanged this long are reported; null: off'),
})
const leakedPort = z.object({
  id: z.string().min(1), name: z.string(), ip: z.string(), mac: z.string(), network: z.string(), host: z.string().nullable(),
  kind: z.enum(['orphaned-port', 'unbound-past-age']),
  since: z.string().describe('since when the port has been in this state (ISO 8601)'),
  sinceSource: z.enum(['device-last-seen', 'port-updated-at']).describe('device-last-seen: when the backend last saw its device; port-updated-at: the port\'s last change (its binding), when the device\'s last sighting is not known'),
  ageMs: z.number().int(), message: z.string(),
})
const unknownPort = z.object({id: z.string(), name: z.string(), host: z.string(), reason: z.string()})
const overlayRecord = z.enum(['store', 'data_plane_status', 'port-tag', 'none']).describe('where the overlay plane is recorded: the sim store, Neutron data_plane_status, a fabricctl-overlay port tag (no data_plane_status), or nowhere')

export const portSchemas = {
  PortAllocation: doc('PortAllocation', {
    ...common, dryRun: z.boolean(), policy: z.string(), candidates: z.array(networkUsage), ports: z.array(allocatedPort),
    created: z.number().int(), existing: z.number().int(), leaves: z.array(leafTouch),
    interrupted, plan,
  }),
  PortBinding: doc('PortBinding', {
    ...common, dryRun: z.boolean(), port: portView, before: z.object({host: z.string().nullable(), state}), host: z.string(), device: z.string().nullable(),
    leaves: z.array(leafTouch), reasons: z.array(z.string()), plan,
  }),
  PortMigration: doc('PortMigration', {
    ...common, dryRun: z.boolean(), changed: z.boolean(), port: portView, before: migrateSide, after: migrateSide, leaves: z.array(leafTouch), reasons: z.array(z.string()), plan, fence,
  }),
  PortRelease: doc('PortRelease', {
    ...common, dryRun: z.boolean(),
    released: z.array(z.object({id: z.string(), name: z.string(), ip: z.string(), network: z.string(), host: z.string().nullable(), device: z.string().nullable()})),
    leaves: z.array(leafTouch), plan,
  }),
  PortDetail: doc('PortDetail', {
    ...common, port: portView, overlayRecord,
    network: z.object({name: z.string(), id: z.string(), az: z.string(), cidr: z.string(), gateway: z.string(), vlan: z.number().int(), l2Vni: z.number().int().nullable(), labels: z.array(z.string())}).nullable(),
    evidence: z.object({
      device: z.object({host: z.string(), device: z.string(), localVlan: z.number().int(), ofport: z.number().int()}).nullable(),
      controller: z.object({host: z.string().nullable(), ip: z.string(), mac: z.string()}).nullable(),
      leaves: z.array(z.string()),
    }).nullable().describe('null on the live backend (see `port diagnose`)'),
  }),
  PortList: doc('PortList', {
    ...common, ports: z.array(portView), limit: z.number().int(), next: z.string().nullable().describe('pass as --after to get the next page; null on the last page'),
  }),
  NetworkLabelChange: doc('NetworkLabelChange', {
    ...common, dryRun: z.boolean(), action: z.enum(['add', 'remove']), network: z.string(), label: z.string(), changed: z.boolean(), labels: z.array(z.string()),
  }),
  IpamUsage: doc('IpamUsage', {
    ...common, by: z.enum(['network', 'label']),
    rows: z.array(z.object({name: z.string(), azs: z.array(z.string()), networks: z.array(z.string()), used: z.number().int(), free: z.number().int(), total: z.number().int(), exhausted: z.number().int()})),
    totals: z.object({used: z.number().int(), free: z.number().int(), total: z.number().int()}),
  }),
  IpamCheck: doc('IpamCheck', {
    ...common, ok: z.boolean(),
    checks: z.array(z.object({
      name: z.enum(['duplicate-ips', 'duplicate-names', 'bad-addresses', 'unknown-hosts', 'missing-controller-record', 'stale-controller-record', 'leaf-config-without-port', 'orphaned-port', 'unbound-past-age']),
      description: z.string(), status: z.enum(['ok', 'failed', 'skipped', 'unknown']), reason: z.string().optional(), count: z.number().int(),
      findings: z.array(finding),
      unknown: z.array(finding).optional().describe('subjects that could not be checked (e.g. a host that could not be read), each with the reason'),
      unknownCount: z.number().int().optional(),
    })),
  }),
  IpamGc: doc('IpamGc', {
    ...common, dryRun: z.boolean(),
    source: z.enum(['scan', 'report']).describe('scan: leaks found now; report: the ports of a --from-report file, each re-checked'),
    reportFile: z.string().nullable().describe('the report written (-o) or read (--from-report)'),
    criteria: leakCriteria,
    found: z.array(leakedPort).describe('the leaked ports found (scan) or listed in the report'),
    unknown: z.array(unknownPort).describe('ports whose host could not be read: never released'),
    plan,
    released: z.array(z.object({id: z.string(), name: z.string(), ip: z.string(), network: z.string(), host: z.string().nullable(), device: z.string().nullable()})),
    skipped: z.array(z.object({id: z.string(), name: z.string(), reason: z.string()})).describe('re-checked and found no longer leaked (or not checkable): not released'),
    failed: z.array(z.object({id: z.string(), name: z.string(), code: z.string(), error: z.string()})).describe('releases that failed; the port is as it was unless the error says otherwise'),
    leaves: z.array(leafTouch),
  }),
  IpamGcReport: doc('IpamGcReport', {
    context: z.string(), backend: z.enum(['sim', 'live']), generatedAt: z.string().describe('the fabric clock when the leaks were found'),
    criteria: leakCriteria, scope: z.object({host: z.string().nullable(), namePrefix: z.string().nullable()}),
    ports: z.array(leakedPort),
  }),
}
