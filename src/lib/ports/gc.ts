import {readFile, writeFile} from 'node:fs/promises'

import {FabricError, usageError} from '../cli/errors.js'
import {EXIT, type ExitCode} from '../cli/exit-codes.js'
import type {Fabric} from '../fabric.js'
import {
  type LeakCriteria,
  type LeakedPort,
  type LeakScope,
  type ProbeOptions,
  readHostDevices,
  recheckPort,
  scanLeaks,
  type UnknownPort,
} from './leaks.js'
import type {PortPlan} from './plan.js'
import type {LeafTouchDoc, PortService, ReleaseResult} from './types.js'

/**
 * `ipam gc` (issue 17): release leaked ports safely.
 * 1. Find them (`scanLeaks`), or take the ports of a report file (`--from-report`, validated, each re-checked first).
 * 2. Refuse past the cap (exit 4) before releasing anything.
 * 3. Dry run: one release plan of all of them (the plan `port release` prints), nothing changed.
 * 4. Real run, host by host: read the host again, re-check each port (still there, same host, still no device),
 *    then release it through the port service's release plan (the same path as `port release`: device, controller
 *    record, address, leaves). A port that is no longer leaked is skipped, never released.
 */
export interface GcReport {
  kind: 'IpamGcReport'
  schemaVersion: 1
  context: string
  backend: 'sim' | 'live'
  generatedAt: string
  criteria: LeakCriteria
  scope: {host: string | null; namePrefix: string | null}
  ports: LeakedPort[]
}

export interface GcResult {
  dryRun: boolean
  source: 'scan' | 'report'
  reportFile: string | null
  criteria: LeakCriteria
  found: LeakedPort[]
  unknown: UnknownPort[]
  plan?: PortPlan
  released: ReleaseResult['released']
  skipped: {id: string; name: string; reason: string}[]
  failed: {id: string; name: string; code: string; error: string}[]
  leaves: LeafTouchDoc[]
}

export type GcInput =
  {from: 'scan'; criteria: LeakCriteria; scope: LeakScope; writeReport?: string} | {from: 'report'; file: string}

export interface GcOptions extends ProbeOptions {
  dryRun: boolean
  maxRelease: number
}

const REPORT_MAX_BYTES = 16 * 1024 * 1024

/** Read and validate a report file: anything wrong is exit 2, with what was wrong. */
export async function readGcReport(file: string, fabric: Fabric): Promise<GcReport> {
  let text: string
  try {
    const buf = await readFile(file)
    if (buf.length > REPORT_MAX_BYTES)
      throw usageError(
        'GC_REPORT_INVALID',
        `Report ${file} is ${buf.length} bytes, more than a report can be (${REPORT_MAX_BYTES}).`,
        file,
        'Give the file `ipam gc -o FILE` wrote.',
      )
    text = buf.toString('utf8')
  } catch (error) {
    if (error instanceof FabricError) throw error
    throw usageError(
      'GC_REPORT_UNREADABLE',
      `Cannot read report ${file}: ${(error as Error).message}.`,
      file,
      'Give the file `ipam gc -o FILE` wrote.',
    )
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw usageError(
      'GC_REPORT_INVALID',
      `Report ${file} is not JSON: ${(error as Error).message}.`,
      file,
      'Give the file `ipam gc -o FILE` wrote (kind IpamGcReport).',
    )
  }
  const {OUTPUT_SCHEMAS} = await import('../schemas/index.js')
  const parsed = OUTPUT_SCHEMAS.IpamGcReport!.safeParse(json)
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map(i => `${i.path.length ? i.path.join('.') : '(top)'}: ${i.message}`)
      .join('; ')
    throw usageError(
      'GC_REPORT_INVALID',
      `Report ${file} is not an IpamGcReport (schemaVersion 1): ${issues}.`,
      file,
      'Give the file `ipam gc -o FILE` wrote; its schema is schemas/IpamGcReport.schema.json.',
    )
  }
  const report = parsed.data as GcReport
  if (report.context !== fabric.context.name)
    throw usageError(
      'GC_REPORT_WRONG_CONTEXT',
      `Report ${file} was written for context "${report.context}", not "${fabric.context.name}".`,
      report.context,
      `Run with --context ${report.context}, or write a new report with \`ipam gc --dry-run -o FILE\`.`,
    )
  return report
}

function capError(n: number, max: number, names: string[]): FabricError {
  return new FabricError({
    code: 'GC_CAP_EXCEEDED',
    message: `ipam gc would release ${n} ports, more than --max-release ${max}: nothing was released.`,
    value: n,
    hint: `Review them (\`ipam gc --dry-run -o report.json\`), then raise --max-release to ${n} or narrow with --host/--name-prefix.`,
    details: {count: n, maxRelease: max, ports: names.slice(0, 200)},
    exitCode: EXIT.REFUSED,
  })
}

export async function runGc(fabric: Fabric, svc: PortService, input: GcInput, opts: GcOptions): Promise<GcResult> {
  let candidates: LeakedPort[]
  let criteria: LeakCriteria
  let unknown: UnknownPort[] = []
  const skipped: GcResult['skipped'] = []
  let reportFile: string | null = null
  let found: LeakedPort[]
  if (input.from === 'scan') {
    const scan = await scanLeaks(fabric, svc, input.criteria, input.scope, opts)
    candidates = scan.leaked
    found = scan.leaked
    criteria = scan.criteria
    unknown = scan.unknown
    if (input.writeReport !== undefined) {
      const report: GcReport = {
        kind: 'IpamGcReport',
        schemaVersion: 1,
        context: fabric.context.name,
        backend: svc.backend,
        generatedAt: scan.now,
        criteria,
        scope: {host: input.scope.host ?? null, namePrefix: input.scope.namePrefix ?? null},
        ports: candidates,
      }
      await writeFile(input.writeReport, `${JSON.stringify(report, null, 2)}\n`)
      reportFile = input.writeReport
    }
  } else {
    const report = await readGcReport(input.file, fabric)
    reportFile = input.file
    found = report.ports
    criteria = report.criteria
    // Every port of the report is checked again now; only those still leaked go on.
    const still = await recheckAll(fabric, report.ports, opts)
    candidates = still.leaked
    skipped.push(...still.skipped)
  }
  if (candidates.length > opts.maxRelease)
    throw capError(
      candidates.length,
      opts.maxRelease,
      candidates.map(c => c.name),
    )
  const result: GcResult = {
    dryRun: opts.dryRun,
    source: input.from,
    reportFile,
    criteria,
    found,
    unknown,
    released: [],
    skipped,
    failed: [],
    leaves: [],
  }
  if (candidates.length === 0) return result
  if (opts.dryRun) {
    const r = await svc.release(
      candidates.map(c => c.id),
      {dryRun: true},
    )
    return {...result, plan: r.plan, released: r.released, leaves: r.leaves}
  }
  // Host by host: a fresh read of the host just before its ports are released.
  const byHost = new Map<string | null, LeakedPort[]>()
  for (const c of candidates) byHost.set(c.host, [...(byHost.get(c.host) ?? []), c])
  for (const [host, ports] of byHost) {
    const devices = host === null ? new Map() : await readHostDevices(fabric, [host], opts)
    for (const p of ports) {
      const v = await recheckPort(fabric, p, devices)
      if (!v.leaked) {
        result.skipped.push({id: p.id, name: p.name, reason: v.reason})
        continue
      }
      try {
        const r = await svc.release([p.id], {dryRun: false})
        result.released.push(...r.released)
        result.leaves.push(...r.leaves)
      } catch (error) {
        const e = error as {code?: string; message?: string}
        result.failed.push({
          id: p.id,
          name: p.name,
          code: e.code ?? 'RELEASE_FAILED',
          error: e.message ?? String(error),
        })
      }
    }
  }
  return result
}

/** Re-check report ports (one fresh read per host). */
async function recheckAll(
  fabric: Fabric,
  ports: LeakedPort[],
  opts: ProbeOptions,
): Promise<{leaked: LeakedPort[]; skipped: GcResult['skipped']}> {
  const hosts = [...new Set(ports.flatMap(p => (p.kind === 'orphaned-port' && p.host ? [p.host] : [])))]
  const devices = await readHostDevices(fabric, hosts, opts)
  const leaked: LeakedPort[] = []
  const skipped: GcResult['skipped'] = []
  for (const p of ports) {
    const v = await recheckPort(fabric, p, devices)
    if (v.leaked) leaked.push(p)
    else skipped.push({id: p.id, name: p.name, reason: v.reason})
  }
  return {leaked, skipped}
}

/** 0 ok; 3 some releases failed after others succeeded, or some ports could not be checked; 1 every release failed. */
export function gcExitCode(r: GcResult): ExitCode {
  if (r.failed.length > 0) return r.released.length > 0 ? EXIT.PARTIAL : EXIT.CHECK_FAILED
  if (r.unknown.length > 0) return EXIT.PARTIAL
  if (!r.dryRun && r.leaves.some(l => !l.ok)) return EXIT.PARTIAL
  return EXIT.OK
}
