import {describeChar, firstUnsafeChar, safeText} from '../output/safe.js'
import {FabricError, usageError} from '../cli/errors.js'
import {EXIT} from '../cli/exit-codes.js'
import {cidrContains, isReserved, isValidIpv4} from '../model/addressing.js'
import {PLANE_STATES, type Port, portState} from '../model/types.js'
import type {AllocateRequest, IpamCheckItem, NetworkUsage, PortView, UsageRow} from './types.js'

/** Shared by both backends: input validation and the allocation policy, so sim and live agree. */

export const LABEL_POLICY =
  'by label: the network with the most free addresses first (ties by name); a batch that does not fit there continues in the next'
export const NETWORK_POLICY = 'by network: the named network only'
export const MAX_COUNT = 100_000
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function view(p: Port): PortView {
  return {...p, state: portState(p)}
}

/** A port name: what the CNI derives from pod labels. It must not read as an id or an IP (PORT accepts all three). */
export function validateName(name: string): void {
  const hint =
    'Use 1–255 printable characters without spaces or control characters, not an IP address or a UUID (a PORT argument may be a name, id or IP).'
  if (name.length === 0 || [...name].length > 255)
    throw usageError(
      'PORT_NAME_INVALID',
      `Port name ${name.length === 0 ? '"" is empty' : `"${name.slice(0, 40)}…" is ${[...name].length} characters long; the limit is 255`}.`,
      name,
      hint,
    )
  // Control, bidi and invisible characters (ESC, BEL, U+202E, zero-width …) would reach operators' terminals: refused (safe.ts).
  const bad = firstUnsafeChar(name)
  if (bad !== undefined)
    throw usageError(
      'PORT_NAME_INVALID',
      `Port name "${safeText(name)}" contains the control or invisible character ${describeChar(bad)}.`,
      name,
      hint,
    )
  if (/\s/.test(name)) throw usageError('PORT_NAME_INVALID', `Port name "${name}" contains a space.`, name, hint)
  if (isValidIpv4(name) || UUID.test(name))
    throw usageError(
      'PORT_NAME_AMBIGUOUS',
      `Port name "${name}" would be read as ${isValidIpv4(name) ? 'an IP address' : 'a port id'}.`,
      name,
      hint,
    )
}

/** Neutron tags: at most 60 characters, no comma (the tags filter splits on it). */
export function validateLabel(label: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.:@/+-]{0,59}$/.test(label)) {
    throw usageError(
      'LABEL_INVALID',
      `Label "${label}" is not valid.`,
      label,
      'Use up to 60 letters, digits and _ . : @ / + -, starting with a letter or digit (labels map to Neutron tags).',
    )
  }
}

/** The names a request asks for, in order; null entries get a generated name (port-<id[:11]>). */
export function requestedNames(req: AllocateRequest): (string | null)[] {
  if (!Number.isInteger(req.count) || req.count < 1 || req.count > MAX_COUNT) {
    throw usageError('COUNT_INVALID', `--count must be between 1 and ${MAX_COUNT}.`, req.count, 'Split larger batches.')
  }
  if (req.name !== undefined && req.nameTemplate !== undefined)
    throw usageError(
      'NAME_FLAGS_CONFLICT',
      '--name and --name-template cannot be combined.',
      req.name,
      'Use --name for one port, --name-template with --count for a batch.',
    )
  if (req.name !== undefined && req.count > 1)
    throw usageError(
      'NAME_WITH_COUNT',
      `--name names one port but --count is ${req.count}.`,
      req.name,
      "Use --name-template 'web-{i}' for a batch.",
    )
  if (req.ip !== undefined && req.count > 1)
    throw usageError(
      'IP_WITH_COUNT',
      `--ip fixes one address but --count is ${req.count}.`,
      req.ip,
      'Allocate the fixed address on its own.',
    )
  if (req.ip !== undefined && !isValidIpv4(req.ip))
    throw usageError(
      'IP_INVALID',
      `"${req.ip}" is not an IPv4 address.`,
      req.ip,
      'Give a dotted-quad IPv4 address inside the network, e.g. 10.16.0.50.',
    )
  if (Boolean(req.network) === Boolean(req.label))
    throw usageError(
      'NETWORK_OR_LABEL',
      'Give exactly one of --network or --label.',
      req.network ?? req.label ?? '',
      'Allocate from one network with --network NET, or from any network carrying a label with --label LABEL.',
    )
  if (req.az !== undefined && req.network !== undefined)
    throw usageError(
      'AZ_WITH_NETWORK',
      "--az selects among a label's networks; it does not apply to --network.",
      req.az,
      'Drop --az, or use --label.',
    )
  if (req.label !== undefined) validateLabel(req.label)
  if (req.name !== undefined) {
    validateName(req.name)
    return [req.name]
  }
  if (req.nameTemplate !== undefined) {
    if (!req.nameTemplate.includes('{i}'))
      throw usageError(
        'NAME_TEMPLATE_INVALID',
        `--name-template "${req.nameTemplate}" has no {i}.`,
        req.nameTemplate,
        "Put {i} where the batch index (1..N) goes, e.g. 'web-{i}'.",
      )
    const names = Array.from({length: req.count}, (_, k) => req.nameTemplate!.replaceAll('{i}', String(k + 1)))
    validateName(names[0]!)
    validateName(names.at(-1)!)
    return names
  }
  return Array.from({length: req.count}, () => null)
}

/** Order candidate networks by the label policy: most free first, ties by name. */
export function policyOrder(nets: NetworkUsage[]): NetworkUsage[] {
  return [...nets].sort((a, b) => b.free - a.free || a.name.localeCompare(b.name))
}

/** Split `count` over networks in policy order; null when they cannot hold it all. */
export function planFill(nets: NetworkUsage[], count: number): {network: NetworkUsage; count: number}[] | null {
  const plan: {network: NetworkUsage; count: number}[] = []
  let left = count
  for (const n of nets) {
    if (left === 0) break
    const take = Math.min(left, n.free)
    if (take > 0) plan.push({network: n, count: take})
    left -= take
  }
  return left === 0 ? plan : null
}

export function usageText(n: NetworkUsage): string {
  // "exhausted" is said only when it is not plain from the counts (held full by a fault).
  return `${n.name} (${n.used}/${n.total} used, ${n.free} free${n.exhausted && n.used < n.total ? ', exhausted' : ''})`
}

/** All networks of a label (or the one network) are full: name the label, the networks tried and their usage. */
export function exhaustedError(req: AllocateRequest, wanted: number, nets: NetworkUsage[]): FabricError {
  const free = nets.reduce((a, n) => a + n.free, 0)
  const what = req.label ? `label "${req.label}"${req.az ? ` in ${req.az}` : ''}` : `network "${req.network}"`
  return new FabricError({
    code: 'IPAM_EXHAUSTED',
    message: `Not enough free addresses for ${wanted} port${wanted === 1 ? '' : 's'} in ${what}: ${free} free. Networks tried: ${nets.map(usageText).join(', ')}.`,
    value: req.label ?? req.network,
    hint: req.label
      ? `Add a network to the label (\`fabricctl network label add NET ${req.label}\`), release unused ports, or allocate fewer. Nothing was allocated.`
      : 'Allocate from a label with room, release unused ports, or allocate fewer. Nothing was allocated.',
    details: {label: req.label ?? null, network: req.network ?? null, az: req.az ?? null, wanted, free, networks: nets},
    exitCode: EXIT.CHECK_FAILED,
  })
}

export function portExistsError(names: string[]): FabricError {
  return new FabricError({
    code: 'PORT_EXISTS',
    message: `${names.length === 1 ? `A port named "${names[0]}" already exists` : `${names.length} of the names already exist (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''})`} and --fail-if-exists was given.`,
    value: names.length === 1 ? names[0] : names,
    hint: 'Nothing was allocated. Drop --fail-if-exists to get the existing port back (same IP and MAC), or pick another name.',
    exitCode: EXIT.REFUSED,
  })
}

/** `--state` filter: UNDERLAY_OVERLAY, either side may be `*`. */
export function parseStateFilter(state: string | undefined): {underlay: string | null; overlay: string | null} {
  if (state === undefined) return {underlay: null, overlay: null}
  const m = /^([A-Z*]+)_([A-Z*]+)$/.exec(state.toUpperCase())
  const ok = (s: string) => s === '*' || (PLANE_STATES as readonly string[]).includes(s)
  if (!m || !ok(m[1]!) || !ok(m[2]!)) {
    throw usageError(
      'STATE_INVALID',
      `--state "${state}" is not UNDERLAY_OVERLAY.`,
      state,
      `Each side is one of ${PLANE_STATES.join(', ')} or *, e.g. ACTIVE_ACTIVE, BUILD_*, *_ERROR.`,
    )
  }
  return {underlay: m[1] === '*' ? null : m[1]!, overlay: m[2] === '*' ? null : m[2]!}
}

export function validateLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
    throw usageError(
      'LIMIT_INVALID',
      `--limit must be between 1 and 10000.`,
      limit,
      'Page with --after TOKEN (the `next` of the previous page).',
    )
}

export function ambiguousPort(ref: string, matches: {id: string; name: string; network: string}[]): FabricError {
  // The hint depends on what was given: an IP held on several networks, or a name Neutron holds twice.
  const hint = isValidIpv4(ref)
    ? 'The IP is held on several networks: use the port name or id instead.'
    : `Names are not unique in Neutron: use the port id (${matches.map(m => m.id).join(' or ')}); \`fabricctl ipam check\` lists every duplicate name.`
  return usageError(
    'PORT_AMBIGUOUS',
    `"${ref}" matches ${matches.length} ports: ${matches.map(m => `${m.name} (${m.network}, ${m.id})`).join(', ')}.`,
    ref,
    hint,
  )
}

/**
 * A network is exhausted when it has no free address left: at 100% use, or held full by a fault (sim).
 * One rule for both backends and for every view (allocate candidates, `ipam usage`).
 */
export function networkUsage(
  n: {name: string; az: string; cidr: string; labels: string[]},
  used: number,
  total: number,
  heldFull = false,
): NetworkUsage {
  const free = heldFull ? 0 : Math.max(0, total - used)
  return {name: n.name, az: n.az, cidr: n.cidr, labels: n.labels, used, total, free, exhausted: heldFull || free === 0}
}

/** `ipam usage` rows, by network or by label, from the networks' usage: one shape on both backends. */
export function usageRows(usage: NetworkUsage[], by: 'network' | 'label'): UsageRow[] {
  if (by === 'label') return groupByLabel(usage)
  return usage.map(u => ({
    name: u.name,
    azs: [u.az],
    networks: [u.name],
    used: u.used,
    free: u.free,
    total: u.total,
    exhausted: u.exhausted ? 1 : 0,
  }))
}

export function groupByLabel(usage: NetworkUsage[]): UsageRow[] {
  const rows = new Map<string, UsageRow>()
  for (const u of usage) {
    for (const l of u.labels) {
      let r = rows.get(l)
      if (!r) rows.set(l, (r = {name: l, azs: [], networks: [], used: 0, free: 0, total: 0, exhausted: 0}))
      if (!r.azs.includes(u.az)) r.azs.push(u.az)
      r.networks.push(u.name)
      r.used += u.used
      r.free += u.free
      r.total += u.total
      r.exhausted += u.exhausted ? 1 : 0
    }
  }
  return [...rows.values()].sort((a, b) => a.name.localeCompare(b.name)).map(r => ({...r, azs: r.azs.sort()}))
}

/**
 * The leaf gate of port operations, the same as `leaf push --max-changes`: a port operation whose
 * push to one leaf would make more changes than allowed is refused (exit 4), naming the leaf and the count.
 */
export function leafGateError(leaf: string, changes: number, max: number, applied: boolean): FabricError {
  return new FabricError({
    code: 'LEAF_TOO_MANY_CHANGES',
    message: `The push to leaf ${leaf} would make ${changes} changes; --max-changes is ${max}. ${applied ? 'The steps already applied were undone.' : 'Nothing was applied.'}`,
    value: {leaf, changes, maxChanges: max},
    hint: `Review them with \`fabricctl leaf diff ${leaf}\` (the port's change included), then raise --max-changes.`,
    details: {leaf, changes, maxChanges: max},
    exitCode: EXIT.REFUSED,
  })
}

/**
 * The ownership gate of port operations, the same as `leaf push`: a port whose leaves would need
 * configuration fabricctl does not manage (a hand-made bridge, a VNI outside the scope) is refused
 * (exit 4), and the steps already applied are undone by the plan.
 */
export function leafOwnershipError(leaf: string, reason: string, hint: string | undefined): FabricError {
  return new FabricError({
    code: 'LEAF_UNMANAGED',
    message: reason,
    value: {leaf},
    hint: hint ?? `See what the leaf carries by hand with \`fabricctl leaf diff ${leaf}\`.`,
    details: {leaf},
    exitCode: EXIT.REFUSED,
  })
}

/** HOST_AZ_MISMATCH, one wording for both backends: a host outside the AZ of the network (or of --az). */
export function hostAzMismatch(
  host: {name: string; az: string},
  against: {network: string; az: string; port?: string} | {flagAz: string},
): FabricError {
  if ('flagAz' in against)
    return usageError(
      'HOST_AZ_MISMATCH',
      `Host ${host.name} is in ${host.az}, not in --az ${against.flagAz}.`,
      against.flagAz,
      "Drop --az (the host's AZ is used) or pick a host in that AZ.",
    )
  return usageError(
    'HOST_AZ_MISMATCH',
    `Host ${host.name} is in ${host.az} but ${against.port ? `port ${against.port}'s network` : 'network'} ${against.network} is in ${against.az}.`,
    host.name,
    `A network lives in one AZ (a port keeps its IP only there): pick a host in ${against.az} (\`fabricctl host list --az ${against.az}\`)${against.port ? '' : ", or a network in the host's AZ"}.`,
  )
}

/** The "already on that host" outcome of a migrate, one wording for both backends. */
export function alreadyOnHost(port: string, host: string): string {
  return `port ${port} is already on ${host}; nothing to move (to re-run the agent and controller, use \`fabricctl port bind\`)`
}

// --- allocate: the request checks, one wording for both backends ----------------------------------

/** A batch that names the same port twice (NAMES_NOT_UNIQUE). */
export function checkBatchNames(req: AllocateRequest, wanted: readonly string[]): void {
  if (new Set(wanted).size !== wanted.length)
    throw usageError(
      'NAMES_NOT_UNIQUE',
      'The batch names the same port twice.',
      req.nameTemplate ?? req.name,
      'Use {i} in --name-template so each name differs.',
    )
}

/** A requested name held by a port outside the request's networks, or with another IP than --ip (PORT_NAME_CONFLICT). */
export function checkExistingName(
  req: AllocateRequest,
  existing: {name: string; network: string; ips: string[]},
  inCandidates: boolean,
): void {
  if (!inCandidates)
    throw usageError(
      'PORT_NAME_CONFLICT',
      `Port "${existing.name}" already exists on network ${existing.network}, which is not ${req.label ? `a "${req.label}" network${req.az ? ` in ${req.az}` : ''}` : `network ${req.network}`}.`,
      existing.name,
      'Names are unique fabric-wide: release the old port first (`fabricctl port release NAME`) or use another name.',
    )
  if (req.ip !== undefined && !existing.ips.includes(req.ip))
    throw usageError(
      'PORT_NAME_CONFLICT',
      `Port "${existing.name}" already exists with IP ${existing.ips[0] ?? '(none)'}, not ${req.ip}.`,
      existing.name,
      'Release it first to change its address, or drop --ip.',
    )
}

/** The candidate network of an explicit --ip: the one whose CIDR holds it, never a reserved address (IP_NOT_IN_NETWORKS, IP_RESERVED). */
export function networkForIp<N extends {name: string; cidr: string; gateway: string}>(
  ip: string,
  nets: readonly N[],
): N {
  const net = nets.find(n => n.cidr && cidrContains(n.cidr, ip))
  if (!net)
    throw usageError(
      'IP_NOT_IN_NETWORKS',
      `${ip} is in none of the candidate networks (${nets.map(n => `${n.name} ${n.cidr}`).join(', ')}).`,
      ip,
      'Give an address inside one of them.',
    )
  if (isReserved(net.cidr, net.gateway || '0.0.0.0', ip))
    throw usageError(
      'IP_RESERVED',
      `${ip} is the network, broadcast or gateway address of ${net.name} (${net.cidr}, gateway ${net.gateway || 'none'}).`,
      ip,
      'Those addresses are never handed out; pick another.',
    )
  return net
}

/** No candidate network carries the label (LABEL_NOT_FOUND); `labels`: the labels there are, where the backend lists them. */
export function labelNotFound(
  label: string | undefined,
  az: string | undefined,
  labels: readonly string[],
): FabricError {
  const where = az ? ` in ${az}` : ''
  return usageError(
    'LABEL_NOT_FOUND',
    `No network carries label "${label}"${where}.`,
    label,
    `Labels${where}: ${labels.join(', ') || '(none)'}. Add one with \`fabricctl network label add NET ${label}\`.`,
  )
}

/** The AZ rule of `allocate --host`: the host must be in the named network's AZ, or in --az. */
export function checkAllocateHostAz(
  host: {name: string; az: string} | undefined,
  against: {network: {name: string; az: string}} | {flagAz: string | undefined},
): void {
  if (!host) return
  if ('network' in against) {
    if (host.az !== against.network.az)
      throw hostAzMismatch(host, {network: against.network.name, az: against.network.az})
  } else if (against.flagAz !== undefined && host.az !== against.flagAz)
    throw hostAzMismatch(host, {flagAz: against.flagAz})
}

/** Findings listed per `ipam check` item at most (the count says how many there are). */
export const FINDINGS_MAX = 200

/** One `ipam check` item, one shape on both backends: failed with findings, ok without, skipped with the reason. */
export function checkItem(
  name: IpamCheckItem['name'],
  description: string,
  findings: IpamCheckItem['findings'],
  skipped?: string,
): IpamCheckItem {
  return {
    name,
    description,
    status: skipped ? 'skipped' : findings.length > 0 ? 'failed' : 'ok',
    ...(skipped ? {reason: skipped} : {}),
    count: findings.length,
    findings: findings.slice(0, FINDINGS_MAX),
  }
}
