import os from 'node:os'

import {FabricError, usageError} from '../cli/errors.js'
import {EXIT, type ExitCode} from '../cli/exit-codes.js'
import type {ContextConfig} from '../context/schema.js'
import type {Fabric} from '../fabric.js'
import type {HostProbe} from '../seam/host-probe.js'
import type {Catalogue} from './catalogue.js'
import {auditEvidence, failedHost} from './checks/index.js'
import {collectEvidence, type HostHints} from './collect.js'
import {
  type CheckId,
  type EvidenceSource,
  type HostAudit,
  type Severity,
  type Verdict,
  CHECK_IDS,
  VERDICTS,
} from './types.js'

export const DEFAULT_CONCURRENCY = 16
export const DEFAULT_TIMEOUT_MS = 60_000

export interface AuditOptions {
  hosts: string[]
  az?: string
  local: boolean
  checks: CheckId[]
  failOn: Exclude<Severity, 'info'>
  concurrency: number
  timeoutMs: number
  catalogue: Catalogue
  /** Each host as it is done (completion order): the ndjson stream and the live view. */
  onHost?: (h: HostAudit) => void
  /** Each host as its audit starts (the live view). */
  onStart?: (host: string) => void
  /** The targets, once known (the live view's total). */
  onPlan?: (hosts: string[]) => void
  /** An interrupt (SIGINT/SIGTERM): once true, no further host is started; hosts never started are left out of the result. */
  shouldStop?: () => boolean
  /**
   * Whether the result keeps every HostAudit (asked once the targets are known): false when the caller streams
   * them from onHost (audit hosts --json on a large fleet), so memory stays flat. Summary and exit code are
   * computed as hosts finish either way.
   */
  retainHosts?: () => boolean
}

export interface AuditSummary {
  hosts: number
  byVerdict: Record<Verdict, number>
  findingsByCheck: Record<CheckId, Record<Severity | 'unknown', number>>
  instances: {total: number; direct: number; qbr: number}
}

export interface AuditResult {
  source: EvidenceSource
  hosts: HostAudit[]
  summary: AuditSummary
  exitCode: ExitCode
  elapsedMs: number
}

/** Split and validate `--check ovs,bridges`. */
export function parseChecks(raw: string | undefined): CheckId[] {
  if (raw === undefined) return [...CHECK_IDS]
  const wanted = raw
    .split(',')
    .map(s => s.trim())
    .filter(Boolean)
  const bad = wanted.filter(c => !(CHECK_IDS as readonly string[]).includes(c))
  if (bad.length > 0 || wanted.length === 0)
    throw usageError(
      'AUDIT_CHECK_UNKNOWN',
      `Unknown check "${bad.join(',') || raw}".`,
      raw,
      `Use a comma-separated list of: ${CHECK_IDS.join(', ')}.`,
    )
  return CHECK_IDS.filter(c => wanted.includes(c))
}

/**
 * Audit the hosts a context reaches: the simulated store, this machine (--local), or the inventory
 * over SSH. The fabric is opened only when needed (--local never creates a simulated store).
 */
export async function runAudit(
  /** `context`: what --local reads of this machine (its inventory entry); the fabric's probe otherwise. */
  target: {context?: ContextConfig; open: () => Promise<Pick<Fabric, 'hostProbe'>>},
  opts: AuditOptions,
): Promise<AuditResult> {
  const started = performance.now()
  let source: EvidenceSource
  let hosts: HostAudit[]
  const counted = summaryAccumulator()
  const onHost = opts.onHost
  opts = {
    ...opts,
    onHost: h => {
      counted.add(h)
      onHost?.(h)
    },
  }
  if (opts.local) {
    if (opts.hosts.length > 0 || opts.az)
      throw usageError(
        'AUDIT_LOCAL_WITH_TARGETS',
        '--local audits this machine; it takes no HOST arguments and no --az.',
        [...opts.hosts, opts.az].filter(Boolean).join(' '),
        'Drop the HOST arguments/--az, or drop --local to audit fleet hosts.',
      )
    if (!target.context) throw new Error('runAudit: --local needs the context (its inventory), and none was given')
    source = 'local'
    hosts = [await auditLocal(target.context, opts)]
  } else {
    const probe = (await target.open()).hostProbe
    source = probe.source
    hosts = await auditWithProbe(probe, opts)
  }
  return {
    source,
    hosts,
    summary: counted.summary(),
    exitCode: counted.exitCode(opts.failOn),
    elapsedMs: Math.round(performance.now() - started),
  }
}

/** summarize() and exitCodeFor() computed host by host, so a caller that streams hosts need not keep them. */
export function summaryAccumulator() {
  const byVerdict = Object.fromEntries(VERDICTS.map(v => [v, 0])) as Record<Verdict, number>
  const findingsByCheck = Object.fromEntries(
    CHECK_IDS.map(c => [c, {info: 0, warning: 0, error: 0, unknown: 0}]),
  ) as AuditSummary['findingsByCheck']
  const instances = {total: 0, direct: 0, qbr: 0}
  let count = 0
  let unreachable = false
  let errors = false
  let warnings = false
  return {
    add(h: HostAudit): void {
      count++
      byVerdict[h.verdict]++
      if (h.verdict === 'unreachable') unreachable = true
      for (const f of h.findings) {
        findingsByCheck[f.check][f.unknown ? 'unknown' : f.severity]++
        if (f.severity === 'error') errors = true
        if (f.severity === 'warning') warnings = true
      }
      if (h.facts?.instances) {
        instances.total += h.facts.instances.total
        instances.direct += h.facts.instances.direct
        instances.qbr += h.facts.instances.qbr
      }
    },
    summary: (): AuditSummary => ({hosts: count, byVerdict, findingsByCheck, instances}),
    exitCode: (failOn: 'warning' | 'error'): ExitCode =>
      unreachable ? EXIT.PARTIAL : errors || (failOn === 'warning' && warnings) ? EXIT.CHECK_FAILED : EXIT.OK,
  }
}

/** 3 when any host could not be audited (partial: results for the others are printed), else 1 when a finding reaches --fail-on. */
export function exitCodeFor(hosts: HostAudit[], failOn: 'warning' | 'error'): ExitCode {
  if (hosts.some(h => h.verdict === 'unreachable')) return EXIT.PARTIAL
  const failing = hosts.some(h =>
    h.findings.some(f => f.severity === 'error' || (failOn === 'warning' && f.severity === 'warning')),
  )
  return failing ? EXIT.CHECK_FAILED : EXIT.OK
}

export function summarize(hosts: HostAudit[]): AuditSummary {
  const byVerdict = Object.fromEntries(VERDICTS.map(v => [v, 0])) as Record<Verdict, number>
  const findingsByCheck = Object.fromEntries(
    CHECK_IDS.map(c => [c, {info: 0, warning: 0, error: 0, unknown: 0}]),
  ) as AuditSummary['findingsByCheck']
  const instances = {total: 0, direct: 0, qbr: 0}
  for (const h of hosts) {
    byVerdict[h.verdict]++
    for (const f of h.findings) findingsByCheck[f.check][f.unknown ? 'unknown' : f.severity]++
    if (h.facts?.instances) {
      instances.total += h.facts.instances.total
      instances.direct += h.facts.instances.direct
      instances.qbr += h.facts.instances.qbr
    }
  }
  return {hosts: hosts.length, byVerdict, findingsByCheck, instances}
}

function selectHosts<T extends {name: string; az: string}>(all: T[], opts: AuditOptions, hint: string): T[] {
  const azHosts = opts.az ? all.filter(h => h.az === opts.az) : all
  if (opts.az && azHosts.length === 0) {
    throw usageError(
      'AZ_NOT_FOUND',
      `No hosts in AZ "${opts.az}".`,
      opts.az,
      `Known AZs: ${[...new Set(all.map(h => h.az))].join(', ') || '(none)'}.`,
    )
  }
  if (opts.hosts.length === 0) return azHosts
  const byName = new Map(azHosts.map(h => [h.name, h]))
  const missing = opts.hosts.filter(n => !byName.has(n))
  if (missing.length > 0) {
    throw usageError(
      'HOST_NOT_FOUND',
      `No host named ${missing.map(m => `"${m}"`).join(', ')}${opts.az ? ` in AZ ${opts.az}` : ''}.`,
      missing.join(' '),
      hint,
    )
  }
  return [...new Set(opts.hosts)].map(n => byName.get(n)!)
}

/** Audit the fleet hosts through the fabric's host probe (sim store or SSH): facts in, audits out, streamed as they finish. */
async function auditWithProbe(probe: HostProbe, opts: AuditOptions): Promise<HostAudit[]> {
  const selected = selectHosts(await probe.hosts(), opts, probe.unknownHostHint)
  opts.onPlan?.(selected.map(h => h.name))
  const retain = opts.retainHosts?.() ?? true
  const audits: HostAudit[] = []
  await probe.facts(
    selected,
    {concurrency: opts.concurrency, timeoutMs: opts.timeoutMs, shouldStop: opts.shouldStop, onStart: opts.onStart},
    (r, i) => {
      const t0 = performance.now()
      const audit =
        'facts' in r
          ? auditEvidence(r.facts, opts.checks, opts.catalogue, r.elapsedMs + performance.now() - t0)
          : failedHost(
              {name: r.host.name, az: r.host.az, address: r.host.address},
              probe.source,
              {code: r.failure.code, message: r.failure.message, hint: r.failure.hint ?? undefined},
              r.elapsedMs,
            )
      if (retain) audits[i] = audit
      opts.onHost?.(audit)
    },
  )
  return audits.filter(Boolean)
}

async function auditLocal(context: ContextConfig, opts: AuditOptions): Promise<HostAudit> {
  const {localRunner} = await import('./sources/local.js')
  const name = os.hostname()
  opts.onPlan?.([name])
  opts.onStart?.(name)
  const inv = 'inventory' in context ? context.inventory.hosts.find(h => h.name === name) : undefined
  const hints: HostHints = {
    name,
    az: inv?.az ?? null,
    address: null,
    role: inv?.role ?? null,
    cabling: inv?.nics.map(n => ({nic: n.name, switch: n.leaf, interface: n.interface})) ?? [],
  }
  const t0 = performance.now()
  const runner = await localRunner(opts.timeoutMs)
  let audit: HostAudit
  try {
    const evidence = await withTimeout(collectEvidence(runner, hints, 'local', 'local'), opts.timeoutMs, name)
    audit = auditEvidence(evidence, opts.checks, opts.catalogue, performance.now() - t0)
  } catch (error) {
    const fe =
      error instanceof FabricError
        ? error
        : new FabricError({code: 'LOCAL_PROBE_FAILED', message: (error as Error).message})
    audit = failedHost(
      {name, az: hints.az, address: null},
      'local',
      {code: fe.code, message: fe.message, hint: fe.hint},
      performance.now() - t0,
    )
  }
  opts.onHost?.(audit)
  return audit
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new FabricError({
                code: 'HOST_TIMEOUT',
                message: `${what}: not done within ${ms} ms`,
                hint: 'Raise --timeout.',
                exitCode: EXIT.TIMEOUT,
              }),
            ),
          ms,
        )
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}
