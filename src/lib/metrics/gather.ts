import type {Fabric} from '../fabric.js'
import type {VerifiedCounts} from './verified.js'

/**
 * One gather: everything the Prometheus series show, read once into a plain (structured-clone
 * safe) snapshot. The exporter runs it in a worker thread every --interval and serves the last
 * snapshot to every scrape; `--output prometheus` runs it once in-process. Each part is timed and
 * fails on its own: a failed part keeps its error, and its series are dropped (stale) while the
 * other parts' series are still served.
 */

export const PARTS = ['ports', 'verify', 'audit', 'leaves'] as const
export type Part = (typeof PARTS)[number]

export interface PartOutcome<T> {
  ok: boolean
  durationMs: number
  /** Set when ok is false. */
  error?: string
  data?: T
}

export interface PortsData {
  byAz: {az: string; state: string; count: number}[]
  byLeaf: {az: string; leaf: string; state: string; count: number}[]
}

export interface VerifyData {
  byAz: {az: string; counts: VerifiedCounts}[]
  byLeaf: {az: string; leaf: string; counts: VerifiedCounts}[]
}

export interface AuditData {
  hosts: number
  findings: {check: string; severity: string; count: number}[]
  verdicts: {verdict: string; count: number}[]
}

export interface LeavesData {
  leaves: {leaf: string; az: string; status: 'in-sync' | 'drift' | 'unreachable'}[]
}

export interface Snapshot {
  context: string
  backend: 'sim' | 'live'
  /** ISO time the gather started. */
  at: string
  ports?: PartOutcome<PortsData>
  verify?: PartOutcome<VerifyData>
  audit?: PartOutcome<AuditData>
  leaves?: PartOutcome<LeavesData>
}

export interface GatherOptions {
  parts: readonly Part[]
  /** Audit: hosts at once and per-host budget (live SSH). */
  auditConcurrency?: number
  auditTimeoutMs?: number
  /** Leaves verified at once (live: SSH). */
  leafConcurrency?: number
}

async function timed<T>(fn: () => Promise<T>): Promise<PartOutcome<T>> {
  const t0 = performance.now()
  try {
    const data = await fn()
    return {ok: true, durationMs: performance.now() - t0, data}
  } catch (error) {
    return {ok: false, durationMs: performance.now() - t0, error: (error as Error).message || String(error)}
  }
}

export async function gatherPorts(fabric: Fabric): Promise<PortsData> {
  const {UNBOUND} = await import('../diagnose/states.js')
  const [az, leaf, switches] = await Promise.all([
    fabric.states.portStates('az'),
    fabric.states.portStates('leaf'),
    fabric.inventory.switches(),
  ])
  const leafAz = new Map(switches.map(s => [s.name, s.az]))
  return {
    byAz: az.groups.flatMap(g => Object.entries(g.states).map(([state, count]) => ({az: g.key, state, count}))),
    byLeaf: leaf.groups
      .filter(g => g.key !== UNBOUND && leafAz.has(g.key))
      .flatMap(g =>
        Object.entries(g.states).map(([state, count]) => ({az: leafAz.get(g.key)!, leaf: g.key, state, count})),
      ),
  }
}

export async function gatherVerify(fabric: Fabric): Promise<VerifyData> {
  const {verifyPorts} = await import('./verified.js')
  const {UNBOUND} = await import('../diagnose/states.js')
  const r = await verifyPorts(fabric, ['az', 'leaf'])
  return {
    byAz: [...r.groups.az!].map(([az, g]) => ({az, counts: g.verified})),
    byLeaf: [...r.groups.leaf!]
      .filter(([leaf]) => leaf !== UNBOUND && r.leafAz.has(leaf))
      .map(([leaf, g]) => ({az: r.leafAz.get(leaf)!, leaf, counts: g.verified})),
  }
}

export async function gatherAudit(
  fabric: Fabric,
  opts: {concurrency?: number; timeoutMs?: number; hosts?: string[]; az?: string} = {},
): Promise<AuditData> {
  const [{loadCatalogue}, {runAudit, DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT_MS}, {CHECK_IDS}] = await Promise.all([
    import('../audit/catalogue.js'),
    import('../audit/run.js'),
    import('../audit/types.js'),
  ])
  const r = await runAudit(
    {open: async () => fabric},
    {
      hosts: opts.hosts ?? [],
      az: opts.az,
      local: false,
      checks: [...CHECK_IDS],
      failOn: 'error',
      concurrency: opts.concurrency ?? DEFAULT_CONCURRENCY,
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      catalogue: loadCatalogue([]),
    },
  )
  return auditData(r.summary)
}

/** The audit series from an audit summary (shared with `audit hosts --output prometheus`). */
export function auditData(s: import('../audit/run.js').AuditSummary): AuditData {
  return {
    hosts: s.hosts,
    findings: Object.entries(s.findingsByCheck).flatMap(([check, bySev]) =>
      Object.entries(bySev).map(([severity, count]) => ({check, severity, count})),
    ),
    verdicts: Object.entries(s.byVerdict).map(([verdict, count]) => ({verdict, count})),
  }
}

export async function gatherLeaves(fabric: Fabric, concurrency = 8): Promise<LeavesData> {
  const {openLeafService, mapLimit} = await import('../leaf/service.js')
  const svc = await openLeafService(fabric)
  try {
    const all = (await svc.leaves()).filter(s => s.role === 'leaf')
    const results = await mapLimit(all, concurrency, l => svc.verify(l.name))
    return {
      leaves: results.map((r, i) => ({
        leaf: r.leaf,
        az: all[i]!.az,
        status: r.status === 'in-sync' ? 'in-sync' : r.status === 'differs' ? 'drift' : 'unreachable',
      })),
    }
  } finally {
    svc.close()
  }
}

export async function gather(fabric: Fabric, opts: GatherOptions): Promise<Snapshot> {
  const snap: Snapshot = {context: fabric.context.name, backend: fabric.info.backend, at: new Date().toISOString()}
  // Sequential on purpose: a gather's cost is the sum of its parts, never a burst of all at once.
  for (const p of PARTS) {
    if (!opts.parts.includes(p)) continue
    if (p === 'ports') snap.ports = await timed(() => gatherPorts(fabric))
    else if (p === 'verify') snap.verify = await timed(() => gatherVerify(fabric))
    else if (p === 'audit')
      snap.audit = await timed(() =>
        gatherAudit(fabric, {concurrency: opts.auditConcurrency, timeoutMs: opts.auditTimeoutMs}),
      )
    else snap.leaves = await timed(() => gatherLeaves(fabric, opts.leafConcurrency))
  }
  return snap
}

/** Every requested part failed with the same reason (the worker died, the gather timed out). */
export function failedSnapshot(
  context: string,
  backend: 'sim' | 'live',
  parts: readonly Part[],
  durationMs: number,
  error: string,
): Snapshot {
  const snap: Snapshot = {context, backend, at: new Date().toISOString()}
  for (const p of parts) (snap as unknown as Record<Part, PartOutcome<unknown>>)[p] = {ok: false, durationMs, error}
  return snap
}
