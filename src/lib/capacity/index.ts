import path from 'node:path'

import {FabricError, usageError} from '../cli/errors.js'
import {EXIT} from '../cli/exit-codes.js'
import type {OpenFabric} from '../fabric.js'
import {type LeafLimits, type LimitsFile, limitOf, limitsFileSchema, limitsFor} from './limits.js'
import {type BoundPorts, type FabricShape, type TableCounts, addBound, predictTables} from './predict.js'

export {BUILTIN_CLASSES} from './limits.js'

/** The tables compared with a limit: neighbours and host routes share the L3 host table. */
export const COMPARED = ['macs', 'hostTable', 'vnis', 'vrfs'] as const
export type Compared = (typeof COMPARED)[number]

export interface TableUse {
  table: Compared
  used: number
  limit: number | null
  /** used / limit in percent, one decimal; null without a limit. */
  percent: number | null
  status: 'ok' | 'warn' | 'full' | 'unknown'
}

export interface LeafCapacity {
  leaf: string
  class: string | null
  /** Why no limits apply (no file, no mapping), when class is null. */
  reason: string | null
  counts: TableCounts
  tables: TableUse[]
  status: TableUse['status']
}

export interface CapacityOptions {
  leaves: string[]
  limits: {file: LimitsFile; name: string} | null
  /** Percent of a limit from which a table is reported as "warn". */
  warnAt: number
}

const PAGE = 10_000

/** Every bound port of the fabric, by network and host, read through the port service (either backend). */
async function boundPorts(fabric: OpenFabric): Promise<BoundPorts> {
  const {portService} = await import('../ports/index.js')
  const svc = await portService(fabric)
  const bound: BoundPorts = new Map()
  let after: string | undefined
  // bounded: each page advances the cursor; a service that repeats a cursor is a bug, not a loop
  for (let page = 0; page < 10_000; page++) {
    const res = await svc.list({limit: PAGE, after})
    for (const p of res.ports) if (p.host) addBound(bound, p.network, p.host)
    if (!res.next || res.next === after) break
    after = res.next
  }
  return bound
}

async function fabricShape(fabric: OpenFabric): Promise<FabricShape> {
  const r = fabric.inventory
  const [leaves, hosts, networks, tenants] = await Promise.all([
    r.switches({role: 'leaf'}),
    r.hosts(),
    r.networks(),
    r.tenants(),
  ])
  return {leaves, hosts, networks, tenants}
}

function use(table: Compared, used: number, limit: number | null, warnAt: number): TableUse {
  if (limit === null) return {table, used, limit, percent: null, status: 'unknown'}
  const percent = Math.round((used / limit) * 1000) / 10
  return {table, used, limit, percent, status: used >= limit ? 'full' : percent >= warnAt ? 'warn' : 'ok'}
}

/** The leaf's status is its worst known table; unknown only when no table has a limit. */
const RANK = {unknown: 0, ok: 1, warn: 2, full: 3} as const

function report(leaf: string, counts: TableCounts, lim: LeafLimits, warnAt: number): LeafCapacity {
  const used: Record<Compared, number> = {
    macs: counts.macs,
    hostTable: counts.neighbors + counts.hostRoutes,
    vnis: counts.vnis,
    vrfs: counts.vrfs,
  }
  const tables = COMPARED.map(t =>
    use(t, used[t], lim.limits ? limitOf(lim.limits, t === 'hostTable' ? 'neighbors' : t) : null, warnAt),
  )
  const status = tables.reduce<TableUse['status']>((a, t) => (RANK[t.status] > RANK[a] ? t.status : a), 'unknown')
  return {leaf, class: lim.className, reason: lim.limits ? null : lim.reason, counts, tables, status}
}

/** `leaf capacity`: what the desired state puts in each leaf's tables, against the leaf's limits. */
export async function leafCapacity(fabric: OpenFabric, opts: CapacityOptions): Promise<LeafCapacity[]> {
  const [shape, bound] = await Promise.all([fabricShape(fabric), boundPorts(fabric)])
  const predicted = predictTables(shape, bound)
  return opts.leaves.map(leaf =>
    report(
      leaf,
      predicted.get(leaf)!,
      limitsFor(leaf, opts.limits?.file ?? null, opts.limits?.name ?? null),
      opts.warnAt,
    ),
  )
}

/** A change a port operation is about to make: `count` more (or, negative, fewer) bound ports of `network` on `host`. */
export interface BoundChange {
  network: string
  host: string
  count: number
}

/**
 * `--check-capacity`: refuse (exit 4, LEAF_TABLE_FULL) before anything is created when the change
 * would take a leaf's table past its limit. A table already over its limit that the change does
 * not grow is not a reason to refuse (releasing and migrating away must stay possible).
 */
export async function checkCapacity(
  fabric: OpenFabric,
  changes: readonly BoundChange[],
  limits: {file: LimitsFile; name: string},
): Promise<void> {
  const [shape, bound] = await Promise.all([fabricShape(fabric), boundPorts(fabric)])
  const before = predictTables(shape, bound)
  for (const c of changes) addBound(bound, c.network, c.host, c.count)
  const after = predictTables(shape, bound)
  for (const leaf of shape.leaves) {
    const lim = limitsFor(leaf.name, limits.file, limits.name)
    if (!lim.limits) continue
    const was = report(leaf.name, before.get(leaf.name)!, lim, 100)
    const will = report(leaf.name, after.get(leaf.name)!, lim, 100)
    for (const t of will.tables) {
      const prev = was.tables.find(x => x.table === t.table)!
      if (t.limit !== null && t.used > t.limit && t.used > prev.used)
        throw new FabricError({
          code: 'LEAF_TABLE_FULL',
          message: `Leaf ${leaf.name}'s ${t.table} table would hold ${t.used} entries, over its limit of ${t.limit} (${lim.className}); nothing was created.`,
          value: {leaf: leaf.name, table: t.table, used: prev.used, wouldBe: t.used, limit: t.limit},
          hint: `See \`fabricctl leaf capacity ${leaf.name}\`. Place the port on a host behind another leaf pair, release unused ports, or raise the limit in ${limits.name} if the hardware allows.`,
          exitCode: EXIT.REFUSED,
          details: {
            leaf: leaf.name,
            table: t.table,
            used: prev.used,
            wouldBe: t.used,
            limit: t.limit,
            class: lim.className,
          },
        })
    }
  }
}

/** Read and validate a limits file (YAML or JSON). A relative path is taken from `baseDir`. */
export async function loadLimitsFile(file: string, baseDir = process.cwd()): Promise<{file: LimitsFile; name: string}> {
  const {readYamlFile} = await import('../cli/safe-yaml.js')
  const full = path.resolve(baseDir, file)
  const invalid = (message: string) =>
    usageError(
      'LIMITS_FILE_INVALID',
      `The leaf limits file ${full} is invalid: ${message}`,
      file,
      'Fix it (format: docs/capacity.md).',
    )
  const raw = readYamlFile(full, 'leaf limits file', invalid)
  const parsed = limitsFileSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw invalid(`${issue.path.join('.') || '(top level)'}: ${issue.message}`)
  }
  return {file: parsed.data, name: full}
}

/**
 * The limits a command uses: `--limits FILE` (relative to the working directory), else the
 * context's `capacity.limits` (relative to the context file), else none.
 */
export async function chosenLimits(
  flag: string | undefined,
  context: {capacity?: {limits: string}},
  contextFile: string,
): Promise<{file: LimitsFile; name: string} | null> {
  if (flag) return loadLimitsFile(flag)
  if (context.capacity) return loadLimitsFile(context.capacity.limits, path.dirname(contextFile))
  return null
}
