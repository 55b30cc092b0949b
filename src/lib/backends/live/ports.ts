import {randomBytes} from 'node:crypto'

import {FabricError, notFound, usageError} from '../../cli/errors.js'
import {EXIT} from '../../cli/exit-codes.js'
import type {LiveContext} from '../../context/schema.js'
import type {PushOptions, PushResult} from '../../leaf/engine.js'
import {portLeavesOutcome} from '../../leaf/overlay.js'
import {mapLimit, type NPort, NeutronApi} from '../../live/neutron/api.js'
import {neutronErrorType, neutronStatus} from '../../live/neutron/http.js'
import {cidrContains, isReserved, isValidIpv4, parseCidr} from '../../model/addressing.js'
import type {PlaneState} from '../../model/types.js'
import {basisOf} from '../../live/neutron/basis.js'
import {
  type IpamCapabilities,
  type IpamChangeOptions,
  type IpamPort,
  recordedOverlay,
  recordedPlanes,
} from '../../seam/ipam.js'
import type {LeafDriverRegistry, LeafService, PortAssumption} from '../../seam/leaf-drivers.js'
import {
  type ChangeShape,
  changeSteps,
  type ExecStep,
  executePlan,
  planDoc,
  type PlanStep,
  type PortPlan,
  stepId,
  wiring,
} from '../../ports/plan.js'
import {
  type AllocateEngine,
  type Allocation,
  type ChangePort,
  type HostChangeEngine,
  type LeafPreview,
  PortChangeService,
  type ReleaseEngine,
} from '../../ports/service.js'
import {
  ambiguousPort,
  checkExistingName,
  exhaustedError,
  checkItem,
  LABEL_POLICY,
  labelNotFound,
  leafGateError,
  leafOwnershipError,
  NETWORK_POLICY,
  networkForIp,
  networkUsage,
  parseStateFilter,
  planFill,
  policyOrder,
  portExistsError,
  usageRows,
  validateLabel,
  validateLimit,
} from '../../ports/common.js'
import type {
  AllocatedPort,
  AllocateRequest,
  AllocateResult,
  BindResultDoc,
  ChangeOptions,
  IpamCheckItem,
  IpamCheckResult,
  LabelChange,
  LeafTouchDoc,
  MigrateResult,
  NetworkUsage,
  PortDetail,
  PortListFilter,
  PortPage,
  PortService,
  PortView,
  ReleaseResult,
  UsageRow,
} from '../../ports/types.js'

/** Ports per Neutron bulk POST: bigger batches are several atomic bulks, made all-or-nothing by deleting what was created. */
export const BULK_MAX = 100
const CONCURRENCY = 4

interface LiveNet {
  id: string
  name: string
  az: string
  cidr: string
  gateway: string
  labels: string[]
  subnetId: string | null
  vlan: number
  l2Vni: number | null
}

/** The one reading of a Neutron port's recorded planes (seam/ipam.ts), shared with `port states` and `port diagnose`. */
export function liveState(p: NPort): {underlay: PlaneState; overlay: PlaneState} {
  const {underlay, overlay} = recordedPlanes(p)
  return {underlay, overlay}
}

/** What the leaf steps of a change did: each push as port results report it, the reasons, the overlay read from them. */
interface LeavesOutcome {
  leaves: LeafTouchDoc[]
  reasons: string[]
  overlay: PlaneState
}

/** An allocation read and planned (ports/live.ts `prepareAllocation`). */
interface Prepared {
  usage: NetworkUsage[]
  toCreate: {name: string; i: number}[]
  ipNet: LiveNet | undefined
  /** With --host and ports to create: the plan and its execution. */
  run: {plan: PortPlan; execute: () => Promise<LeavesOutcome>} | undefined
  dryRun(): Promise<AllocateResult>
  apply(): Promise<AllocateResult>
}

/**
 * The leaf pushes of one port change: one leaf service for the pushes of the change (opened at the first
 * push, after Neutron holds the change), one per undo with the ports assumed where they were.
 */
class LeafPushes {
  readonly results = new Map<string, PushResult>()
  private readonly open: Promise<LeafService>[] = []
  private current?: Promise<LeafService>

  constructor(
    private readonly leafDrivers: LeafDriverRegistry,
    private readonly opts: PushOptions,
    /** How the change's own pushes see the ports (absent: as Neutron holds them, the change made). */
    private readonly forward?: PortAssumption[],
  ) {}

  async push(leaf: string, assume?: PortAssumption[]): Promise<PushResult> {
    const svc = assume ? this.service(assume) : (this.current ??= this.service(this.forward))
    const r = await (await svc).push(leaf, this.opts)
    if (!assume) this.results.set(leaf, r)
    return r
  }

  private service(assume?: PortAssumption[]): Promise<LeafService> {
    const s = this.leafDrivers.service(assume ? {assume} : undefined)
    this.open.push(s)
    return s
  }

  close(): void {
    for (const s of this.open)
      void s.then(
        x => x.close(),
        () => {},
      )
  }
}

/**
 * A gate refused a leaf push (ownership, or --max-changes): a step failure, so the plan undoes what was
 * applied (exit 4, naming the leaf and why), as `leaf push` would have refused it. Other statuses
 * (unreachable, failed) are no step failure: the overlay is recorded as ERROR and the result says why.
 */
function gateRefusal(r: PushResult, maxChanges: number | undefined): void {
  if (r.status !== 'refused') return
  if (r.error?.code === 'LEAF_UNMANAGED') throw leafOwnershipError(r.leaf, r.error.message, r.error.hint)
  if (maxChanges !== undefined) throw leafGateError(r.leaf, r.changes.length, maxChanges, true)
}

/**
 * What the live port engine needs of the live IPAM (`LiveIpam` has it), declared here so that the engine does not
 * import the IPAM that builds it.
 */
export interface LivePortIpam {
  capabilities(): Promise<IpamCapabilities>
  findRaw(ref: string): Promise<NPort[]>
  update(id: string, body: Record<string, unknown>, opts?: IpamChangeOptions): Promise<NPort>
  bind(id: string, host: string, opts?: IpamChangeOptions): Promise<IpamPort>
  recordOverlay(
    id: string,
    overlay: PlaneState,
  ): Promise<{record: IpamCapabilities['overlayRecord']; value: 'ACTIVE' | 'DOWN' | null}>
  restoreOverlay(id: string, before: 'ACTIVE' | 'DOWN' | null): Promise<void>
}

/** What the live port engine needs of its fabric: the context, the Neutron IPAM, the leaf drivers. */
export interface LivePortDeps {
  context: LiveContext
  ipam: LivePortIpam
  leafDrivers: LeafDriverRegistry
}

/** What a leaf push did, as port results report it. */
function touchFromPush(r: PushResult & {side: LeafTouchDoc['side']}): LeafTouchDoc {
  const ok = r.status === 'applied' || r.status === 'unchanged'
  return {
    leaf: r.leaf,
    side: r.side,
    ok,
    changed: r.status === 'applied',
    ...(ok ? {} : {error: r.error?.message ?? r.status, cause: r.error?.code ?? r.status}),
  }
}

function stateReasons(p: NPort): string[] {
  const host = p['binding:host_id']
  if (!host) return ['not bound to a host']
  const out = [`Neutron binding:host_id=${host}, status ${p.status}, binding:vif_type ${p['binding:vif_type'] ?? '-'}`]
  if (p['binding:vif_type'] === 'binding_failed')
    out.push(`no mechanism driver could bind the port on ${host} (no live L2 agent there): the underlay is not wired`)
  return out
}

/**
 * The port service on a real Neutron. Labels are tags on networks. Names are made unique here
 * (Neutron's are not): look up by name first; after creating, look again, and when a rival
 * creation of the same name raced in, the newer one (by created_at, then id) is deleted and the
 * older returned. The window left: two creations whose post-create lookups each run before the
 * other commits, where the second commit sorts first — `ipam check` reports duplicate names.
 */
export class LivePortService implements PortService {
  readonly backend = 'live' as const
  private readonly api: NeutronApi
  private netsCache?: Promise<LiveNet[]>

  private readonly ctx: LiveContext
  private readonly ipam: LivePortIpam
  private readonly leafDrivers: LeafDriverRegistry

  /** Built by the live IPAM (`LiveIpam.portService`) with what it needs of the live fabric, not the fabric. */
  constructor(deps: LivePortDeps) {
    this.ctx = deps.context
    this.ipam = deps.ipam
    this.leafDrivers = deps.leafDrivers
    this.api = new NeutronApi(this.ctx)
  }

  /** The leaf gates of port operations: the same push options as `leaf push` (--max-changes). */
  private push: {force?: boolean; maxChanges?: number} = {force: true}
  private setLeafGate(maxChanges: number | undefined): void {
    this.push = maxChanges === undefined ? {force: true} : {maxChanges}
  }

  /**
   * Live's part of a plan: its Neutron steps (`ipam`) executed as given, then the backend-neutral steps
   * (`changeSteps`): the host wiring expected (the host's own agent does it: nothing to undo here), each
   * leaf pushed (all at once, as `leaf push --all` does: a VNI new to several leaves only verifies once
   * every one of them carries it), undone by pushing it again with the ports assumed where they were
   * (Neutron is put back only by the Neutron step's own undo, after), and the verified overlay recorded
   * where the deployment allows.
   */
  private changePlan(
    operation: PortPlan['operation'],
    subject: string,
    ipam: ExecStep[],
    shape: Omit<ChangeShape, 'record'> & {
      /** The ports' host after the change (null: released), for the overlay read from the pushes. */
      host: string | null
      oldLeaves: string[]
      /** The ports as they were, for a leaf push's undo (null: the pushes need no undo; []: as Neutron holds them). */
      before: (() => PortAssumption[]) | null
      /** The ports as the leaf pushes assume them (a release pushes before its DELETE: the ports gone). */
      assume?: PortAssumption[]
      /** Record the overlay on these ports (the record step; absent: no record step), and how to undo it. */
      recordOn?: {ids: () => string[]; undo: string | null; restore?: () => Promise<void>}
    },
  ): {plan: PortPlan; execute: () => Promise<LeavesOutcome>} {
    const pushes = new LeafPushes(this.leafDrivers, this.push, shape.assume)
    const newLeaves = shape.host ? this.leafNames(shape.host) : []
    const outcome = (): LeavesOutcome => {
      const o = portLeavesOutcome(
        shape.host,
        {newLeaves, oldLeaves: shape.oldLeaves},
        shape.leaves.map(l => pushes.results.get(l)).filter((r): r is PushResult => r !== undefined),
      )
      return {leaves: o.leaves.map(touchFromPush), reasons: o.reasons, overlay: o.overlay}
    }
    const ipamSteps = new Set<PlanStep>(ipam)
    const all = changeSteps(
      ipam,
      {...shape, record: shape.recordOn !== undefined},
      {
        host: null,
        leaf: l => (shape.before ? `push ${l} again with the port(s) where they were` : null),
        record: shape.recordOn?.undo ?? null,
      },
    )
    const leafOf = new Map(shape.leaves.map(l => [stepId.leaf(l), l]))
    const steps: ExecStep[] = all.map((st): ExecStep => {
      if (ipamSteps.has(st)) return st as ExecStep
      if (st.kind === 'host') return {...st, apply: () => {}}
      const leaf = leafOf.get(st.id)
      if (leaf !== undefined) {
        return {
          ...st,
          together: 'leaves',
          apply: async () => {
            gateRefusal(await pushes.push(leaf), this.push.maxChanges)
          },
          ...(shape.before
            ? {
                compensate: async () => {
                  const r = await pushes.push(leaf, shape.before!())
                  if (r.status !== 'applied' && r.status !== 'unchanged')
                    throw new Error(`pushing ${leaf} back failed: ${r.error?.message ?? r.status}`)
                },
              }
            : {}),
        }
      }
      const rec = shape.recordOn!
      return {
        ...st,
        apply: async () => {
          const {overlay} = outcome()
          const res = await mapLimit(rec.ids(), CONCURRENCY, id => this.ipam.recordOverlay(id, overlay))
          const bad = res.find(x => x.status === 'rejected')
          if (bad) throw (bad as PromiseRejectedResult).reason
        },
        ...(rec.restore ? {compensate: rec.restore} : {}),
      }
    })
    return {
      plan: planDoc(operation, subject, steps, shape.leaves),
      execute: async () => {
        try {
          await executePlan(operation, subject, steps)
          return outcome()
        } finally {
          pushes.close()
        }
      },
    }
  }

  private leafNames(host: string | null): string[] {
    if (!host) return []
    return [...new Set((this.ctx.inventory.hosts.find(h => h.name === host)?.nics ?? []).map(n => n.leaf))]
  }

  // --- lookups ------------------------------------------------------------------------------
  private get defaultAz(): string {
    return this.ctx.inventory.azs[0]?.name ?? 'default'
  }

  private nets(): Promise<LiveNet[]> {
    this.netsCache ??= (async () => {
      const [networks, subnets] = await Promise.all([this.api.networks(), this.api.subnets()])
      const v4 = new Map<string, (typeof subnets)[number]>()
      for (const s of subnets) if (s.ip_version === 4 && !v4.has(s.network_id)) v4.set(s.network_id, s)
      return networks
        .map(n => {
          const s = v4.get(n.id)
          return {
            id: n.id,
            name: n.name || n.id,
            az: n.availability_zone_hints?.[0] ?? this.defaultAz,
            cidr: s?.cidr ?? '',
            gateway: s?.gateway_ip ?? '',
            labels: [...(n.tags ?? [])].sort(),
            subnetId: s?.id ?? null,
            vlan: n['provider:network_type'] === 'vlan' ? (n['provider:segmentation_id'] ?? 0) : 0,
            l2Vni: null,
          }
        })
        .sort((a, b) => a.name.localeCompare(b.name))
    })()
    return this.netsCache
  }

  private async net(ref: string): Promise<LiveNet> {
    const all = await this.nets()
    const m = all.filter(n => n.id === ref || n.name === ref)
    if (m.length === 0)
      throw notFound(
        'network',
        ref,
        'List networks with `fabricctl network list`.',
        all.map(n => n.name),
      )
    if (m.length > 1)
      throw usageError(
        'NETWORK_AMBIGUOUS',
        `${m.length} Neutron networks are named "${ref}".`,
        ref,
        `Use the network id: ${m.map(n => n.id).join(', ')}.`,
      )
    return m[0]!
  }

  private host(name: string): {name: string; az: string; nics: {leaf: string; interface: string}[]} {
    const h = this.ctx.inventory.hosts.find(x => x.name === name)
    if (!h)
      throw notFound(
        'host',
        name,
        `Hosts of context "${this.ctx.name}" come from its inventory; list them with \`fabricctl host list\`.`,
        this.ctx.inventory.hosts.map(x => x.name),
      )
    return h
  }

  private async usageOf(nets: LiveNet[]): Promise<NetworkUsage[]> {
    if (nets.length === 0) return []
    let avail: Map<string, {used: number; total: number}>
    try {
      avail = new Map(
        (await this.api.availability(nets.map(n => n.id))).map(a => [
          a.network_id,
          {used: a.used_ips, total: a.total_ips},
        ]),
      )
    } catch {
      // No network-ip-availability extension (or not admin): count ports, size from the CIDR.
      avail = new Map()
      for (const n of nets) {
        const used = (
          await this.api.ports([
            ['network_id', n.id],
            ['fields', 'id'],
          ])
        ).length
        const r = n.cidr ? parseCidr(n.cidr) : undefined
        avail.set(n.id, {used, total: r ? r.broadcast - r.network - 2 : 0})
      }
    }
    return nets.map(n => {
      const a = avail.get(n.id) ?? {used: 0, total: 0}
      return networkUsage(n, a.used, a.total)
    })
  }

  private async netName(id: string): Promise<string> {
    return (await this.nets()).find(n => n.id === id)?.name ?? id
  }

  private async view(p: NPort): Promise<PortView> {
    const st = liveState(p)
    return {
      id: p.id,
      name: p.name,
      network: await this.netName(p.network_id),
      ip: p.fixed_ips[0]?.ip_address ?? '',
      mac: p.mac_address,
      host: p['binding:host_id'] || null,
      instance: p.device_id || null,
      ...st,
      state: `${st.underlay}_${st.overlay}`,
      createdAt: p.created_at ?? '',
      updatedAt: p.updated_at ?? '',
      neutron: {status: p.status, vifType: p['binding:vif_type'] ?? null, networkId: p.network_id},
    }
  }

  /** The ports a reference (id, IP or name) names: the IPAM member's one lookup. */
  private findPorts(ref: string): Promise<NPort[]> {
    return this.ipam.findRaw(ref)
  }

  private async resolvePort(ref: string): Promise<NPort> {
    const found = await this.findPorts(ref)
    if (found.length === 0)
      throw notFound('port', ref, 'Give a port name, id or IP; list ports with `fabricctl port list`.')
    if (found.length > 1)
      throw ambiguousPort(
        ref,
        await Promise.all(found.map(async p => ({id: p.id, name: p.name, network: await this.netName(p.network_id)}))),
      )
    return found[0]!
  }

  private async deleteQuietly(ids: string[]): Promise<string[]> {
    const r = await mapLimit(ids, 8, async id => {
      try {
        await this.api.deletePort(id)
      } catch (error) {
        if (neutronStatus(error) !== 404) throw error
      }
    })
    return ids.filter((_, i) => r[i]!.status === 'rejected')
  }

  // --- allocate -----------------------------------------------------------------------------
  async allocate(req: AllocateRequest): Promise<AllocateResult> {
    this.setLeafGate(req.maxChanges)
    return PortChangeService.allocate(this.allocateEngine(), req)
  }

  /**
   * Neutron's primitives of an allocation: the names looked up, the networks' usage read, the fill planned
   * (`prepare`, read only). With --host the plan is the bulk create (bound), then the neutral steps (the
   * host's wiring expected, each of its leaves pushed, the overlay recorded on the new ports), each undone
   * in reverse; the leaves are previewed with the ports assumed on the host before the POST. A dry run
   * writes nothing to Neutron.
   */
  private allocateEngine(): AllocateEngine<LiveNet> {
    const prepared = new WeakMap<Allocation<LiveNet>, Promise<Prepared>>()
    const prepare = (a: Allocation<LiveNet>) => {
      let p = prepared.get(a)
      if (!p) prepared.set(a, (p = this.prepareAllocation(a)))
      return p
    }
    return {
      host: async name => this.host(name),
      network: async ref => this.net(ref),
      labelled: async (label, az) => {
        // The tagged ids and every network (with subnets) in one round trip, not two after each other.
        const [taggedNets, all] = await Promise.all([this.api.networks({tags: label}), this.nets()])
        const tagged = new Set(taggedNets.map(n => n.id))
        const nets = all.filter(n => tagged.has(n.id) && (az === undefined || n.az === az))
        if (nets.length === 0)
          throw labelNotFound(
            label,
            az,
            [...new Set(all.filter(n => az === undefined || n.az === az).flatMap(n => n.labels))].sort(),
          )
        return nets
      },
      plan: async a => {
        const x = await prepare(a)
        const planned = x.ipNet
          ? [x.ipNet]
          : (planFill(x.usage, x.toCreate.length) ?? []).map(st => a.nets.find(n => n.name === st.network.name)!)
        const leaves =
          x.run && a.host
            ? await this.previewLeaves(
                planned.map(n => ({portId: `planned:${n.id}`, host: a.host!.name, networkId: n.id})),
                [a.host.name],
              )
            : []
        return {...(x.run ? {plan: x.run.plan} : {}), leaves, dryRun: await x.dryRun()}
      },
      apply: async a => {
        const x = await prepare(a)
        if (a.req.dryRun) return x.dryRun()
        return x.apply()
      },
    }
  }

  /** The read-only part of an allocation, and the two ways on: its dry-run result, or its execution. */
  private async prepareAllocation(a: Allocation<LiveNet>): Promise<Prepared> {
    const {req, names, nets} = a
    const netIds = new Set(nets.map(n => n.id))
    const wanted = names.filter((n): n is string => n !== null)
    const existing = new Map<string, NPort>()
    // The names' ports and the networks' usage are independent reads: one round trip for both.
    const usageRead = this.usageOf(nets)
    usageRead.catch(() => {}) // awaited below; a failed name lookup must not leave it unhandled
    const byName = groupBy(await this.api.portsByName(wanted), p => p.name)
    for (const [name, ps] of byName) {
      if (ps.length > 1) {
        throw new FabricError({
          code: 'PORT_NAME_DUPLICATE',
          message: `Neutron holds ${ps.length} ports named "${name}" (${ps.map(p => p.id).join(', ')}); fabricctl cannot tell which is the real one.`,
          value: name,
          hint: 'Release the extra ones by id (`fabricctl port release ID`); `fabricctl ipam check` lists every duplicate name.',
          exitCode: EXIT.CHECK_FAILED,
        })
      }
      const p = ps[0]!
      checkExistingName(
        req,
        {name, network: await this.netName(p.network_id), ips: p.fixed_ips.map(f => f.ip_address)},
        netIds.has(p.network_id),
      )
      existing.set(name, p)
    }
    if (req.failIfExists && existing.size > 0) throw portExistsError([...existing.keys()])
    const toCreate = names
      .map((n, i) => ({
        name: n ?? `port-${randomBytes(6).toString('hex').slice(0, 11)}`,
        i,
        fixed: n !== null && existing.has(n),
      }))
      .filter(x => !x.fixed)
    const usage = policyOrder(await usageRead)
    const policy = req.label ? LABEL_POLICY : NETWORK_POLICY

    let ipNet: LiveNet | undefined
    if (req.ip !== undefined && toCreate.length > 0) {
      ipNet = networkForIp(req.ip, nets)
    } else if (toCreate.length > 0 && !planFill(usage, toCreate.length)) {
      throw exhaustedError(req, toCreate.length, usage)
    }

    const existingDocs = async (): Promise<Map<number, AllocatedPort>> => {
      const m = new Map<number, AllocatedPort>()
      for (const [i, n] of names.entries())
        if (n !== null && existing.has(n)) m.set(i, await this.allocated(existing.get(n)!, false))
      return m
    }
    const made: {created: Map<string, NPort>; adopted: Map<string, NPort>; fresh: NPort[]} = {
      created: new Map(),
      adopted: new Map(),
      fresh: [],
    }
    const create = async () => {
      made.created = await this.createAll(
        req,
        toCreate.map(x => x.name),
        usage,
        nets,
        ipNet,
      )
      made.adopted = await this.settleNameRace(made.created, wanted)
      made.fresh = [...made.created.values()].filter(p => !made.adopted.has(p.name))
    }
    const onHost = a.host?.name
    const run =
      onHost === undefined || toCreate.length === 0
        ? undefined
        : this.changePlan(
            'allocate',
            `${toCreate.length} port(s) on ${onHost}`,
            [
              {
                id: 'neutron-create',
                kind: 'neutron',
                action: `POST /v2.0/ports (${toCreate.length} port(s), binding:host_id=${onHost}; one atomic bulk per network)`,
                undo: `DELETE the created port(s)`,
                apply: create,
                compensate: async () => {
                  const left = await this.deleteQuietly(made.fresh.map(p => p.id))
                  if (left.length > 0) throw new Error(`Neutron refused to delete ${left.join(', ')}`)
                },
              },
            ],
            {
              ...wiring.create(onHost),
              leaves: this.leafNames(onHost),
              host: onHost,
              oldLeaves: [],
              // Undone before the ports are deleted: the leaves pushed again with the new ports read as unbound.
              before: () => made.fresh.map(p => ({portId: p.id, host: null})),
              // The ports are deleted by the create's undo: the record needs none of its own.
              recordOn: {ids: () => made.fresh.map(p => p.id), undo: null},
            },
          )

    const result = (dryRun: boolean, ports: AllocatedPort[], leaves: LeafTouchDoc[]): AllocateResult => {
      const created = ports.filter(p => p.created).length
      return {
        ...(run ? {plan: run.plan} : {}),
        dryRun,
        policy,
        candidates: usage,
        ports,
        created,
        existing: names.length - created,
        leaves,
      }
    }
    const dryRun = async (): Promise<AllocateResult> => {
      const fill = ipNet
        ? [{network: usage.find(u => u.name === ipNet.name)!, count: 1}]
        : (planFill(usage, toCreate.length) ?? [])
      const planned: string[] = fill.flatMap(s => Array.from({length: s.count}, () => s.network.name))
      const ex = await existingDocs()
      const ports = names.map(
        (_, i): AllocatedPort =>
          ex.get(i) ?? {
            id: null,
            name: toCreate.find(x => x.i === i)!.name,
            network: planned[toCreate.findIndex(x => x.i === i)]!,
            ip: req.ip ?? null,
            mac: null,
            host: req.host ?? null,
            underlay: 'DOWN',
            overlay: 'DOWN',
            state: 'DOWN_DOWN',
            created: true,
          },
      )
      return result(true, ports, [])
    }

    const apply = async (): Promise<AllocateResult> => {
      let leaves: LeafTouchDoc[] = []
      if (run) leaves = (await run.execute()).leaves
      else await create()
      const {created, adopted, fresh} = made
      if (run) for (const p of fresh) created.set(p.name, await this.api.port(p.id))
      const ex = await existingDocs()
      const ports: AllocatedPort[] = []
      for (const [i] of names.entries()) {
        const x = toCreate.find(t => t.i === i)
        if (!x) {
          ports.push(ex.get(i)!)
          continue
        }
        const adoptedPort = adopted.get(x.name)
        ports.push(await this.allocated(adoptedPort ?? created.get(x.name)!, !adoptedPort))
      }
      return result(false, ports, leaves)
    }
    return {usage, toCreate, ipNet, run, dryRun, apply}
  }

  /**
   * Close the name race after a create: a rival creation of the same name that slipped in wins if it is older
   * (by created_at, then id); this call's port is deleted and the rival's adopted. Returns the adopted ones by name.
   */
  private async settleNameRace(created: Map<string, NPort>, wanted: string[]): Promise<Map<string, NPort>> {
    const adopted = new Map<string, NPort>()
    if (wanted.length === 0) return adopted
    const after = groupBy(await this.api.portsByName([...created.keys()].filter(n => wanted.includes(n))), p => p.name)
    const losers: string[] = []
    for (const [name, ps] of after) {
      if (ps.length < 2) continue
      const winner = [...ps].sort(
        (a, b) => (a.created_at ?? '').localeCompare(b.created_at ?? '') || a.id.localeCompare(b.id),
      )[0]!
      const mine = created.get(name)!
      if (winner.id !== mine.id) {
        losers.push(mine.id)
        adopted.set(name, winner)
      }
    }
    if (losers.length > 0) await this.deleteQuietly(losers)
    return adopted
  }

  private async allocated(p: NPort, created: boolean): Promise<AllocatedPort> {
    const v = await this.view(p)
    return {
      id: v.id,
      name: v.name,
      network: v.network,
      ip: v.ip,
      mac: v.mac,
      host: v.host,
      underlay: v.underlay,
      overlay: v.overlay,
      state: v.state,
      created,
      ...(v.host ? {reasons: stateReasons(p)} : {}),
    }
  }

  /**
   * POST the ports, network by network in policy order, in bulks of BULK_MAX (a few in parallel).
   * A bulk answered 409 IpAddressGenerationFailure created nothing (Neutron's bulk is atomic): the
   * network is full, its ports go to the next network. Any other failure deletes every port this
   * call created, so the batch stays all-or-nothing.
   */
  private async createAll(
    req: AllocateRequest,
    names: string[],
    usage: NetworkUsage[],
    nets: LiveNet[],
    ipNet: LiveNet | undefined,
  ): Promise<Map<string, NPort>> {
    const created = new Map<string, NPort>()
    const netByName = new Map(nets.map(n => [n.name, n]))
    const body = (name: string, net: LiveNet): Record<string, unknown> => ({
      network_id: net.id,
      name,
      admin_state_up: true,
      // Without Keystone, Neutron needs the project in the body (the token carries it otherwise).
      ...(this.ctx.neutron.auth.type === 'noauth' ? {project_id: this.ctx.neutron.auth.projectId} : {}),
      ...(req.host ? {'binding:host_id': req.host} : {}),
      ...(req.ip && net.subnetId ? {fixed_ips: [{subnet_id: net.subnetId, ip_address: req.ip}]} : {}),
    })
    const tried: NetworkUsage[] = []
    try {
      let remaining = [...names]
      const queue = ipNet ? usage.filter(u => u.name === ipNet.name) : [...usage]
      const interrupted = () =>
        new FabricError({
          code: 'INTERRUPTED',
          message:
            'Interrupted by a signal: the ports this batch had created were deleted again, so nothing was allocated.',
          value: names.length,
          hint: 'Run the same command again to allocate the batch.',
          exitCode: EXIT.INTERRUPTED,
        })
      for (const u of queue) {
        if (remaining.length === 0) break
        if (req.shouldStop?.()) throw interrupted()
        tried.push(u)
        if (!ipNet && u.free <= 0) continue
        const net = netByName.get(u.name)!
        const take = remaining.slice(0, ipNet ? remaining.length : Math.min(remaining.length, u.free))
        const chunks: string[][] = []
        for (let i = 0; i < take.length; i += BULK_MAX) chunks.push(take.slice(i, i + BULK_MAX))
        const results = await mapLimit(chunks, CONCURRENCY, chunk =>
          req.shouldStop?.() ? Promise.reject(interrupted()) : this.api.createPorts(chunk.map(n => body(n, net))),
        )
        let full = false
        for (const r of results) {
          if (r.status === 'fulfilled') {
            for (const p of r.value) created.set(p.name, p)
          } else if (neutronErrorType(r.reason) === 'IpAddressGenerationFailure') {
            full = true
          } else if (neutronErrorType(r.reason) === 'IpAddressAlreadyAllocated') {
            throw usageError(
              'IP_IN_USE',
              `${req.ip} is already allocated on ${net.name}.`,
              req.ip,
              'Pick a free address, or release the port holding it.',
            )
          } else {
            throw r.reason
          }
        }
        remaining = remaining.filter(n => !created.has(n))
        if (full) u.free = 0
        else u.free -= take.length
      }
      if (remaining.length > 0) {
        // Neutron says the networks are fuller than the availability API did: undo, report.
        const fresh = await this.usageOf(nets.filter(n => tried.some(t => t.name === n.name)))
        throw exhaustedError(req, names.length, policyOrder(fresh))
      }
      return created
    } catch (error) {
      const left = await this.deleteQuietly([...created.values()].map(p => p.id))
      if (left.length > 0 && error instanceof FabricError) {
        throw new FabricError({
          code: error.code,
          message: `${error.message} Cleaning up failed for ${left.length} port(s) this batch created: ${left.join(', ')}.`,
          value: error.value,
          hint: `Release them with \`fabricctl port release ${left.join(' ')}\`.`,
          details: error.details,
          exitCode: EXIT.PARTIAL,
        })
      }
      throw error
    }
  }

  // --- bind / migrate (the rules: ports/service.ts) / release -------------------------------
  async bind(ref: string, hostName: string, opts: ChangeOptions): Promise<BindResultDoc> {
    return new PortChangeService(this.hostChangeEngine()).bind(ref, hostName, opts)
  }

  async migrate(ref: string, toHost: string, opts: ChangeOptions): Promise<MigrateResult> {
    return new PortChangeService(this.hostChangeEngine()).migrate(ref, toHost, opts)
  }

  /** Where this deployment records the overlay, for the result's reasons. */
  private async recordNote(): Promise<string> {
    const {overlayRecord} = await this.ipam.capabilities()
    return overlayRecord === 'none'
      ? 'overlay not recorded: this Neutron has neither data_plane_status nor standard-attr-tag (`port diagnose` reads the leaves)'
      : `overlay recorded in ${overlayRecord === 'port-tag' ? 'a port tag (no data_plane_status extension)' : 'data_plane_status'}`
  }

  private async changePort(p: NPort): Promise<ChangePort> {
    const v = await this.view(p)
    return {
      id: p.id,
      name: p.name,
      host: v.host,
      ip: v.ip,
      mac: v.mac,
      view: v,
      side: {host: v.host, ip: v.ip, mac: v.mac, state: v.state, device: null},
    }
  }

  /**
   * The leaf pushes a port change would make, before Neutron is changed: a dry-run push of each leaf of the
   * hosts, its desired state read with the ports assumed where the change puts them (null: gone or unbound). Ownership refusals come back as
   * such; the count is gated by the service. An unreachable leaf is no refusal here (the real push reports it).
   */
  private async previewLeaves(assume: PortAssumption[], hosts: (string | null)[]): Promise<LeafPreview[]> {
    const leaves = [...new Set(hosts.flatMap(h => this.leafNames(h)))]
    if (leaves.length === 0) return []
    const svc = await this.leafDrivers.service({assume})
    try {
      const pushed = await Promise.all(leaves.map(leaf => svc.push(leaf, {dryRun: true, force: true})))
      return pushed.map((r): LeafPreview => {
        if (r.status === 'refused' && r.error?.code === 'LEAF_UNMANAGED')
          return {leaf: r.leaf, changes: r.changes.length, refused: r.error}
        return {leaf: r.leaf, changes: r.status === 'unreachable' ? null : r.changes.length}
      })
    } finally {
      svc.close()
    }
  }

  /**
   * The plan of a host change (bind or migrate) of port `p` from `from` to `to`: Neutron's binding
   * (conditional on the revision read, where Neutron supports If-Match), then the neutral steps
   * (`changePlan`): the hosts' wiring expected, the leaves of both hosts, the overlay record.
   */
  private hostChangePlan(op: 'bind' | 'migrate', p: NPort, from: string | null, to: string) {
    const before = recordedOverlay(p).value
    const neutron: ExecStep = {
      id: 'neutron-bind',
      kind: 'neutron',
      action: `PUT /v2.0/ports/${p.id} binding:host_id=${to}${p.revision_number !== undefined ? ` (If-Match revision_number=${p.revision_number} where supported)` : ''}`,
      undo: `PUT binding:host_id=${from ?? '""'}`,
      apply: async () => {
        await this.ipam.bind(p.id, to, {ifRevision: p.revision_number ?? null, basis: basisOf(p)})
      },
      compensate: async () => {
        await this.ipam.update(p.id, {'binding:host_id': from ?? ''})
      },
    }
    const oldLeaves = this.leafNames(from)
    return this.changePlan(op, p.name || p.id, [neutron], {
      ...wiring.move(from, to),
      leaves: [...new Set([...this.leafNames(to), ...oldLeaves])],
      host: to,
      oldLeaves,
      before: () => [{portId: p.id, host: from}],
      recordOn: {
        ids: () => [p.id],
        undo: `put back the recorded overlay (${before ?? 'none'})`,
        restore: () => this.ipam.restoreOverlay(p.id, before),
      },
    })
  }

  /**
   * Neutron's primitives of a host change: the plan is `hostChangePlan` and the dry-run pushes of
   * `previewLeaves`, read before any write; the apply executes those steps with their undos.
   */
  private hostChangeEngine(): HostChangeEngine {
    const raw = new Map<string, NPort>()
    const pending = new WeakMap<PortPlan, () => Promise<LeavesOutcome>>()
    return {
      resolvePort: async ref => {
        const p = await this.resolvePort(ref)
        raw.set(p.id, p)
        return this.changePort(p)
      },
      host: async name => this.host(name),
      networkOf: async c => {
        const net = (await this.nets()).find(n => n.id === raw.get(c.id)!.network_id)
        return net ? {name: net.name, az: net.az} : null
      },
      plan: async c => {
        this.setLeafGate(c.maxChanges)
        const p = raw.get(c.port.id)!
        const {plan, execute} = this.hostChangePlan(c.operation, p, c.port.host, c.to.name)
        pending.set(plan, execute)
        return {
          plan,
          leaves: await this.previewLeaves([{portId: p.id, host: c.to.name}], [c.to.name, c.port.host]),
          dryRun: {
            port: c.port.view,
            after: {...c.port.side, host: c.to.name, state: 'BUILD_BUILD'},
            device: null,
            leaves: [],
            reasons: plan.steps.map(st => `would ${st.action}`),
          },
        }
      },
      apply: async (c, plan) => {
        // Concurrency: Neutron's binding is conditional on the revision read (If-Match), so the rules hold at apply time.
        const out = await pending.get(plan)!()
        const after = await this.api.port(c.port.id)
        const a = await this.changePort(after)
        return {
          port: a.view,
          after: a.side,
          device: null,
          leaves: out.leaves,
          reasons: [...stateReasons(after), ...out.reasons, await this.recordNote()],
        }
      },
    }
  }

  async release(refs: readonly string[], opts: ChangeOptions): Promise<ReleaseResult> {
    this.setLeafGate(opts.maxChanges)
    return PortChangeService.release(this.releaseEngine(), refs, opts)
  }

  /**
   * Neutron's primitives of a release: each leaf of the ports' hosts pushed without the ports first (they
   * lose what no port needs any more; undone by pushing them as Neutron holds them), then the DELETE (no
   * undo: a deleted Neutron port cannot be re-created with its id), then the hosts' wiring expected gone;
   * nothing recorded, the ports are gone. The one step that cannot be undone comes last of those that change.
   */
  private releaseEngine(): ReleaseEngine<NPort> {
    const pending = new WeakMap<
      PortPlan,
      {execute: () => Promise<LeavesOutcome>; released: ReleaseResult['released']}
    >()
    return {
      find: async refs => {
        const found = await mapLimit(refs, 8, ref => this.findPorts(ref))
        const netNames = new Map((await this.nets()).map(n => [n.id, n.name]))
        return {
          found: found.map(r => {
            if (r.status === 'rejected') throw r.reason
            return r.value
          }),
          networkOf: p => netNames.get(p.network_id) ?? p.network_id,
        }
      },
      plan: async list => {
        const released = await Promise.all(
          list.map(async p => ({
            id: p.id,
            name: p.name,
            ip: p.fixed_ips[0]?.ip_address ?? '',
            network: await this.netName(p.network_id),
            host: p['binding:host_id'] || null,
            device: null,
          })),
        )
        const hosts = [...new Set(released.map(r => r.host).filter((h): h is string => h !== null))]
        const del: ExecStep = {
          id: 'neutron-delete',
          kind: 'neutron',
          action: `DELETE /v2.0/ports/{id} for ${released.map(r => r.name || r.id).join(', ')}`,
          // A deleted Neutron port cannot be brought back with its id: what is left changed is reported.
          undo: 'impossible: a deleted Neutron port cannot be re-created with its id',
          apply: async () => {
            const failed = await this.deleteQuietly(list.map(p => p.id))
            // None deleted is no partial change: the leaves pushed before are undone, nothing changed.
            if (failed.length === list.length) {
              throw new FabricError({
                code: 'NEUTRON_DELETE_FAILED',
                message: `Neutron refused to delete ${failed.join(', ')}.`,
                value: failed,
                hint: 'Check Neutron (`fabricctl port show ID`) and run the release again.',
                exitCode: EXIT.CHECK_FAILED,
              })
            }
            if (failed.length > 0) {
              throw new FabricError({
                code: 'RELEASE_PARTIAL',
                message: `Released ${list.length - failed.length} of ${list.length} ports; Neutron refused to delete ${failed.join(', ')}.`,
                value: failed,
                hint: 'Run the release again for those ids.',
                details: {released: released.filter(r => !failed.includes(r.id)), notReleased: failed},
                exitCode: EXIT.PARTIAL,
              })
            }
          },
        }
        const oldLeaves = [...new Set(hosts.flatMap(h => this.leafNames(h)))]
        const gone = list.map((p): PortAssumption => ({portId: p.id, host: null}))
        const subject = list.length === 1 ? list[0]!.name || list[0]!.id : `${list.length} ports`
        const {plan, execute} = this.changePlan('release', subject, [del], {
          ...wiring.release(hosts),
          leaves: oldLeaves,
          host: null,
          oldLeaves,
          // The leaves are pushed without the ports before the DELETE (which cannot be undone): a leaf that
          // fails leaves every port in Neutron, and the leaves pushed are undone by pushing them as Neutron holds them.
          leavesFirst: true,
          assume: gone,
          before: () => [],
        })
        pending.set(plan, {execute, released})
        // The same reading as the pushes: the gate runs on it before anything is applied.
        const leaves = await this.previewLeaves(gone, hosts)
        return {plan, leaves, dryRun: {dryRun: true, released, leaves: [], plan}}
      },
      apply: async (_list, plan) => {
        const {execute, released} = pending.get(plan)!
        const out = await execute()
        return {dryRun: false, released, leaves: out.leaves, plan}
      },
    }
  }

  // --- reads --------------------------------------------------------------------------------
  async show(ref: string): Promise<PortDetail> {
    const p = await this.resolvePort(ref)
    const n = (await this.nets()).find(x => x.id === p.network_id)
    return {
      port: await this.view(p),
      overlayRecord: (await this.ipam.capabilities()).overlayRecord,
      network: n
        ? {
            name: n.name,
            id: n.id,
            az: n.az,
            cidr: n.cidr,
            gateway: n.gateway,
            vlan: n.vlan,
            l2Vni: n.l2Vni,
            labels: n.labels,
          }
        : null,
      evidence: null,
    }
  }

  /** Neutron's own keyset paging: sorted by name (then id), `marker` = the last port's id. */
  async list(f: PortListFilter): Promise<PortPage> {
    validateLimit(f.limit)
    const st = parseStateFilter(f.state)
    const base: [string, string][] = [
      ['sort_key', 'name'],
      ['sort_dir', 'asc'],
      ['sort_key', 'id'],
      ['sort_dir', 'asc'],
    ]
    if (f.host) base.push(['binding:host_id', f.host])
    let netIds: string[] | undefined
    if (f.network) netIds = [(await this.net(f.network)).id]
    if (f.label || f.az) {
      const nets = (await this.nets())
        .filter(n => (!f.label || n.labels.includes(f.label)) && (!f.az || n.az === f.az))
        .map(n => n.id)
      netIds = netIds ? netIds.filter(id => nets.includes(id)) : nets
      if (netIds.length === 0) return {ports: [], next: null}
    }
    for (const id of netIds ?? []) base.push(['network_id', id])
    const keep = (p: NPort) => {
      if (f.namePrefix && !p.name.startsWith(f.namePrefix)) return false
      const s = liveState(p)
      return (!st.underlay || s.underlay === st.underlay) && (!st.overlay || s.overlay === st.overlay)
    }
    const out: NPort[] = []
    let marker = f.after
    const pageSize = Math.max(f.limit + 1, 100)
    for (let pages = 0; pages < 10_000 && out.length <= f.limit; pages++) {
      const page = await this.api.ports([
        ...base,
        ['limit', String(pageSize)],
        ...(marker ? [['marker', marker] as [string, string]] : []),
      ])
      for (const p of page) {
        if (keep(p)) out.push(p)
        if (out.length > f.limit) break
      }
      if (page.length < pageSize) break
      marker = page.at(-1)!.id
    }
    const more = out.length > f.limit
    const ports = await Promise.all(out.slice(0, f.limit).map(p => this.view(p)))
    return {ports, next: more ? ports.at(-1)!.id : null}
  }

  async label(action: 'add' | 'remove', network: string, label: string, opts: {dryRun: boolean}): Promise<LabelChange> {
    validateLabel(label)
    const n = await this.net(network)
    const has = n.labels.includes(label)
    const changed = action === 'add' ? !has : has
    if (changed && !opts.dryRun) {
      if (action === 'add') await this.api.addTag(n.id, label)
      else await this.api.removeTag(n.id, label)
    }
    const labels = changed
      ? action === 'add'
        ? [...n.labels, label].sort()
        : n.labels.filter(l => l !== label)
      : n.labels
    return {dryRun: opts.dryRun, action, network: n.name, label, changed, labels}
  }

  async usage(by: 'network' | 'label'): Promise<UsageRow[]> {
    return usageRows(await this.usageOf(await this.nets()), by)
  }

  async check(): Promise<IpamCheckResult> {
    const nets = await this.nets()
    const all: NPort[] = []
    let marker: string | undefined
    for (let pages = 0; pages < 1000; pages++) {
      const fields: [string, string][] = ['id', 'name', 'network_id', 'fixed_ips', 'binding:host_id', 'created_at'].map(
        f => ['fields', f],
      )
      const page = await this.api.ports([
        ...fields,
        ['limit', '1000'],
        ['sort_key', 'id'],
        ['sort_dir', 'asc'],
        ...(marker ? [['marker', marker] as [string, string]] : []),
      ])
      all.push(...page)
      if (page.length < 1000) break
      marker = page.at(-1)!.id
    }
    const checks: IpamCheckItem[] = []
    const item = (
      name: IpamCheckItem['name'],
      description: string,
      findings: IpamCheckItem['findings'],
      skipped?: string,
    ) => checks.push(checkItem(name, description, findings, skipped))
    const netName = new Map(nets.map(n => [n.id, n]))
    const byIp = groupBy(
      all.flatMap(p => p.fixed_ips.map(f => ({ip: f.ip_address, p}))),
      x => x.ip,
    )
    item(
      'duplicate-ips',
      'the same IP held by more than one port',
      [...byIp]
        .filter(([, xs]) => xs.length > 1)
        .map(([ip, xs]) => ({
          subject: ip,
          message: `${ip} is held by ${xs.map(x => `${x.p.name || x.p.id} (${netName.get(x.p.network_id)?.name ?? x.p.network_id})`).join(', ')}`,
        })),
    )
    const byName = groupBy(
      all.filter(p => p.name),
      p => p.name,
    )
    item(
      'duplicate-names',
      'port names held by more than one port (Neutron does not enforce unique names)',
      [...byName]
        .filter(([, ps]) => ps.length > 1)
        .map(([name, ps]) => ({
          subject: name,
          message: `${ps.length} ports are named ${name}: ${ps.map(p => p.id).join(', ')}`,
          evidence: {ids: ps.map(p => p.id)},
        })),
    )
    const bad: IpamCheckItem['findings'] = []
    for (const p of all) {
      const n = netName.get(p.network_id)
      for (const f of p.fixed_ips) {
        if (!n?.cidr || !isValidIpv4(f.ip_address) || f.subnet_id !== n.subnetId) continue
        if (!cidrContains(n.cidr, f.ip_address) || isReserved(n.cidr, n.gateway || '0.0.0.0', f.ip_address))
          bad.push({
            subject: p.name || p.id,
            message: `port ${p.name || p.id} holds ${f.ip_address}, outside ${n.cidr} or reserved`,
          })
      }
    }
    item('bad-addresses', 'ports holding an address outside their subnet or a reserved one', bad)
    const known = new Set(this.ctx.inventory.hosts.map(h => h.name))
    const unknown = all.filter(p => p['binding:host_id'] && !known.has(p['binding:host_id']))
    item(
      'unknown-hosts',
      'ports bound to a host the inventory does not know',
      unknown.map(p => ({
        subject: p.name || p.id,
        message: `port ${p.name || p.id} is bound to ${p['binding:host_id']}, not in the inventory of context ${this.ctx.name}`,
      })),
      known.size === 0 ? 'the context has no host inventory' : undefined,
    )
    item(
      'missing-controller-record',
      'ports the controller has no record of',
      [],
      'the live backend has no controller API to read',
    )
    item(
      'stale-controller-record',
      'controller records that disagree with the port',
      [],
      'the live backend has no controller API to read',
    )
    item(
      'leaf-config-without-port',
      'leaf configuration with no port behind it',
      [],
      'read the leaves with `fabricctl leaf diff` (leaf capability)',
    )
    return {ok: checks.every(c => c.status !== 'failed'), checks}
  }
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>()
  for (const it of items) {
    const k = key(it)
    let l = m.get(k)
    if (!l) m.set(k, (l = []))
    l.push(it)
  }
  return m
}
