import {FabricError, usageError} from '../cli/errors.js'
import {EXIT} from '../cli/exit-codes.js'
import {
  alreadyOnHost,
  ambiguousPort,
  checkAllocateHostAz,
  checkBatchNames,
  hostAzMismatch,
  leafGateError,
  leafOwnershipError,
  requestedNames,
} from './common.js'
import type {PortPlan} from './plan.js'
import type {
  AllocateRequest,
  AllocateResult,
  BindResultDoc,
  ChangeOptions,
  LeafTouchDoc,
  MigrateResult,
  MigrateSide,
  PortView,
  ReleaseResult,
} from './types.js'

/**
 * The one service above the backends for a port change (`port bind`, `port migrate`, `port release`,
 * `port allocate --host`), issue 12: validate → plan → gate → dry run | apply (with compensation) →
 * verify → result. The rules live here once: the port bound elsewhere, the host's AZ against the
 * network's, "already on that host", the ports a release names, the names of an allocation, the leaf
 * gates (--max-changes and the ownership scope of `leaf push`) evaluated on the plan before its first
 * step, and the migrate's address check. A dry run returns the plan the real run executes. A backend
 * gives only its primitives (`HostChangeEngine`, `ReleaseEngine`, `AllocateEngine`): reading, planning
 * the steps without applying them (the backend-neutral steps come from `changeSteps` in plan.ts), and
 * executing them.
 */

/** A port as the host-change rules need it, read by the backend. */
export interface ChangePort {
  id: string
  name: string
  host: string | null
  ip: string
  mac: string
  /** How the port is printed now (its recorded state). */
  view: PortView
  /** The migrate's before/after side of it (host, IP, MAC, state, device). */
  side: MigrateSide
}

export interface HostChange {
  operation: 'bind' | 'migrate'
  port: ChangePort
  to: {name: string; az: string}
  maxChanges?: number
}

/** One leaf's push as the planned change would make it, evaluated without changing the leaf. */
export interface LeafPreview {
  leaf: string
  /** How many changes the push makes (null: the leaf could not be read; the real push reports it). */
  changes: number | null
  /** A safety gate that refuses the push whatever --max-changes says (ownership: LEAF_UNMANAGED, LEAF_FACT_UNKNOWN). */
  refused?: {code: string; message: string; hint?: string}
}

/** What a host change left (or, for a dry run, would leave), as the backend reads it. */
export interface HostChangeOutcome {
  port: PortView
  after: MigrateSide
  device: string | null
  leaves: LeafTouchDoc[]
  reasons: string[]
}

export interface PlannedHostChange {
  plan: PortPlan
  leaves: LeafPreview[]
  /** What a dry run reports: the port as the plan leaves it, as far as the backend can tell without applying. */
  dryRun: HostChangeOutcome
}

/** The rules the service hands a backend's apply, for a backend whose apply is its own serialisation point (the sim's transaction). */
export interface HostChangeRules {
  /** The validation, run again on the port as read at apply time (throws). */
  validate(port: ChangePort): void
  /** The leaf gates, run again on the leaf pushes as applied (throws; exit 4). */
  gate(leaves: LeafPreview[]): void
}

export interface HostChangeEngine {
  resolvePort(ref: string): Promise<ChangePort>
  host(name: string): Promise<{name: string; az: string}>
  /** The network of a port with its AZ, or null when the backend cannot tell. */
  networkOf(port: ChangePort): Promise<{name: string; az: string} | null>
  /** The ordered steps and each leaf's push, evaluated without applying anything. */
  plan(change: HostChange): Promise<PlannedHostChange>
  /** Execute the steps of `plan` (a failure undoes the applied ones, or reports exactly what is left: exit 3). */
  apply(change: HostChange, plan: PortPlan, rules: HostChangeRules): Promise<HostChangeOutcome>
}

/** A backend's primitives of `port release`. */
export interface ReleaseEngine<P extends {id: string; name: string}> {
  /** The ports each reference matches (any number: the service's `releaseTargets` decides), and a port's network name. */
  find(refs: readonly string[]): Promise<{found: P[][]; networkOf: (p: P) => string}>
  /** The steps and each leaf's push, evaluated without applying anything; `dryRun` is what a dry run reports. */
  plan(ports: P[]): Promise<{plan: PortPlan; leaves: LeafPreview[]; dryRun: ReleaseResult}>
  /** Execute the steps of `plan` (the gate run again where the backend's apply is its own serialisation point). */
  apply(ports: P[], plan: PortPlan, rules: {gate(leaves: LeafPreview[]): void}): Promise<ReleaseResult>
}

/** An allocation as the service validated it: the request, the names (null: generated), the host, the candidate networks. */
export interface Allocation<N> {
  req: AllocateRequest
  names: (string | null)[]
  host: {name: string; az: string} | undefined
  nets: N[]
}

/** A backend's primitives of `port allocate`. */
export interface AllocateEngine<N extends {name: string; az: string}> {
  host(name: string): Promise<{name: string; az: string}>
  network(ref: string): Promise<N>
  /** The networks with the label (in the AZ when given); LABEL_NOT_FOUND when none. */
  labelled(label: string | undefined, az: string | undefined): Promise<N[]>
  /**
   * With --host: the steps and each leaf's push, evaluated without applying anything, and what a dry run reports.
   * `plan` absent: nothing to create, so nothing to push.
   */
  plan(a: Allocation<N>): Promise<{plan?: PortPlan; leaves: LeafPreview[]; dryRun: AllocateResult}>
  /** Execute the allocation (`plan`: its steps; null: no host, nothing pushed, and on a dry run nothing written). */
  apply(a: Allocation<N>, plan: PortPlan | null, rules: {gate(leaves: LeafPreview[]): void}): Promise<AllocateResult>
}

export class PortChangeService {
  constructor(private readonly engine: HostChangeEngine) {}

  async bind(ref: string, hostName: string, opts: ChangeOptions): Promise<BindResultDoc> {
    const port = await this.engine.resolvePort(ref)
    const host = await this.engine.host(hostName)
    const validate = (p: ChangePort) => boundElsewhere(p, host.name, ref)
    validate(port)
    await this.checkAz(port, host)
    const before = {host: port.host, state: port.view.state}
    const change: HostChange = {operation: 'bind', port, to: host, maxChanges: opts.maxChanges}
    const {plan, out} = await this.run(change, opts, validate)
    return {
      plan,
      dryRun: opts.dryRun,
      port: out.port,
      before,
      host: host.name,
      device: out.device,
      leaves: out.leaves,
      reasons: out.reasons,
    }
  }

  async migrate(ref: string, toHost: string, opts: ChangeOptions): Promise<MigrateResult> {
    const port = await this.engine.resolvePort(ref)
    const host = await this.engine.host(toHost)
    await this.checkAz(port, host)
    const before = port.side
    if (port.host === host.name)
      return {
        dryRun: opts.dryRun,
        changed: false,
        port: port.view,
        before,
        after: before,
        leaves: [],
        reasons: [alreadyOnHost(port.name || port.id, host.name)],
      }
    const change: HostChange = {operation: 'migrate', port, to: host, maxChanges: opts.maxChanges}
    // At apply time the port must still be where the plan found it (the sim re-reads it in its transaction).
    const validate = (p: ChangePort) => {
      if (p.host !== port.host) throw movedMeanwhile(p, port.host)
    }
    const {plan, out} = await this.run(change, opts, validate)
    if (!opts.dryRun) verifyAddress(port, out.after)
    return {
      plan,
      dryRun: opts.dryRun,
      changed: true,
      port: out.port,
      before,
      after: out.after,
      leaves: out.leaves,
      reasons: out.reasons,
    }
  }

  /** Plan, gate on the plan (before its first step), then print it (dry run) or execute it. */
  private async run(
    change: HostChange,
    opts: ChangeOptions,
    validate: (p: ChangePort) => void,
  ): Promise<{plan: PortPlan; out: HostChangeOutcome}> {
    const planned = await this.engine.plan(change)
    const out = await gated(planned, opts, gate => this.engine.apply(change, planned.plan, {validate, gate}))
    return {plan: planned.plan, out}
  }

  /** `port release`: the ports the references name (`releaseTargets`), then the plan, gated before its first step. */
  static async release<P extends {id: string; name: string}>(
    engine: ReleaseEngine<P>,
    refs: readonly string[],
    opts: ChangeOptions,
  ): Promise<ReleaseResult> {
    const {found, networkOf} = await engine.find(refs)
    const ports = releaseTargets(refs, found, networkOf)
    const planned = await engine.plan(ports)
    return gated(planned, opts, gate => engine.apply(ports, planned.plan, {gate}))
  }

  /**
   * `port allocate`: the names, the candidate networks with the host's AZ checked against them, then (with
   * --host) the plan, gated before its first step. Without --host nothing is pushed: no plan, no gate.
   */
  static async allocate<N extends {name: string; az: string}>(
    engine: AllocateEngine<N>,
    req: AllocateRequest,
  ): Promise<AllocateResult> {
    const names = requestedNames(req)
    const host = req.host === undefined ? undefined : await engine.host(req.host)
    let nets: N[]
    if (req.network === undefined) {
      checkAllocateHostAz(host, {flagAz: req.az})
      nets = await engine.labelled(req.label, req.az ?? host?.az)
    } else {
      const net = await engine.network(req.network)
      checkAllocateHostAz(host, {network: net})
      nets = [net]
    }
    checkBatchNames(
      req,
      names.filter((n): n is string => n !== null),
    )
    const allocation: Allocation<N> = {req, names, host, nets}
    const planned = host ? await engine.plan(allocation) : null
    // No plan (no host, or nothing to create): the backend's run, rolled back or not written on a dry run.
    if (!planned) return engine.apply(allocation, null, {gate: () => {}})
    return gated(planned, req, gate => engine.apply(allocation, planned.plan ?? null, {gate}))
  }

  private async checkAz(port: ChangePort, host: {name: string; az: string}): Promise<void> {
    const net = await this.engine.networkOf(port)
    if (net && net.az !== host.az) throw hostAzMismatch(host, {network: net.name, az: net.az, port: port.name})
  }
}

/** Gate on the plan, before its first step; then a dry run returns what the plan leaves, a real run executes it. */
async function gated<T>(
  planned: {leaves: LeafPreview[]; dryRun: T},
  opts: {dryRun: boolean; maxChanges?: number},
  apply: (gate: (leaves: LeafPreview[]) => void) => Promise<T>,
): Promise<T> {
  const gate = (leaves: LeafPreview[]) => gateLeaves(leaves, opts.maxChanges)
  gate(planned.leaves)
  if (opts.dryRun) return planned.dryRun
  return apply(gate)
}

/**
 * The leaf gates of a port change, the same as `leaf push`: a leaf the change would need configuration on
 * that fabricctl does not manage is refused (ownership), and so is a push of more than --max-changes.
 * Both exit 4, naming the leaf; nothing has been applied when this runs on the plan.
 */
export function gateLeaves(leaves: readonly LeafPreview[], maxChanges: number | undefined): void {
  for (const l of leaves) if (l.refused) throw leafOwnershipError(l.leaf, l.refused.message, l.refused.hint)
  if (maxChanges === undefined) return
  for (const l of leaves)
    if (l.changes !== null && l.changes > maxChanges) throw leafGateError(l.leaf, l.changes, maxChanges, false)
}

function boundElsewhere(p: ChangePort, host: string, ref: string): void {
  if (p.host !== null && p.host !== host)
    throw usageError(
      'PORT_BOUND_ELSEWHERE',
      `Port ${p.name} is bound to ${p.host}, not ${host}.`,
      ref,
      `To move it keeping its IP and MAC, run \`fabricctl port migrate ${p.name || p.id} --to-host ${host}\`.`,
    )
}

function movedMeanwhile(p: ChangePort, planned: string | null): FabricError {
  return new FabricError({
    code: 'PORT_CHANGED_CONCURRENTLY',
    message: `Port ${p.name || p.id} moved to ${p.host ?? 'no host'} since this command read it on ${planned ?? 'no host'} (another bind or migrate won the race): nothing of this operation was applied.`,
    value: p.id,
    hint: 'Look at the port (`fabricctl port show`) and run the command again if it still applies.',
    exitCode: EXIT.REFUSED,
  })
}

/** A migrate keeps the port's IP and MAC; a backend that changed them is reported, not hidden. */
function verifyAddress(before: ChangePort, after: MigrateSide): void {
  if (after.ip === before.ip && after.mac === before.mac) return
  throw new FabricError({
    code: 'MIGRATE_ADDRESS_CHANGED',
    message: `Neutron changed port ${before.name}'s address on migrate (${before.ip}/${before.mac} → ${after.ip}/${after.mac}).`,
    value: before.id,
    hint: 'Check the Neutron server; a host_id update must not touch fixed_ips or the MAC.',
    exitCode: EXIT.CHECK_FAILED,
  })
}

/**
 * The ports a release names, one rule for both backends: every reference must name exactly one port
 * (none: PORT_NOT_FOUND for all the missing ones at once, nothing released; several: PORT_AMBIGUOUS);
 * a port named twice is released once. `found[i]` is what reference `refs[i]` matched.
 */
export function releaseTargets<P extends {id: string; name: string}>(
  refs: readonly string[],
  found: readonly P[][],
  networkOf: (p: P) => string,
): P[] {
  const missing: string[] = []
  const ports = new Map<string, P>()
  for (const [i, ref] of refs.entries()) {
    const ps = found[i]!
    if (ps.length === 0) missing.push(ref)
    else if (ps.length > 1)
      throw ambiguousPort(
        ref,
        ps.map(p => ({id: p.id, name: p.name, network: networkOf(p)})),
      )
    else ports.set(ps[0]!.id, ps[0]!)
  }
  if (missing.length > 0)
    throw new FabricError({
      code: 'PORT_NOT_FOUND',
      message: `No port named ${missing.map(m => `"${m}"`).join(', ')}.`,
      value: missing,
      hint: 'Nothing was released. Give port names, ids or IPs; list ports with `fabricctl port list`.',
      exitCode: EXIT.USAGE,
    })
  return [...ports.values()]
}
