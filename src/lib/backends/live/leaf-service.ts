import {notFound, usageError} from '../../cli/errors.js'
import type {LiveContext} from '../../context/schema.js'
import {neutronRequest} from '../../live/neutron/http.js'
import type {LeafConfig, Switch} from '../../model/types.js'
import type {LeafDriver} from '../../leaf/driver.js'
import {LeafDriverError} from '../../leaf/driver.js'
import {
  type PushResult,
  type RollbackResult,
  type VerifyResult,
  pushSteps,
  rollbackSteps,
  runAsync,
  verifySteps,
} from '../../leaf/engine.js'
import {type Known, type Unknown, anycastMacOf, keepRunningGatewayMacs} from '../../leaf/facts.js'
import {FrrLeafDriver, type FrrLeafOptions, type FrrRaw} from '../../leaf/frr/driver.js'
import {FileSnapshotStore, LiveDesiredState} from '../../leaf/live.js'
import type {LeafConfirmResult, LeafDiffResult, LeafService, PortAssumption} from '../../seam/leaf-drivers.js'
import {diffWith, noTarget, pickTargets} from '../../leaf/service-shared.js'
import {mapLimit} from '../../leaf/service.js'

/** Leaves read at once for the facts the inventory does not declare (as `--concurrency`'s default). */
const FACT_READS_AT_ONCE = 8

/** What the live leaf service read from the leaves themselves (facts the inventory does not declare). */
interface FabricFacts {
  mac: Known<'mac'> | Unknown<'mac'>
  /** The running model of every leaf that could be read. */
  running: Map<string, LeafConfig>
  /** Each leaf's VTEP as its VXLAN devices use it (null: unknown or unreadable). */
  vteps: Map<string, string | null>
}

/** The leaf capability on a live fabric: desired state from Neutron + inventory, leaves over SSH. */
export function liveLeafService(
  ctx: LiveContext,
  opts: {snapshotsRoot?: string; assume?: readonly PortAssumption[]} = {},
): LeafService & {state(): Promise<LiveDesiredState>; openDriver(leaf: string): Promise<LeafDriver>} {
  let state: Promise<LiveDesiredState> | undefined
  const load = () => (state ??= LiveDesiredState.load(ctx, opts.assume))
  const snaps = new FileSnapshotStore(ctx.name, opts.snapshotsRoot)
  const leafInv = (name: string) => {
    const l = ctx.inventory.leaves.find(x => x.name === name)
    if (!l)
      throw notFound(
        'leaf',
        name,
        'List leaves with `fabricctl leaf list`.',
        ctx.inventory.leaves.map(x => x.name),
      )
    return l
  }
  const switches = (): Switch[] =>
    ctx.inventory.leaves.map(l => ({
      name: l.name,
      az: l.az,
      role: 'leaf',
      pair: l.pair ?? null,
      asn: l.asn ?? null,
      vtep: l.vtep ?? null,
      address: l.address,
      driver: l.driver,
    }))
  const baseOptions = async (leaf: string): Promise<FrrLeafOptions> => {
    const l = leafInv(leaf)
    if (l.driver !== 'frr')
      throw new LeafDriverError(
        'LEAF_DRIVER_UNSUPPORTED',
        `Leaf ${leaf} uses driver "${l.driver}"; this fabricctl ships the frr driver only.`,
        'connect',
        'Set driver: frr for FRR leaves; other network operating systems need their own driver.',
      )
    const st = await load()
    return {
      ctx,
      leaf: {name: l.name, address: l.address, port: l.port, vtep: l.vtep ?? null},
      hostPorts: st.hostPorts(leaf),
      catalog: st.catalog,
      vniBase: ctx.overlay.vniBase,
      tenants: ctx.overlay.tenants,
      rtAsn: ctx.overlay.routeTargetAsn,
      scope: l.manage ?? ctx.overlay.manage,
      naming: l.naming ?? ctx.overlay.naming,
    }
  }
  // Facts the inventory does not declare are read from the leaves, once per service: each leaf's VTEP (the
  // local address of its VXLAN devices) and the anycast gateway MAC (the MAC of the gateways they carry).
  let fabric: Promise<FabricFacts> | undefined
  const needFabric = !ctx.overlay.anycastMac || ctx.inventory.leaves.some(l => !l.vtep)
  const readFabric = () =>
    (fabric ??= (async (): Promise<FabricFacts> => {
      // bounded: one SSH session per leaf, at most FACT_READS_AT_ONCE open at once (a fabric has hundreds)
      const reads = await mapLimit(ctx.inventory.leaves, FACT_READS_AT_ONCE, async l => {
        let d: FrrLeafDriver | undefined
        try {
          d = await FrrLeafDriver.open(await baseOptions(l.name))
          const running = await d.read()
          const raw = running.snapshot.raw as FrrRaw
          // The gateways the leaf carries, managed by fabricctl or not (the MAC is the fabric's either way).
          const config = running.observed ?? running.config
          return {leaf: l.name, config, vtep: d.vtepRead(raw).vtep}
        } catch {
          return {leaf: l.name, config: null, vtep: null}
        } finally {
          d?.close()
        }
      })
      const ok = reads.filter((r): r is {leaf: string; config: LeafConfig; vtep: string | null} => r.config !== null)
      return {
        mac: anycastMacOf(
          ok,
          ctx.overlay.anycastMac,
          reads.filter(r => r.config === null).map(r => r.leaf),
        ),
        running: new Map(ok.map(r => [r.leaf, r.config])),
        vteps: new Map(reads.map(r => [r.leaf, r.vtep])),
      }
    })())
  /** The leaf's desired state, its gateway MAC declared or read from the leaves (unknown: '' where the leaf has no gateway yet). */
  const desiredOf = async (leaf: string): Promise<LeafConfig> => {
    const st = await load()
    if (ctx.overlay.anycastMac) return st.desired(leaf)
    const f = await readFabric()
    if (f.mac.mac !== null) return st.desired(leaf, f.mac.mac)
    return keepRunningGatewayMacs(st.desired(leaf, null), f.running.get(leaf))
  }
  const openDriver = async (leaf: string): Promise<LeafDriver> => {
    const o = await baseOptions(leaf)
    const st = await load()
    const f = needFabric ? await readFabric() : undefined
    return FrrLeafDriver.open({
      ...o,
      remoteVteps: st.remoteVteps(leaf, f ? l => f.vteps.get(l) ?? null : undefined),
      expectedMacs: st.macsBehind(leaf),
      ...(f && f.mac.mac === null ? {anycastMacUnknown: f.mac.reason} : {}),
    })
  }
  /** Open a driver, run, close; a leaf that cannot be reached becomes a result, not an exception. */
  const withDriver = async <R>(
    leaf: string,
    fn: (d: LeafDriver) => Promise<R>,
    unreachable: (e: LeafDriverError) => R,
  ): Promise<R> => {
    let d: LeafDriver
    try {
      d = await openDriver(leaf)
    } catch (error) {
      if (error instanceof LeafDriverError) return unreachable(error)
      throw error
    }
    try {
      return await fn(d)
    } finally {
      d.close()
    }
  }
  const errOf = (e: LeafDriverError) => ({code: e.code, message: e.message, step: e.step, hint: e.hint})
  const driverOf = (leaf: string) => ctx.inventory.leaves.find(l => l.name === leaf)?.driver ?? 'frr'
  return {
    state: load,
    openDriver,
    leaves: async () => switches(),
    async targets(sel) {
      const picked = pickTargets(switches(), sel)
      if (picked) return picked
      if (!sel.port) noTarget()
      const st = await load()
      const matches = st.ports.filter(p => p.id === sel.port || p.name === sel.port)
      if (matches.length === 0) throw notFound('port', sel.port, 'Give a Neutron port id or name.')
      if (matches.length > 1)
        throw usageError(
          'PORT_AMBIGUOUS',
          `"${sel.port}" matches ${matches.length} Neutron ports (names are not unique in Neutron).`,
          sel.port,
          'Use the port id.',
        )
      const host = matches[0]!['binding:host_id']
      if (!host)
        throw usageError(
          'PORT_NOT_BOUND',
          `Port ${sel.port} is bound to no host, so no leaf carries it.`,
          sel.port,
          'Bind it first, or name the leaf.',
        )
      const leaves = st.leavesOfHost(host)
      if (leaves.length === 0)
        throw usageError(
          'HOST_NOT_IN_INVENTORY',
          `Port ${sel.port} is bound to host "${host}", which the context's inventory does not cable to any leaf.`,
          host,
          'Add the host and its NICs to the inventory.',
        )
      return leaves
    },
    desired: async leaf => {
      leafInv(leaf)
      return await desiredOf(leaf)
    },
    diff: async (leaf): Promise<LeafDiffResult> => {
      const want = await desiredOf(leaf)
      return withDriver(
        leaf,
        d => diffWith(d, want, () => d.read()),
        e => ({
          leaf,
          driver: driverOf(leaf),
          status: 'unreachable',
          changes: [],
          summary: [],
          diff: [],
          error: errOf(e),
        }),
      )
    },
    push: async (leaf, o): Promise<PushResult> => {
      const want = await desiredOf(leaf)
      return withDriver(
        leaf,
        d => runAsync(pushSteps(d, want, snaps, o)),
        e => ({
          leaf,
          driver: driverOf(leaf),
          status: 'unreachable',
          changes: [],
          summary: [],
          plan: [],
          inverse: [],
          checks: [],
          error: errOf(e),
          durationMs: 0,
        }),
      )
    },
    verify: async (leaf): Promise<VerifyResult> => {
      const want = await desiredOf(leaf)
      return withDriver(
        leaf,
        d => runAsync(verifySteps(d, want)),
        e => ({
          leaf,
          driver: driverOf(leaf),
          status: 'unreachable',
          changes: [],
          summary: [],
          checks: [],
          error: errOf(e),
        }),
      )
    },
    rollback: async (leaf, to, o): Promise<RollbackResult> =>
      withDriver(
        leaf,
        d => runAsync(rollbackSteps(d, snaps, to, o)),
        e => ({leaf, driver: driverOf(leaf), to, status: 'unreachable', changes: [], summary: [], error: errOf(e)}),
      ),
    confirm: async (leaf): Promise<LeafConfirmResult> =>
      withDriver<LeafConfirmResult>(
        leaf,
        async d =>
          d.confirm
            ? {leaf, driver: d.driver, status: 'ok' as const, reverts: await d.confirm()}
            : {leaf, driver: d.driver, status: 'unsupported' as const, reverts: []},
        e => ({leaf, driver: driverOf(leaf), status: 'unreachable' as const, reverts: [], error: errOf(e)}),
      ),
    pending: async (leaf): Promise<LeafConfirmResult> =>
      withDriver<LeafConfirmResult>(
        leaf,
        async d =>
          d.pending
            ? {leaf, driver: d.driver, status: 'ok' as const, reverts: await d.pending()}
            : {leaf, driver: d.driver, status: 'unsupported' as const, reverts: []},
        e => ({leaf, driver: driverOf(leaf), status: 'unreachable' as const, reverts: [], error: errOf(e)}),
      ),
    async render(leaf) {
      const want = await desiredOf(leaf)
      leafInv(leaf)
      return withDriver(
        leaf,
        async d => {
          const running = await d.read()
          const raw = running.snapshot.raw as import('../../leaf/frr/driver.js').FrrRaw
          if (raw.full) {
            const notes = [
              'profile: full (VRF per tenant, VLAN-aware bridge br0, 802.1Q-tagged host ports, symmetric IRB)',
            ]
            const r = tryRender(() => (d as FrrLeafDriver).renderFull(want, running), notes)
            return {driver: d.driver, profile: raw.profile, ...r, notes}
          }
          const notes: string[] = [
            `profile: native${raw.profile === 'full' ? ' (the kernel supports VRF and VLAN-aware bridges; declare the tenant VRFs in the context overlay.tenants to manage it with the full profile)' : ' (kernel has no VRF / 802.1Q / VLAN-aware bridge)'}`,
          ]
          const r = tryRender(() => (d as FrrLeafDriver).renderNative(want, running), notes)
          return {driver: d.driver, profile: raw.profile, ...r, notes}
        },
        e => {
          throw new LeafDriverError(e.code, e.message, e.step, e.hint)
        },
      )
    },
    close() {},
  }
}

/** Neutron reads the leaf service needs beyond the desired state (kept here so commands stay thin). */
export async function neutronPort(
  ctx: LiveContext,
  id: string,
): Promise<{id: string; 'binding:host_id'?: string | null; data_plane_status?: string | null}> {
  return (await neutronRequest<{port: {id: string}}>(ctx, 'GET', `/v2.0/ports/${encodeURIComponent(id)}`)).port
}

/** A profile's rendering, or empty with the reason in `notes` when the desired state cannot be rendered. */
function tryRender(render: () => {frr: string; kernel: string[]}, notes: string[]): {frr: string; kernel: string[]} {
  try {
    const {frr, kernel} = render()
    notes.push('kernel: the commands that take the leaf from its running state to the desired one')
    return {frr, kernel}
  } catch (error) {
    notes.push(`cannot render: ${(error as Error).message}`)
    return {frr: '', kernel: []}
  }
}
