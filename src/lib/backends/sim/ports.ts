import {randomUUID} from 'node:crypto'

import {FabricError, notFound, usageError} from '../../cli/errors.js'
import {EXIT} from '../../cli/exit-codes.js'
import {canonicalLeafConfig, desiredLeafConfig} from '../../leaf/desired.js'
import {ipToNum, numToIp, parseCidr, usableCount} from '../../model/addressing.js'
import type {Host, LeafConfig, Network, Port} from '../../model/types.js'
import {bindPorts, controllerStorer, deletePorts, type LeafTouch} from '../../sim/agents.js'
import {hasFault} from '../../sim/faults.js'
import {leafAttachments} from '../../sim/generator.js'
import type {FabricStore} from '../../store/fabric-store.js'
import {hostNames, portNames} from '../../store/names.js'
import {type PortRow, toPort} from '../../store/rows.js'
import {
  ambiguousPort,
  checkExistingName,
  exhaustedError,
  checkItem,
  LABEL_POLICY,
  labelNotFound,
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
  view,
} from '../../ports/common.js'
import {
  type ChangeShape,
  changeSteps,
  injected,
  injectedFailure,
  planDoc,
  type PortPlan,
  wiring,
} from '../../ports/plan.js'
import {
  type AllocateEngine,
  type Allocation,
  type ChangePort,
  type HostChange,
  type HostChangeEngine,
  type HostChangeOutcome,
  type LeafPreview,
  PortChangeService,
  type ReleaseEngine,
} from '../../ports/service.js'
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
  ReleaseResult,
  UsageRow,
} from '../../ports/types.js'

/** Thrown inside a transaction to roll a dry run back after computing exactly what it would do. */
class DryRun<T> {
  constructor(readonly value: T) {}
}

/**
 * The port service on the simulated fabric. Every mutation is one IMMEDIATE transaction
 * (`store.tx`), so concurrent fabricctl processes serialise: no duplicate IP, no lost port.
 * The sim computes a plan (and a dry run's result) by executing the change in a transaction and
 * rolling it back: nothing is committed, so a dry run writes nothing, and what it shows is exactly
 * what the real run would do at that moment. The real run executes the same code in a transaction
 * that commits, with the service's gates run again inside it.
 */
export class SimPortService implements PortService {
  readonly backend = 'sim' as const

  constructor(private readonly store: FabricStore) {}

  private run<T>(dryRun: boolean, fn: () => T): T {
    try {
      return this.store.tx(() => {
        const value = fn()
        if (dryRun) throw new DryRun(value)
        return value
      })
    } catch (error) {
      if (error instanceof DryRun) return error.value as T
      throw error
    }
  }

  // --- lookups ------------------------------------------------------------------------------
  resolvePort(ref: string): Port {
    const ports = this.store.findPorts(ref)
    if (ports.length === 0)
      throw notFound(
        'port',
        ref,
        'Give a port name, id or IP; list ports with `fabricctl port list`.',
        portNames(this.store),
      )
    if (ports.length > 1) throw ambiguousPort(ref, ports)
    return ports[0]!
  }

  private host(name: string): Host {
    const h = this.store.host(name)
    if (!h) throw notFound('host', name, 'List hosts with `fabricctl host list`.', hostNames(this.store))
    return h
  }

  private usageOf(nets: Network[]): NetworkUsage[] {
    const count = this.store.sql('SELECT count(*) AS n FROM ports WHERE network = ?')
    return nets.map(n =>
      networkUsage(
        n,
        (count.get(n.name) as {n: number}).n,
        usableCount(n.cidr),
        hasFault(this.store, 'network-exhausted', n.name),
      ),
    )
  }

  private networkNamed(ref: string): Network {
    const net = this.store.network(ref)
    if (!net)
      throw notFound(
        'network',
        ref,
        'List networks with `fabricctl network list`.',
        this.store.networks().map(x => x.name),
      )
    return net
  }

  private labelled(label: string | undefined, az: string | undefined): Network[] {
    if (az !== undefined && !this.store.az(az))
      throw notFound(
        'AZ',
        az,
        `Known AZs: ${this.store
          .azs()
          .map(a => a.name)
          .join(', ')}.`,
      )
    const nets = this.store.networks({label, az})
    if (nets.length === 0)
      throw labelNotFound(label, az, [...new Set(this.store.networks({az}).flatMap(n => n.labels))].sort())
    return nets
  }

  /** The ports that already have one of these names: one statement, the names passed as one JSON array. */
  private portsByName(names: string[]): Map<string, Port> {
    const out = new Map<string, Port>()
    if (names.length === 0) return out
    const rows = this.store
      .sql('SELECT * FROM ports WHERE name IN (SELECT value FROM json_each(?))')
      .all(JSON.stringify(names)) as PortRow[]
    for (const r of rows) out.set(r.name, toPort(r))
    return out
  }

  /** Lowest free addresses of a network, never network, broadcast or gateway. */
  private freeIps(net: Network, count: number): number[] {
    const range = parseCidr(net.cidr)
    const gw = ipToNum(net.gateway)
    const used = new Set(
      (this.store.sql('SELECT ip_num FROM ports WHERE network = ?').raw().all(net.name) as [number][]).map(r => r[0]),
    )
    const out: number[] = []
    for (let n = range.network + 1; n < range.broadcast && out.length < count; n++)
      if (n !== gw && !used.has(n)) out.push(n)
    return out
  }

  private macAllocator(): () => string {
    const max = (
      this.store.sql(`SELECT max(mac) AS m FROM ports WHERE mac LIKE 'fa:16:3e:%'`).get() as {m: string | null}
    ).m
    let n = max ? Number.parseInt(max.slice(9).replaceAll(':', ''), 16) : 0
    const exists = this.store.sql('SELECT 1 FROM ports WHERE mac = ?')
    const fmt = (k: number) =>
      `fa:16:3e:${[(k >> 16) & 255, (k >> 8) & 255, k & 255].map(b => b.toString(16).padStart(2, '0')).join(':')}`
    return () => {
      if (n < 0xff_ff_ff) return fmt(++n)
      for (;;) {
        const mac = fmt(Math.floor(Math.random() * 0xff_ff_ff))
        if (!exists.get(mac)) return mac
      }
    }
  }

  // --- allocate -----------------------------------------------------------------------------
  async allocate(req: AllocateRequest): Promise<AllocateResult> {
    return PortChangeService.allocate(this.allocateEngine(), req)
  }

  /**
   * The sim's primitives of an allocation: the plan is the allocation run in a transaction rolled back,
   * the apply the same run committed, with the leaf gates run again inside it.
   */
  private allocateEngine(): AllocateEngine<Network> {
    // A dry run's ports have no id or MAC: those are drawn when the port is really created.
    const dryDoc = (r: AllocateResult): AllocateResult => ({
      ...r,
      dryRun: true,
      ports: r.ports.map(p => (p.created ? {...p, id: null, mac: null} : p)),
    })
    return {
      host: async name => this.host(name),
      network: async ref => this.networkNamed(ref),
      labelled: async (label, az) => this.labelled(label, az),
      plan: async a => {
        const {result, leaves} = this.run(true, () => this.allocateTx(a))
        return {plan: result.plan, leaves, dryRun: dryDoc(result)}
      },
      apply: async (a, _plan, rules) => {
        const {result} = this.run(a.req.dryRun, () => {
          const r = this.allocateTx(a)
          if (r.result.plan) {
            rules.gate(r.leaves)
            runInjected(r.result.plan)
          }
          return r
        })
        return a.req.dryRun ? dryDoc(result) : result
      },
    }
  }

  private allocateTx(a: Allocation<Network>): {result: AllocateResult; leaves: LeafPreview[]} {
    const {req, names, nets} = a
    const host = a.host === undefined ? undefined : this.host(a.host.name)
    const netNames = new Set(nets.map(n => n.name))
    const wanted = names.filter((n): n is string => n !== null)
    const existing = this.portsByName(wanted)
    for (const p of existing.values()) checkExistingName(req, {...p, ips: [p.ip]}, netNames.has(p.network))
    if (req.failIfExists && existing.size > 0) throw portExistsError([...existing.keys()])
    const toCreate = names.filter(n => n === null || !existing.has(n))
    const usage = policyOrder(this.usageOf(nets))
    const byName = new Map(nets.map(n => [n.name, n]))

    // Which network and which address for each port to create.
    const picks: {network: Network; ipNum: number}[] = []
    if (toCreate.length > 0 && req.ip !== undefined) {
      const ip = req.ip
      const net = networkForIp(ip, nets)
      const holder = this.store
        .sql('SELECT name FROM ports WHERE network = ? AND ip_num = ?')
        .get(net.name, ipToNum(ip)) as {name: string} | undefined
      if (holder)
        throw usageError(
          'IP_IN_USE',
          `${ip} is already allocated on ${net.name}, to port ${holder.name}.`,
          ip,
          `Pick a free address (\`fabricctl ipam usage\`), or release ${holder.name} first.`,
        )
      const u = usage.find(x => x.name === net.name)!
      if (u.free < 1) throw exhaustedError(req, 1, [u])
      picks.push({network: net, ipNum: ipToNum(ip)})
    } else if (toCreate.length > 0) {
      const plan = planFill(usage, toCreate.length)
      if (!plan) throw exhaustedError(req, toCreate.length, usage)
      for (const step of plan) {
        const net = byName.get(step.network.name)!
        const ips = this.freeIps(net, step.count)
        if (ips.length < step.count) throw exhaustedError(req, toCreate.length, usage) // fragmented beyond the count: cannot happen with a sane store
        for (const ipNum of ips) picks.push({network: net, ipNum})
      }
    }

    // Insert ports and the controller's records (spawn flow step 3).
    const now = this.store.now()
    const nextMac = this.macAllocator()
    const insert = this.store
      .sql(`INSERT INTO ports(id, name, network, ip, ip_num, mac, host, instance, underlay, overlay, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, 'DOWN', 'DOWN', ?, ?)`)
    const storeInController = controllerStorer(this.store)
    const created: Port[] = []
    for (let k = 0; k < toCreate.length; k++) {
      const id = randomUUID()
      const pick = picks[k]!
      const p: Port = {
        id,
        name: toCreate[k] ?? `port-${id.slice(0, 11)}`,
        network: pick.network.name,
        ip: numToIp(pick.ipNum),
        mac: nextMac(),
        host: null,
        instance: null,
        underlay: 'DOWN',
        overlay: 'DOWN',
        createdAt: now,
        updatedAt: now,
      }
      insert.run(p.id, p.name, p.network, p.ip, pick.ipNum, p.mac, now, now)
      storeInController(p)
      created.push(p)
    }

    let leaves: LeafTouchDoc[] = []
    let gated: LeafPreview[] = []
    const reasons = new Map<string, string[]>()
    let plan: PortPlan | undefined
    if (host && created.length > 0) {
      const r = bindPorts(this.store, created, host.name)
      leaves = r.leaves.map(touchDoc)
      gated = previews(r.leaves)
      for (const o of r.outcomes) reasons.set(o.portId, o.reasons)
      plan = simPlan('allocate', `${created.length} port(s) on ${host.name}`, {
        store: `create ${created.length} port(s) bound to ${host.name}`,
        controller: "the controller records the ports' host",
        ...wiring.create(host.name),
        leaves: r.leaves.map(l => l.leaf),
        record: true,
      })
    }
    // toCreate keeps the names' order: the k-th name without an existing port is the k-th created.
    let k = 0
    const ports: AllocatedPort[] = names.map(n => {
      const old = n === null ? undefined : existing.get(n)
      const fresh = old ? undefined : created[k++]!
      // A created port is re-read only when the agents/controller ran on it (bound to a host); otherwise the row is what was inserted.
      const p = fresh ? (host ? this.store.port(fresh.id)! : fresh) : old!
      return {
        id: p.id,
        name: p.name,
        network: p.network,
        ip: p.ip,
        mac: p.mac,
        host: p.host,
        underlay: p.underlay,
        overlay: p.overlay,
        state: `${p.underlay}_${p.overlay}`,
        created: Boolean(fresh),
        ...(reasons.has(p.id) ? {reasons: reasons.get(p.id)} : {}),
      }
    })
    return {
      result: {
        ...(plan ? {plan} : {}),
        dryRun: req.dryRun,
        policy: req.label ? LABEL_POLICY : NETWORK_POLICY,
        candidates: usage,
        ports,
        created: created.length,
        existing: names.length - created.length,
        leaves,
      },
      leaves: gated,
    }
  }

  // --- bind / migrate (the rules: ports/service.ts) / release -------------------------------
  async bind(ref: string, hostName: string, opts: ChangeOptions): Promise<BindResultDoc> {
    return new PortChangeService(this.hostChangeEngine()).bind(ref, hostName, opts)
  }

  async migrate(ref: string, toHost: string, opts: ChangeOptions): Promise<MigrateResult> {
    return new PortChangeService(this.hostChangeEngine()).migrate(ref, toHost, opts)
  }

  private changePort(p: Port): ChangePort {
    return {
      id: p.id,
      name: p.name,
      host: p.host,
      ip: p.ip,
      mac: p.mac,
      view: view(p),
      side: {
        host: p.host,
        ip: p.ip,
        mac: p.mac,
        state: `${p.underlay}_${p.overlay}`,
        device: this.store.ovsPortOf(p.id)?.device ?? null,
      },
    }
  }

  /**
   * The sim's primitives of a host change. The simulated agents and controller run the whole change
   * (store, wiring, controller record, leaf pushes, state record) in one IMMEDIATE transaction: the plan
   * is that run rolled back, the apply the same run committed, with the service's validation and leaf
   * gates run again inside it (another process may have changed the port in between).
   */
  /** A port as the store holds it now (inside an apply's transaction: another process may have released it). */
  private portNow(id: string): Port {
    const p = this.store.port(id)
    if (!p) throw notFound('port', id, 'It was released meanwhile; list ports with `fabricctl port list`.')
    return p
  }

  private hostChangeEngine(): HostChangeEngine {
    const portNow = (id: string) => this.portNow(id)
    const change = (c: HostChange) => {
      const port = portNow(c.port.id)
      const r = bindPorts(this.store, [port], c.to.name)
      const plan = simPlan(c.operation, port.name, {
        store:
          c.operation === 'bind'
            ? `set ${port.name}'s host to ${c.to.name}`
            : `set ${port.name}'s host from ${port.host ?? 'none'} to ${c.to.name} (same IP and MAC)`,
        controller: "the controller records the port's host",
        ...wiring.move(port.host, c.to.name),
        leaves: r.leaves.map(l => l.leaf),
        record: true,
      })
      const leaves = previews(r.leaves)
      const now = this.store.port(port.id)!
      const o = r.outcomes[0]!
      const out: HostChangeOutcome = {
        port: view(now),
        after: this.changePort(now).side,
        device: o.wiring.device,
        leaves: r.leaves.map(touchDoc),
        reasons:
          c.operation === 'bind'
            ? o.reasons
            : [...r.removed.map(d => `removed ${d.device} from br-int of ${d.host}`), ...o.reasons],
      }
      return {plan, leaves, out}
    }
    return {
      resolvePort: async ref => this.changePort(this.resolvePort(ref)),
      host: async name => this.host(name),
      networkOf: async p => {
        const net = this.store.network(portNow(p.id).network)
        return net ? {name: net.name, az: net.az} : null
      },
      plan: async c => {
        const {plan, leaves, out} = this.run(true, () => change(c))
        return {plan, leaves, dryRun: out}
      },
      apply: async (c, _plan, rules) =>
        this.run(false, () => {
          rules.validate(this.changePort(portNow(c.port.id)))
          const {plan, leaves, out} = change(c)
          rules.gate(leaves)
          runInjected(plan)
          return out
        }),
    }
  }

  async release(refs: readonly string[], opts: ChangeOptions): Promise<ReleaseResult> {
    return PortChangeService.release(this.releaseEngine(), refs, opts)
  }

  /** The sim's primitives of a release: the plan is the release run in a transaction rolled back, the apply the same run committed. */
  private releaseEngine(): ReleaseEngine<Port> {
    const release = (list: Port[]) => {
      const devices = new Map(list.map(p => [p.id, this.store.ovsPortOf(p.id)?.device ?? null]))
      const r = deletePorts(this.store, list)
      const plan = simPlan('release', list.length === 1 ? list[0]!.name : `${list.length} ports`, {
        store: `delete ${list.map(p => p.name).join(', ')}`,
        controller: 'the controller forgets the port(s)',
        ...wiring.release(list.map(p => p.host)),
        leaves: r.leaves.map(l => l.leaf),
        record: false,
        leavesFirst: true,
      })
      const out: ReleaseResult = {
        plan,
        dryRun: false,
        released: list.map(p => ({
          id: p.id,
          name: p.name,
          ip: p.ip,
          network: p.network,
          host: p.host,
          device: devices.get(p.id) ?? null,
        })),
        leaves: r.leaves.map(touchDoc),
      }
      return {plan, leaves: previews(r.leaves), out}
    }
    return {
      find: async refs => ({found: refs.map(ref => this.store.findPorts(ref)), networkOf: p => p.network}),
      plan: async ports => {
        const {plan, leaves, out} = this.run(true, () => release(ports))
        return {plan, leaves, dryRun: {...out, dryRun: true}}
      },
      apply: async (ports, _plan, rules) =>
        this.run(false, () => {
          const {plan, leaves, out} = release(ports.map(p => this.portNow(p.id)))
          rules.gate(leaves)
          runInjected(plan)
          return out
        }),
    }
  }

  // --- reads --------------------------------------------------------------------------------
  async show(ref: string): Promise<PortDetail> {
    const port = this.resolvePort(ref)
    const net = this.store.network(port.network)
    const dev = this.store.ovsPortOf(port.id)
    const ctl = this.store.controllerPort(port.id)
    return {
      port: view(port),
      overlayRecord: 'store',
      network: net
        ? {
            name: net.name,
            id: net.id,
            az: net.az,
            cidr: net.cidr,
            gateway: net.gateway,
            vlan: net.vlan,
            l2Vni: net.l2Vni,
            labels: net.labels,
          }
        : null,
      evidence: {
        device: dev ? {host: dev.host, device: dev.device, localVlan: dev.localVlan, ofport: dev.ofport} : null,
        controller: ctl ? {host: ctl.host, ip: ctl.ip, mac: ctl.mac} : null,
        leaves: port.host ? this.store.controllerHostMap(port.host).map(m => `${m.leaf}:${m.interface}`) : [],
      },
    }
  }

  /** Keyset paging on the unique name: each page is an index range scan, as fast at 100K ports as at 100. */
  async list(f: PortListFilter): Promise<PortPage> {
    validateLimit(f.limit)
    const st = parseStateFilter(f.state)
    const where: string[] = []
    const params: Record<string, unknown> = {limit: f.limit + 1}
    const add = (cond: string, key: string, value: unknown) => {
      where.push(cond)
      params[key] = value
    }
    if (f.after !== undefined) add('p.name > @after', 'after', f.after)
    if (f.namePrefix) {
      add('p.name >= @prefix', 'prefix', f.namePrefix)
      add('p.name < @prefixEnd', 'prefixEnd', `${f.namePrefix}\u{10FFFF}`)
    }
    if (f.host !== undefined) add('p.host = @host', 'host', f.host)
    if (f.network !== undefined) add('p.network = @network', 'network', this.networkNamed(f.network).name)
    if (f.label !== undefined)
      add('p.network IN (SELECT network FROM network_labels WHERE label = @label)', 'label', f.label)
    if (f.az !== undefined) add('p.network IN (SELECT name FROM networks WHERE az = @az)', 'az', f.az)
    if (st.underlay) add('p.underlay = @underlay', 'underlay', st.underlay)
    if (st.overlay) add('p.overlay = @overlay', 'overlay', st.overlay)
    const rows = this.store
      .sql(`SELECT p.* FROM ports p ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY p.name LIMIT @limit`)
      .all(params) as PortRow[]
    const more = rows.length > f.limit
    const page = rows.slice(0, f.limit).map(r => view(toPort(r)))
    return {ports: page, next: more ? page.at(-1)!.name : null}
  }

  async label(action: 'add' | 'remove', network: string, label: string, opts: {dryRun: boolean}): Promise<LabelChange> {
    validateLabel(label)
    return this.run(opts.dryRun, () => {
      const net = this.networkNamed(network)
      const changed =
        action === 'add'
          ? this.store.sql('INSERT OR IGNORE INTO network_labels(network, label) VALUES (?, ?)').run(net.name, label)
              .changes > 0
          : this.store.sql('DELETE FROM network_labels WHERE network = ? AND label = ?').run(net.name, label).changes >
            0
      return {
        dryRun: opts.dryRun,
        action,
        network: net.name,
        label,
        changed,
        labels: this.store.network(net.name)!.labels,
      }
    })
  }

  async usage(by: 'network' | 'label'): Promise<UsageRow[]> {
    return usageRows(this.usageOf(this.store.networks()), by)
  }

  async check(): Promise<IpamCheckResult> {
    const s = this.store
    const checks: IpamCheckItem[] = []
    const item = (name: IpamCheckItem['name'], description: string, all: IpamCheckItem['findings']): void => {
      checks.push(checkItem(name, description, all))
    }

    const dups = s
      .sql(
        `SELECT n.tenant AS tenant, p.ip AS ip, group_concat(p.name || ' (' || p.network || ')', ', ') AS ports FROM ports p JOIN networks n ON n.name = p.network
      GROUP BY n.tenant, p.ip HAVING count(*) > 1 ORDER BY n.tenant, p.ip_num`,
      )
      .all() as {tenant: string; ip: string; ports: string}[]
    item(
      'duplicate-ips',
      'the same IP held by more than one port in a tenant (VRF)',
      dups.map(d => ({
        subject: d.ip,
        message: `${d.ip} is held by ${d.ports} in tenant ${d.tenant}`,
        evidence: {tenant: d.tenant, ports: d.ports},
      })),
    )

    const bad: IpamCheckItem['findings'] = []
    for (const n of s.networks()) {
      const r = parseCidr(n.cidr)
      const rows = s
        .sql(
          'SELECT name, ip FROM ports WHERE network = ? AND (ip_num <= ? OR ip_num >= ? OR ip_num = ?) ORDER BY ip_num',
        )
        .all(n.name, r.network, r.broadcast, ipToNum(n.gateway)) as {name: string; ip: string}[]
      for (const p of rows)
        bad.push({
          subject: p.name,
          message: `port ${p.name} holds ${p.ip}, outside ${n.cidr} or reserved (network, broadcast, gateway ${n.gateway})`,
          evidence: {network: n.name, ip: p.ip},
        })
    }
    item('bad-addresses', 'ports holding an address outside their network or a reserved one', bad)

    const unknown = s
      .sql(
        'SELECT p.name AS name, p.host AS host FROM ports p LEFT JOIN hosts h ON h.name = p.host WHERE p.host IS NOT NULL AND h.name IS NULL ORDER BY p.name',
      )
      .all() as {name: string; host: string}[]
    item(
      'unknown-hosts',
      'ports bound to a host the fabric does not know',
      unknown.map(u => ({
        subject: u.name,
        message: `port ${u.name} is bound to unknown host ${u.host}`,
        evidence: {host: u.host},
      })),
    )

    const noCtl = s
      .sql(
        'SELECT p.name AS name, p.id AS id, p.host AS host FROM ports p LEFT JOIN controller_ports c ON c.port_id = p.id WHERE c.port_id IS NULL ORDER BY p.name',
      )
      .all() as {name: string; id: string; host: string | null}[]
    item(
      'missing-controller-record',
      'ports the controller has no record of (it cannot configure their leaves)',
      noCtl.map(p => ({
        subject: p.name,
        message: `the controller has no record of port ${p.name} (${p.id})`,
        evidence: {id: p.id, host: p.host},
      })),
    )

    const stale = s
      .sql(
        `SELECT c.port_id AS id, p.name AS name, c.host AS chost, p.host AS phost, c.ip AS cip, p.ip AS pip, c.mac AS cmac, p.mac AS pmac, c.network AS cnet, p.network AS pnet
      FROM controller_ports c LEFT JOIN ports p ON p.id = c.port_id
      WHERE p.id IS NULL OR c.host IS NOT p.host OR c.ip != p.ip OR c.mac != p.mac OR c.network != p.network ORDER BY c.port_id`,
      )
      .all() as Record<string, string | null>[]
    item(
      'stale-controller-record',
      'controller records that disagree with the port (host, IP, MAC, network) or outlive it',
      stale.map(r =>
        r.name === null
          ? {
              subject: r.id!,
              message: `the controller still holds port ${r.id}, which no longer exists`,
              evidence: {id: r.id, host: r.chost, ip: r.cip},
            }
          : {
              subject: r.name,
              message: `the controller has port ${r.name} on ${r.chost ?? 'no host'} with ${r.cip}/${r.cmac}; the port is on ${r.phost ?? 'no host'} with ${r.pip}/${r.pmac}`,
              evidence: {
                controller: {host: r.chost, ip: r.cip, mac: r.cmac, network: r.cnet},
                port: {host: r.phost, ip: r.pip, mac: r.pmac, network: r.pnet},
              },
            },
      ),
    )

    item(
      'leaf-config-without-port',
      'leaf configuration (an interface VLAN or a VNI) with no port behind it',
      this.leafLeftovers(),
    )
    return {ok: checks.every(c => c.status !== 'failed'), checks}
  }

  /** Running leaf config beyond the desired state derived from the ports on the hosts cabled to each leaf. */
  private leafLeftovers(): IpamCheckItem['findings'] {
    const networks = new Map(this.store.networks().map(n => [n.name, n]))
    const tenants = new Map(this.store.tenants().map(t => [t.name, t]))
    const out: IpamCheckItem['findings'] = []
    for (const {leaf, running} of this.store.sql('SELECT leaf, running FROM leaf_configs ORDER BY leaf').all() as {
      leaf: string
      running: string
    }[]) {
      const run = canonicalLeafConfig(JSON.parse(running) as LeafConfig)
      const want = desiredLeafConfig(leafAttachments(this.store, leaf, 'cabling'), networks, tenants)
      for (const [iface, {vlans}] of Object.entries(run.interfaces)) {
        const allowed = new Set(want.interfaces[iface]?.vlans ?? [])
        for (const v of vlans)
          if (!allowed.has(v))
            out.push({
              subject: `${leaf}:${iface}`,
              message: `${leaf} ${iface} allows VLAN ${v} but no port of that network is on the host behind it`,
              evidence: {leaf, interface: iface, vlan: v},
            })
      }
      for (const vni of Object.keys(run.vnis)) {
        if (!want.vnis[vni])
          out.push({
            subject: `${leaf}:vni${vni}`,
            message: `${leaf} carries VNI ${vni} (${run.vnis[vni]!.network}) but no host under it has a port of that network`,
            evidence: {leaf, vni: Number(vni), network: run.vnis[vni]!.network},
          })
      }
    }
    return out
  }
}

/**
 * The sim's plan of a port change, from what the simulated agents and controller did inside the
 * operation's transaction: the sim's IPAM steps (the store write, the controller's record), then the
 * backend-neutral steps (`changeSteps`: the agents' wiring, each leaf push, the state record). Every
 * step's undo is the transaction's rollback, so a failure at any step (the FABRICCTL_FAIL_STEP hook
 * included) leaves the store as before.
 */
function simPlan(
  operation: PortPlan['operation'],
  subject: string,
  what: {store: string; controller: string} & ChangeShape,
): PortPlan {
  const undo = 'rolled back with the transaction'
  const steps = changeSteps(
    [
      {id: 'store', kind: 'store', action: what.store, undo},
      {id: 'controller', kind: 'controller', action: what.controller, undo},
    ],
    what,
    {host: undo, leaf: () => undo, record: undo},
  )
  return planDoc(operation, subject, steps, what.leaves)
}

/** The leaf pushes the simulated controller made, as the shared gates read them (ports/service.ts `gateLeaves`). */
function previews(leaves: readonly LeafTouch[]): LeafPreview[] {
  return leaves.map(l => ({leaf: l.leaf, changes: l.result?.changes.length ?? 0}))
}

/** Inside the transaction: fail at the step the hook names; the rollback undoes the steps before it. */
function runInjected(plan: PortPlan): void {
  for (const [k, st] of plan.steps.entries()) {
    if (!injected('FABRICCTL_FAIL_STEP', plan.operation, st.id)) continue
    const e = injectedFailure('step', plan.operation, st.id)
    const before = plan.steps.slice(0, k).map(x => ({id: x.id, action: x.action, undo: x.undo}))
    const brief = (x: {id: string; action: string}) => ({id: x.id, action: x.action})
    throw new FabricError({
      code: e.code,
      message: `${plan.operation} ${plan.subject} failed at step ${st.id}: ${e.message}${before.length ? ` The ${before.length} applied step${before.length === 1 ? ' was' : 's were'} undone (transaction rolled back): nothing changed.` : ' Nothing had been applied.'}`,
      value: plan.subject,
      hint: e.hint,
      details: {
        applied: before.map(brief),
        compensated: before
          .filter(x => x.undo !== null)
          .reverse()
          .map(brief),
        failed: {id: st.id, action: st.action, error: e.message, code: e.code},
        leftChanged: [],
      },
      exitCode: EXIT.CHECK_FAILED,
    })
  }
}

function touchDoc(t: LeafTouch): LeafTouchDoc {
  return {
    leaf: t.leaf,
    side: t.side,
    ok: t.ok,
    changed: t.changed,
    ...(t.error ? {error: t.error} : {}),
    ...(t.cause ? {cause: t.cause} : {}),
  }
}
