import path from 'node:path'

import {FabricError, usageError} from '../cli/errors.js'
import {EXIT} from '../cli/exit-codes.js'
import type {Fabric} from '../fabric.js'
import type {LeafPlatform} from '../leaf/driver.js'
import {type LeafLimits, type LimitsFile, limitOf, limitsFileSchema, limitsFor} from './limits.js'
import {type PlacementUnknown, readPlacement} from './placement.js'
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
  /** The leaf's hardware model as the leaf reported it (read only when the limits file maps models). */
  model: {name: string | null; source: string | null; reason: string | null}
  class: string | null
  /** Why no limits apply (no file, no mapping), when class is null. */
  reason: string | null
  counts: TableCounts
  tables: TableUse[]
  status: TableUse['status']
  /** Hosts cabled to this leaf whose bond placement could not be read: their ports are counted local here. */
  placementUnknown: PlacementUnknown[]
}

export interface CapacityOptions {
  leaves: string[]
  limits: {file: LimitsFile; name: string} | null
  /** Percent of a limit from which a table is reported as "warn". */
  warnAt: number
}

const PAGE = 10_000

/** Every bound port of the fabric, by network and host, read through the port service (either backend). */
async function boundPorts(fabric: Fabric): Promise<BoundPorts> {
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

async function fabricShape(fabric: Fabric): Promise<FabricShape> {
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

function report(
  leaf: string,
  counts: TableCounts,
  lim: LeafLimits,
  warnAt: number,
  model: LeafPlatform,
  placementUnknown: PlacementUnknown[] = [],
): LeafCapacity {
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
  return {
    leaf,
    model: {name: model.model, source: model.source, reason: model.reason},
    class: lim.className,
    reason: lim.limits ? null : lim.reason,
    counts,
    tables,
    status,
    placementUnknown,
  }
}

/**
 * The leaves' hardware models, read from the leaves (their drivers, at most 16 at once) only when
 * the limits file maps models: a leaf that cannot be read is unknown with the reason.
 */
async function leafModels(
  fabric: Fabric,
  leaves: readonly string[],
  file: LimitsFile | null,
): Promise<Map<string, LeafPlatform>> {
  const unknown = (reason: string): LeafPlatform => ({model: null, source: null, reason})
  const out = new Map<string, LeafPlatform>()
  if (!file || Object.keys(file.models).length === 0) {
    for (const l of leaves) out.set(l, unknown('not read: the limits file maps no models'))
    return out
  }
  const {mapLimit} = await import('../leaf/service.js')
  await mapLimit(leaves, 16, async leaf => {
    try {
      const d = await fabric.leafDrivers.open(leaf)
      try {
        const p = d.platform ? await d.platform() : unknown(`the ${d.driver} driver cannot read a hardware model`)
        out.set(leaf, p.model === null ? p : {...p, source: `${leaf}: ${p.source}`})
      } finally {
        d.close()
      }
    } catch (error) {
      out.set(leaf, unknown(`the leaf could not be read: ${(error as Error).message}`))
    }
  })
  return out
}

/** `leaf capacity`: what the desired state puts in each leaf's tables, against the leaf's limits. */
export async function leafCapacity(fabric: Fabric, opts: CapacityOptions): Promise<LeafCapacity[]> {
  const [shape, bound, models] = await Promise.all([
    fabricShape(fabric),
    boundPorts(fabric),
    leafModels(fabric, opts.leaves, opts.limits?.file ?? null),
  ])
  const {placement, unknown} = await readPlacement(fabric, shape.hosts)
  const predicted = predictTables(shape, bound, placement)
  const cabled = (leaf: string) =>
    new Set(shape.hosts.filter(h => h.nics.some(n => n.switch === leaf)).map(h => h.name))
  return opts.leaves.map(leaf => {
    const here = cabled(leaf)
    const model = models.get(leaf)!
    return report(
      leaf,
      predicted.get(leaf)!,
      limitsFor(leaf, model, opts.limits?.file ?? null, opts.limits?.name ?? null),
      opts.warnAt,
      model,
      unknown.filter(u => here.has(u.host)),
    )
  })
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
  fabric: Fabric,
  changes: readonly BoundChange[],
  limits: {file: LimitsFile; name: string},
): Promise<void> {
  const [shape, bound] = await Promise.all([fabricShape(fabric), boundPorts(fabric)])
  const {placement} = await readPlacement(fabric, shape.hosts)
  const before = predictTables(shape, bound, placement)
  for (const c of changes) addBound(bound, c.network, c.host, c.count)
  const after = predictTables(shape, bound, placement)
  // only the leaves the change grows can be pushed past a limit: read just their models
  const grown = shape.leaves
    .map(l => l.name)
    .filter(l => {
      const [b, a] = [before.get(l)!, after.get(l)!]
      return (Object.keys(a) as (keyof TableCounts)[]).some(k => a[k] > b[k])
    })
  const models = await leafModels(fabric, grown, limits.file)
  for (const leaf of grown) {
    const model = models.get(leaf)!
    const lim = limitsFor(leaf, model, limits.file, limits.name)
    if (!lim.limits) continue
    const was = report(leaf, before.get(leaf)!, lim, 100, model)
    const will = report(leaf, after.get(leaf)!, lim, 100, model)
    for (const t of will.tables) {
      const prev = was.tables.find(x => x.table === t.table)!
      if (t.limit !== null && t.used > t.limit && t.used > prev.used)
        throw new FabricError({
          code: 'LEAF_TABLE_FULL',
          message: `Leaf ${leaf}'s ${t.table} table would hold ${t.used} entries, over its limit of ${t.limit} (${lim.className}); nothing was created.`,
          value: {leaf, table: t.table, used: prev.used, wouldBe: t.used, limit: t.limit},
          hint: `See \`fabricctl leaf capacity ${leaf}\`. Place the port on a host behind another leaf pair, release unused ports, or raise the limit in ${limits.name} if the hardware allows.`,
          exitCode: EXIT.REFUSED,
          details: {
            leaf,
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
