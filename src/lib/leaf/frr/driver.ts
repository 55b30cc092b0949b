import os from 'node:os'

import type {LiveContext} from '../../context/schema.js'
import type {SshSession} from '../../live/ssh.js'
import type {LeafConfig} from '../../model/types.js'
import {type LeafChange, describeChange, diffLeafConfigs} from '../diff.js'
import {
  type EvpnPeer,
  type LeafDriver,
  type LeafPlatform,
  LeafDriverError,
  type LeafSnapshot,
  type MacLocations,
  type PendingRevert,
  type PreparedPush,
  type RunningState,
  type VerifyCheck,
  type VerifyReport,
} from '../driver.js'
import {
  type KernelState,
  type ManageScope,
  type Naming,
  type Ownership,
  UnmanagedConflict,
  type VniCatalogEntry,
  MARK,
  desiredKernel,
  managedBridge,
  nativeConfigOf,
  ownershipOf,
  parseAcceptDad,
  parseFrrVnis,
  parseKernel,
  planKernel,
  runningToFile,
  shellQuote,
  spliceFrr,
  vniInScope,
  vxlanName,
} from './native.js'
import {
  BRIDGE,
  FULL_SYSCTLS,
  type FullKernel,
  type FullTenant,
  desiredFullKernel,
  fullScopeOf,
  vxlanOf,
  fullConfigOf,
  parseFullKernel,
  planFull,
  spliceFrrFull,
} from './full.js'
import {withoutCarried} from '../carried.js'
import {ANYCAST_HINT, VTEP_HINT, unknownGatewayMacs, vtepOf} from '../facts.js'

/** The FRR leaf's raw state, kept byte for byte in snapshots. */
export interface FrrRaw {
  /** `vtysh -c 'show running-config'`, base64. */
  runningB64: string
  /** /etc/frr/frr.conf, base64 (null when the file does not exist). */
  fileB64: string | null
  kernel: KernelState
  /** mode, owner and group of /etc/frr/frr.conf (`stat -c '%a %U %G'`), null when the file does not exist. */
  fileMeta?: string | null
  /** What the leaf carries that fabricctl does not manage (information for `leaf diff`). */
  unmanaged?: string[]
  profile: LeafProfile
  /** Full-profile leaves managed with the full model (VRFs, br0, SVIs, tagged ports): the managed kernel devices. */
  full?: FullKernel
}

export type LeafProfile = 'native' | 'full'

export interface FrrLeafOptions {
  ctx: LiveContext
  leaf: {name: string; address: string; port: number; vtep: string | null}
  /** Host-facing interfaces of this leaf (from the inventory's cabling). */
  hostPorts: string[]
  catalog: ReadonlyMap<number, VniCatalogEntry>
  vniBase: number
  /** Seconds verify waits for zebra to learn new VNIs. */
  settleMs?: number
  /** Tenant VRFs (context overlay.tenants). A full-profile leaf is managed with the full model only when these are given. */
  tenants?: readonly FullTenant[]
  /** ASN of the route targets (context overlay.routeTargetAsn); default 65000. */
  rtAsn?: number
  /** What fabricctl manages on this leaf (context `manage`); absent: only what it created (marked). */
  scope?: ManageScope
  /** Names of new devices (context `naming`); default br{vni} / vxlan{vni}. */
  naming?: Naming
  /** Per VNI, the VTEPs of the other leaves that carry it (verify: each must be a remote VTEP of the VNI). */
  remoteVteps?: ReadonlyMap<number, readonly string[]>
  /** Per VNI, MACs of Neutron ports on hosts behind this leaf (verify warns when one is not learned). */
  expectedMacs?: ReadonlyMap<number, readonly string[]>
  /** Root of fabricctl's state directory on the leaf (default /run/fabricctl; tests use a private one). */
  runRoot?: string
  /**
   * Why the fabric's anycast gateway MAC is unknown (not declared, not readable from the leaves); the desired
   * gateways this leaf does not carry yet then have MAC '' and a push that must create one is refused.
   */
  anycastMacUnknown?: string
}

const FRR_RELOAD = '/usr/lib/frr/frr-reload.py'
/**
 * fabricctl's state on the leaf: the push lock and the armed commit-confirm reverts (tmpfs: gone at reboot).
 * One directory per leaf name, so leaves that share a /run (namespaces on one machine) keep apart.
 */
const runDir = (leaf: string, root = '/run/fabricctl') => `${root}/leaf-${leaf.replaceAll(/[^A-Za-z0-9_.-]/g, '_')}`
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8')
const q = shellQuote

/** Split `@@name` sections of a multi-part command output. */
function sections(out: string): Map<string, string> {
  const m = new Map<string, string>()
  const re = /^@@([a-z0-9:-]+)@@$/gm
  const marks = [...out.matchAll(re)]
  marks.forEach((mk, i) => {
    const start = mk.index! + mk[0].length + 1
    const end = i + 1 < marks.length ? marks[i + 1]!.index! : out.length
    m.set(mk[1]!, out.slice(start, end).replace(/\n$/, ''))
  })
  return m
}

/**
 * FRR 8.4 over SSH. The FRR part is applied as a diff with `frr-reload.py --reload` after
 * `vtysh --dryrun` and `frr-reload.py --test` accepted the candidate; the kernel part with `ip`
 * commands whose inverse is computed from the state read before; the last-known-good is kept by
 * the client (snapshots), since FRR 8.4 has no commit/rollback and /etc/frr/frr.conf may be stale.
 */
export class FrrLeafDriver implements LeafDriver {
  readonly driver = 'frr'
  /** Snapshots hold FRR's whole running configuration (what others own too): a failed push goes back to what ran before it. */
  readonly failedPushRestores = 'pre-push' as const
  readonly leaf: string
  private profile?: LeafProfile
  private readonly runDir: string

  private constructor(
    private readonly ssh: SshSession,
    private readonly o: FrrLeafOptions,
  ) {
    this.leaf = o.leaf.name
    this.runDir = runDir(o.leaf.name, o.runRoot)
  }

  static async open(o: FrrLeafOptions): Promise<FrrLeafDriver> {
    const {SshSession} = await import('../../live/ssh.js')
    try {
      const ssh = await SshSession.open(o.ctx, {name: o.leaf.name, address: o.leaf.address, port: o.leaf.port})
      return new FrrLeafDriver(ssh, o)
    } catch (error) {
      throw new LeafDriverError(
        'LEAF_UNREACHABLE',
        (error as Error).message,
        'connect',
        (error as {hint?: string}).hint,
      )
    }
  }

  private async run(
    cmd: string,
    step: string,
    opts: {stdin?: string; timeoutMs?: number; okCodes?: number[]} = {},
  ): Promise<{stdout: string; stderr: string; code: number | null}> {
    let r
    try {
      r = await this.ssh.exec(cmd, {stdin: opts.stdin, timeoutMs: opts.timeoutMs})
    } catch (error) {
      throw new LeafDriverError(
        'LEAF_UNREACHABLE',
        `${this.leaf}: ${(error as Error).message}`,
        step,
        (error as {hint?: string}).hint,
      )
    }
    return r
  }

  /** Which profile the leaf's kernel supports: VRF + 802.1Q + VLAN-aware bridge ("full"), or "native". */
  private async detectProfile(): Promise<LeafProfile> {
    if (this.profile) return this.profile
    const r = await this.run(
      `zcat /proc/config.gz 2>/dev/null | grep -E '^CONFIG_(NET_VRF|VLAN_8021Q|BRIDGE_VLAN_FILTERING)=' || true`,
      'detect profile',
    )
    const have = new Set(
      r.stdout
        .split('\n')
        .filter(l => /=(y|m)$/.test(l))
        .map(l => l.split('=')[0]),
    )
    this.profile =
      have.has('CONFIG_NET_VRF') && have.has('CONFIG_VLAN_8021Q') && have.has('CONFIG_BRIDGE_VLAN_FILTERING')
        ? 'full'
        : 'native'
    return this.profile
  }

  /** Whether this leaf is managed with the full model: its kernel supports it and the context declares tenant VRFs. */
  async fullMode(): Promise<boolean> {
    return (await this.detectProfile()) === 'full' && (this.o.tenants?.length ?? 0) > 0
  }

  private managedVrfs(): string[] {
    return (this.o.tenants ?? []).map(t => t.vrf)
  }

  /** Whether the context declares VNI or VLAN ranges for this leaf (else: only what fabricctl created is its). */
  private scopeDeclared(): boolean {
    return Boolean(this.o.scope && (this.o.scope.vnis || this.o.scope.vlans))
  }

  /** Whether a VNI (its VLAN: as read, else the network's, else vniBase-derived) is in the declared `manage` ranges. */
  private inDeclaredScope(vni: number, vlan: number | null): boolean {
    return vniInScope(this.o.scope, vni, vlan ?? this.o.catalog.get(vni)?.vlan ?? vni - this.o.vniBase)
  }

  /** How a full-profile leaf's devices are judged fabricctl's as they are read (fullScopeOf). */
  private fullScope() {
    return fullScopeOf(this.scopeDeclared(), (vni, vlan) => this.inDeclaredScope(vni, vlan), this.o.scope?.interfaces)
  }

  /**
   * Of a full-profile leaf as read: whether a VNI is fabricctl's. What the read found unmanaged never is;
   * with a declared scope, the VNI must be in it; without one, a VNI not on the leaf at all is (it will be
   * created, marked).
   */
  private fullOwned(raw: FrrRaw): (vni: number, vlan?: number | null) => boolean {
    const theirs = new Set(raw.full?.unmanagedVnis ?? [])
    const declared = this.scopeDeclared()
    return (vni, vlan = null) => !theirs.has(vni) && (!declared || this.inDeclaredScope(vni, vlan))
  }

  /** The candidate of a full-profile leaf: FRR text and the kernel commands from `running` (throws a message when it cannot be rendered). */
  renderFull(desired: LeafConfig, running: RunningState): {frr: string; kernel: string[]; inverse: string[]} {
    const raw = running.snapshot.raw as FrrRaw
    if (!raw.full) throw new Error('the leaf was read without the full model')
    const vtep = this.facts(desired, raw)
    const owned = this.fullOwned(raw)
    const outside = Object.values(desired.vnis)
      .filter(v => !owned(v.vni, v.vlan))
      .map(v =>
        this.scopeDeclared()
          ? `VNI ${v.vni} (VLAN ${v.vlan}) is outside the declared scope`
          : `VNI ${v.vni} (VLAN ${v.vlan}) is on the leaf but was not created by fabricctl`,
      )
    if (outside.length) throw new UnmanagedConflict(outside)
    const want = desiredFullKernel(
      desired,
      vtep,
      this.o.hostPorts,
      this.o.tenants ?? [],
      raw.full,
      this.o.naming?.vxlan,
    )
    const held = Object.values(raw.full.vrfs)
      .filter(v => v.held)
      .map(v => v.name)
    const frr = spliceFrrFull(
      unb64(raw.runningB64),
      desired,
      this.o.tenants ?? [],
      this.o.rtAsn ?? 65_000,
      vtep,
      vni => owned(vni),
      held,
    )
    return {
      frr,
      kernel: planFull(raw.full, want, this.managedVrfs()),
      inverse: planFull(want, raw.full, this.managedVrfs()),
    }
  }

  /** The candidate of a native leaf: FRR text and kernel commands from `running` (throws UnmanagedConflict or a message). */
  renderNative(desired: LeafConfig, running: RunningState): {frr: string; kernel: string[]; inverse: string[]} {
    const raw = running.snapshot.raw as FrrRaw
    const owned = this.ownership(raw)
    const vtep = this.facts(desired, raw)
    const want = desiredKernel(desired, vtep, this.o.hostPorts, raw.kernel, owned, {
      naming: this.o.naming,
      scope: this.o.scope,
    })
    const frr = spliceFrr(unb64(raw.runningB64), desired, vni => owned.vnis.has(vni))
    const deletable = (dev: string) => this.deletable(raw.kernel, owned, dev)
    return {frr, kernel: planKernel(raw.kernel, want, deletable), inverse: planKernel(want, raw.kernel, deletable)}
  }

  /**
   * The leaf's VTEP as its VXLAN devices use it (checked against a declared `vtep:`), and the gateway MACs the
   * desired state needs. Throws LEAF_FACT_UNKNOWN when the desired state needs a fact that cannot be read
   * (nothing is guessed). A desired state with no VNI and no VRF needs no VTEP ('' then).
   */
  facts(desired: LeafConfig, raw: FrrRaw): string {
    const needed = Object.keys(desired.vnis).length > 0 || Object.keys(desired.vrfs).length > 0
    const v = this.vtepRead(raw)
    if (v.vtep === null && needed)
      throw new LeafDriverError(
        'LEAF_FACT_UNKNOWN',
        `Leaf ${this.leaf}: its VTEP address could not be read: ${v.reason}; nothing was changed.`,
        'render',
        VTEP_HINT,
      )
    const noMac = unknownGatewayMacs(desired)
    if (noMac.length)
      throw new LeafDriverError(
        'LEAF_FACT_UNKNOWN',
        `Leaf ${this.leaf}: the anycast gateway MAC is unknown (${this.o.anycastMacUnknown ?? 'not given'}), and VNI ${noMac.join(', ')} need${noMac.length === 1 ? 's' : ''} a gateway this leaf does not carry yet; nothing was changed.`,
        'render',
        ANYCAST_HINT,
      )
    return v.vtep ?? ''
  }

  /**
   * The VTEP as the leaf's VXLAN devices use it (`vtepOf`): the devices fabricctl manages (full profile: the
   * `vxlan<VNI>` devices in br0; native: the managed VNIs' devices), or every VXLAN device of the leaf when it
   * manages none yet; a declared `vtep:` is checked against them.
   */
  vtepRead(raw: FrrRaw): ReturnType<typeof vtepOf> {
    const all = Object.values(raw.kernel.vxlans)
    const managed = raw.full
      ? Object.values(raw.full.vxlans).filter(v => v.master === BRIDGE)
      : (() => {
          const owned = this.ownership(raw)
          return all.filter(v => owned.vnis.has(v.id))
        })()
    return vtepOf(managed.length ? managed : all, this.o.leaf.vtep)
  }

  /** What fabricctl manages of a (native) leaf as read. */
  ownership(raw: FrrRaw): Ownership {
    return ownershipOf(
      raw.kernel,
      this.o.scope,
      this.o.hostPorts,
      vni => this.o.catalog.get(vni)?.vlan ?? vni - this.o.vniBase,
      parseFrrVnis(unb64(raw.runningB64)).keys(),
    )
  }

  async read(): Promise<RunningState> {
    const profile = await this.detectProfile()
    const full = await this.fullMode()
    const script = [
      'command -v vtysh >/dev/null || { echo "vtysh not found" >&2; exit 91; }',
      't=$(mktemp)',
      `vtysh -c 'show running-config' >"$t" 2>&1 || { cat "$t" >&2; rm -f "$t"; exit 92; }`,
      'echo @@running@@; base64 -w0 "$t"; echo; rm -f "$t"',
      'echo @@file@@; if [ -f /etc/frr/frr.conf ]; then base64 -w0 /etc/frr/frr.conf; else printf -- -; fi; echo',
      'echo @@links@@; ip -j -d addr show',
      'echo @@dad@@; grep -H . /proc/sys/net/ipv6/conf/*/accept_dad 2>/dev/null; true',
      "echo @@meta@@; stat -c '%a %U %G' /etc/frr/frr.conf 2>/dev/null || echo -",
      ...(full
        ? [
            'echo @@bvlan@@; bridge -j vlan show 2>/dev/null; echo',
            `echo @@fdb@@; bridge -j fdb show dev ${BRIDGE} 2>/dev/null || echo '[]'`,
            `echo @@sysctl@@; sysctl ${Object.keys(FULL_SYSCTLS).join(' ')} 2>/dev/null; true`,
          ]
        : []),
    ].join('\n')
    const r = await this.run(script, 'read')
    if (r.code !== 0)
      throw new LeafDriverError(
        'LEAF_UNREACHABLE',
        `${this.leaf}: reading the running state failed (exit ${r.code}): ${r.stderr.trim().slice(0, 300)}`,
        'read',
        'Check that FRR (zebra, bgpd) runs on the leaf and vtysh works as the SSH user.',
      )
    const s = sections(r.stdout)
    const runningB64 = s.get('running') ?? ''
    const fileRaw = s.get('file') ?? '-'
    const links = JSON.parse(s.get('links') || '[]')
    const kernel = parseKernel(links, this.o.hostPorts, parseAcceptDad(s.get('dad') ?? ''))
    const meta = (s.get('meta') ?? '-').trim()
    const raw: FrrRaw = {
      runningB64,
      fileB64: fileRaw === '-' ? null : fileRaw,
      fileMeta: meta === '-' || meta === '' ? null : meta,
      kernel,
      profile,
    }
    let config: LeafConfig
    let observed: LeafConfig | undefined
    if (full) {
      const json = (k: string) => JSON.parse((s.get(k) ?? '').trim() || '[]')
      const scope = this.fullScope()
      raw.full = parseFullKernel(links, json('bvlan'), json('fdb'), s.get('sysctl') ?? '', this.o.hostPorts, scope)
      const running = unb64(runningB64)
      const kernelVnis = new Set(Object.values(kernel.vxlans).map(v => v.id))
      // an FRR `vni` block without a VXLAN device carries no mark: fabricctl's only in a declared scope
      const frrOnly = [...parseFrrVnis(running).keys()].filter(v => !kernelVnis.has(v) && !scope.vni(v, null, null))
      if (frrOnly.length) raw.full.unmanagedVnis = [...(raw.full.unmanagedVnis ?? []), ...frrOnly].sort((a, b) => a - b)
      const unmanaged = [
        ...(raw.full.unmanaged ?? []),
        ...frrOnly.map(v => `VNI ${v}: FRR \`vni ${v}\` block (${scope.why ?? 'outside the declared scope'})`),
      ]
      if (unmanaged.length) raw.unmanaged = unmanaged
      const owned = this.fullOwned(raw)
      config = fullConfigOf(
        raw.full,
        running,
        this.o.catalog,
        this.o.vniBase,
        this.o.tenants ?? [],
        this.o.rtAsn ?? 65_000,
        vni => owned(vni, Object.values(raw.full!.vxlans).find(v => v.id === vni)?.pvid ?? null),
      )
      // What the traffic meets (diagnose, trace): the whole leaf, managed or not, read without the scope.
      if (unmanaged.length)
        observed = fullConfigOf(
          parseFullKernel(links, json('bvlan'), json('fdb'), s.get('sysctl') ?? '', this.o.hostPorts),
          running,
          this.o.catalog,
          this.o.vniBase,
          this.o.tenants ?? [],
          this.o.rtAsn ?? 65_000,
        )
    } else {
      const owned = this.ownership(raw)
      raw.unmanaged = owned.unmanaged
      config = nativeConfigOf(kernel, unb64(runningB64), this.o.catalog, this.o.vniBase, owned)
      if (owned.unmanaged.length) observed = nativeConfigOf(kernel, unb64(runningB64), this.o.catalog, this.o.vniBase)
    }
    return {
      config,
      snapshot: {driver: 'frr', leaf: this.leaf, takenAt: new Date().toISOString(), config, raw},
      ...(raw.unmanaged ? {unmanaged: raw.unmanaged} : {}),
      ...(observed ? {observed} : {}),
      facts: {vtep: this.vtepRead(raw)},
    }
  }

  /** The leaf's EVPN sessions: `show bgp summary json` (its l2VpnEvpn peers), parsed by `parseEvpnPeers`. */
  async evpnPeers(): Promise<{peers: EvpnPeer[]; source: string}> {
    const cmd = `vtysh -c 'show bgp summary json'`
    const r = await this.run(cmd, 'read EVPN sessions')
    if (r.code !== 0)
      throw new LeafDriverError(
        'LEAF_UNREACHABLE',
        `${this.leaf}: ${cmd} failed (exit ${r.code}): ${r.stderr.trim().slice(0, 300)}`,
        'read EVPN sessions',
        'Check that bgpd runs on the leaf and vtysh works as the SSH user.',
      )
    let doc: unknown
    try {
      doc = JSON.parse(r.stdout)
    } catch (error) {
      throw new LeafDriverError(
        'LEAF_UNREACHABLE',
        `${this.leaf}: ${cmd} printed no JSON (${(error as Error).message}): ${r.stdout.trim().slice(0, 200)}`,
        'read EVPN sessions',
      )
    }
    return {peers: parseEvpnPeers(doc), source: `${this.leaf}: ${cmd}`}
  }

  private async upload(text: string, kind: string): Promise<string> {
    const up = await this.run(
      `f=$(mktemp /tmp/fabricctl-${kind}.XXXXXX.conf) && cat >"$f" && chmod 644 "$f" && echo "$f"`,
      `upload ${kind}`,
      {stdin: text},
    )
    const file = up.stdout.trim()
    if (up.code !== 0 || !file.startsWith(`/tmp/fabricctl-${kind}.`))
      throw new LeafDriverError(
        'LEAF_PUSH_FAILED',
        `${this.leaf}: could not write the ${kind} file: ${up.stderr.trim()}`,
        `upload ${kind}`,
      )
    return file
  }

  /**
   * Check a candidate without applying anything: `vtysh --dryrun -f` (syntax), then
   * `frr-reload.py --test` (trust its exit code; its text is only shown as the plan).
   */
  async checkCandidate(text: string): Promise<{plan: string[]}> {
    const file = await this.upload(text, 'candidate')
    try {
      const dry = await this.run(`vtysh --dryrun -f ${q(file)} 2>&1`, 'vtysh --dryrun')
      if (dry.code !== 0) {
        throw new LeafDriverError(
          'LEAF_CANDIDATE_INVALID',
          `${this.leaf}: the candidate FRR configuration was rejected by vtysh --dryrun (exit ${dry.code}); nothing was applied: ${dry.stdout.trim().slice(0, 400)}`,
          'vtysh --dryrun',
          'Look at `fabricctl leaf config LEAF --format frr`; fix the desired state (network data) and push again.',
        )
      }
      const test = await this.run(`${FRR_RELOAD} --test --stdout ${q(file)} 2>&1`, 'frr-reload.py --test', {
        timeoutMs: 120_000,
      })
      if (test.code !== 0) {
        throw new LeafDriverError(
          'LEAF_CANDIDATE_INVALID',
          `${this.leaf}: frr-reload.py --test refused the candidate (exit ${test.code}); nothing was applied: ${test.stdout.trim().split('\n').slice(-5).join(' | ').slice(0, 400)}`,
          'frr-reload.py --test',
        )
      }
      return {plan: reloadPlan(test.stdout)}
    } finally {
      await this.run(`rm -f ${q(file)}`, 'cleanup').catch(() => undefined)
    }
  }

  /** A desired state that needs what fabricctl does not manage: refused (exit 4), nothing changed. */
  private unmanagedError(error: UnmanagedConflict): LeafDriverError {
    return new LeafDriverError(
      'LEAF_UNMANAGED',
      `${this.leaf}: the desired state needs configuration that fabricctl does not manage; nothing was changed: ${error.message}.`,
      'ownership',
      this.o.scope
        ? "Widen the leaf's `manage` scope in the context (docs/contexts.md), or change the network data."
        : "The leaf carries this configuration by hand. Declare it in the leaf's `manage` scope in the context to let fabricctl take it over (docs/contexts.md), or move it away.",
    )
  }

  async prepare(desired: LeafConfig, running: RunningState, changes: readonly LeafChange[]): Promise<PreparedPush> {
    const raw = running.snapshot.raw as FrrRaw
    if (raw.full) {
      let r
      try {
        r = this.renderFull(desired, running)
      } catch (error) {
        if (error instanceof LeafDriverError) throw error
        if (error instanceof UnmanagedConflict) throw this.unmanagedError(error)
        throw new LeafDriverError(
          'LEAF_CANDIDATE_INVALID',
          `${this.leaf} (profile full): ${(error as Error).message}; nothing was applied.`,
          'render',
          "Check the context's overlay.tenants and the networks' tags.",
        )
      }
      const checked = await this.checkCandidate(r.frr)
      return {
        plan: [
          ...r.kernel.map(c => `kernel: ${c}`),
          ...(checked.plan.length
            ? checked.plan.map(l => `frr: ${l}`)
            : changes
                .filter(c => c.op.endsWith('-vni') || c.op.endsWith('-vrf'))
                .map(c => `frr: ${describeChange(c)}`)),
        ],
        inverse: [
          ...r.inverse.map(c => `kernel: ${c}`),
          'frr: frr-reload.py --reload <pre-push running configuration>',
        ],
        data: {kernelPlan: r.kernel, candidate: r.frr},
      }
    }
    let r: {frr: string; kernel: string[]; inverse: string[]}
    try {
      r = this.renderNative(desired, running)
    } catch (error) {
      if (error instanceof LeafDriverError) throw error
      if (error instanceof UnmanagedConflict) throw this.unmanagedError(error)
      throw new LeafDriverError(
        'LEAF_CANDIDATE_INVALID',
        `${this.leaf} (profile ${raw.profile === 'full' ? 'native; the kernel could do the full profile, but the context declares no overlay.tenants' : 'native'}): ${(error as Error).message}; nothing was applied.`,
        'render',
      )
    }
    const {frr: candidate, kernel: kernelPlan, inverse} = r
    const checked = await this.checkCandidate(candidate)
    return {
      plan: [
        ...kernelPlan.map(c => `kernel: ${c}`),
        ...(checked.plan.length
          ? checked.plan.map(l => `frr: ${l}`)
          : changes.filter(c => c.op.endsWith('-vni')).map(c => `frr: ${describeChange(c)}`)),
      ],
      inverse: [...inverse.map(c => `kernel: ${c}`), 'frr: frr-reload.py --reload <pre-push running configuration>'],
      data: {kernelPlan, candidate},
    }
  }

  /** Run `ip` commands one by one; on failure say which one (the rest were not run). */
  private async runKernel(cmds: string[], step: string): Promise<void> {
    if (cmds.length === 0) return
    const script = cmds.map((c, i) => `${c} 2>&1 || { echo "@@fail:${i}@@"; exit 93; }\necho "@@ok:${i}@@"`).join('\n')
    const r = await this.run(script, step)
    if (r.code !== 0) {
      const failed = /@@fail:(\d+)@@/.exec(r.stdout)
      const i = failed ? Number(failed[1]) : -1
      const msg = r.stdout
        .replace(/@@(ok|fail):\d+@@\n?/g, '')
        .trim()
        .split('\n')
        .slice(-2)
        .join(' ')
      throw new LeafDriverError(
        'LEAF_PUSH_FAILED',
        `${this.leaf}: \`${cmds[i] ?? '?'}\` failed (${i >= 0 ? `${i} of ${cmds.length} kernel commands had been applied` : `exit ${r.code}`}): ${msg}`,
        `kernel: ${cmds[i] ?? step}`,
      )
    }
  }

  async apply(prepared: PreparedPush): Promise<void> {
    const {candidate, kernelPlan} = prepared.data as {candidate: string; kernelPlan: string[]}
    await this.runKernel(kernelPlan, 'kernel')
    const file = await this.upload(candidate, 'candidate')
    try {
      const r = await this.run(`${FRR_RELOAD} --reload --stdout ${q(file)} 2>&1`, 'frr-reload.py --reload', {
        timeoutMs: 120_000,
      })
      if (r.code !== 0)
        throw new LeafDriverError(
          'LEAF_PUSH_FAILED',
          `${this.leaf}: frr-reload.py --reload failed (exit ${r.code}): ${r.stdout.trim().split('\n').slice(-3).join(' | ').slice(0, 400)}`,
          'frr-reload.py --reload',
        )
      // Persist what now runs, so a restart of FRR comes back to it (FRR does not write the file itself).
      const w = await this.run(`cat ${q(file)} >/etc/frr/frr.conf`, 'write /etc/frr/frr.conf')
      if (w.code !== 0)
        throw new LeafDriverError(
          'LEAF_PUSH_FAILED',
          `${this.leaf}: could not write /etc/frr/frr.conf: ${w.stderr.trim()}`,
          'write /etc/frr/frr.conf',
        )
    } finally {
      await this.run(`rm -f ${q(file)}`, 'cleanup').catch(() => undefined)
    }
  }

  async verify(desired: LeafConfig): Promise<VerifyReport> {
    // Remote VTEPs and EVPN sessions can take a few seconds to converge after a change: retry while failing.
    const deadline = Date.now() + (this.o.settleMs ?? 20_000)
    for (let attempt = 1; ; attempt++) {
      const report = await this.verifyOnce(desired)
      const failing = report.checks.some(c => !c.ok && c.severity === 'error')
      if (!failing || Date.now() >= deadline || attempt >= 60) return report
      await new Promise(r => setTimeout(r, 250))
    }
  }

  private async verifyOnce(desired: LeafConfig): Promise<VerifyReport> {
    const running = await this.read()
    if ((running.snapshot.raw as FrrRaw).full) return this.verifyFull(desired, running)
    const vnis = Object.values(desired.vnis).map(v => v.vni)
    const script = [
      `echo @@evpn@@; vtysh -c 'show evpn vni json'`,
      ...vnis.flatMap(v => [
        `echo @@vni-${v}@@; vtysh -c 'show evpn vni ${v} json'`,
        `echo @@mac-${v}@@; vtysh -c 'show evpn mac vni ${v} json'`,
      ]),
      `echo @@bgp@@; vtysh -c 'show bgp summary json'`,
      'echo @@blink@@; bridge -j -d link',
      'echo @@bvlan@@; bridge -j vlan show',
    ].join('\n')
    const parse = await this.runSections(script)
    const raw = running.snapshot.raw as FrrRaw
    const checks: VerifyCheck[] = [
      modelCheck(running, desired),
      ...nativeChecks({
        desired,
        kernel: raw.kernel,
        owned: this.ownership(raw),
        evpn: parse('evpn'),
        vni: v => parse(`vni-${v}`),
        mac: v => parse(`mac-${v}`),
        bgp: parse('bgp'),
        blink: parse('blink'),
        bvlan: parse('bvlan'),
        remoteVteps: this.o.remoteVteps,
        expectedMacs: this.o.expectedMacs,
      }),
    ]
    return {running, checks}
  }

  async restore(snapshot: LeafSnapshot): Promise<void> {
    const raw = snapshot.raw as FrrRaw | undefined
    if (!raw || snapshot.driver !== 'frr')
      throw new LeafDriverError(
        'LEAF_ROLLBACK_FAILED',
        `The recorded state of ${this.leaf} was not taken by the FRR driver.`,
        'restore',
      )
    const now = await this.read()
    const nowRaw = now.snapshot.raw as FrrRaw
    if (raw.full || nowRaw.full) {
      if (!raw.full || !nowRaw.full)
        throw new LeafDriverError(
          'LEAF_ROLLBACK_FAILED',
          `The recorded state of ${this.leaf} was taken with the ${raw.full ? 'full' : 'native'} model, but the leaf is now managed with the ${nowRaw.full ? 'full' : 'native'} one.`,
          'restore',
          "Check the context's overlay.tenants; restore by hand from the snapshot file if needed.",
        )
      await this.runKernel(planFull(nowRaw.full, raw.full, this.managedVrfs()), 'restore kernel')
    } else {
      const cur = nowRaw.kernel
      // Every device of the snapshot back with every attribute it had; a device made since is removed only
      // when it is fabricctl's (marked, or a managed VNI's). Bridges first, then vxlan devices, then ports.
      const owned = this.ownership(nowRaw)
      await this.runKernel(
        planKernel(cur, raw.kernel, dev => !raw.kernel.names?.includes(dev) && this.deletable(cur, owned, dev)),
        'restore kernel',
      )
    }
    const text = runningToFile(unb64(raw.runningB64))
    const file = await this.upload(text, 'restore')
    try {
      const r = await this.run(`${FRR_RELOAD} --reload --stdout ${q(file)} 2>&1`, 'restore frr-reload.py --reload', {
        timeoutMs: 120_000,
      })
      if (r.code !== 0)
        throw new LeafDriverError(
          'LEAF_ROLLBACK_FAILED',
          `${this.leaf}: frr-reload.py --reload of the recorded state failed (exit ${r.code}): ${r.stdout.trim().split('\n').slice(-3).join(' | ')}`,
          'restore frr',
        )
      const [mode, owner, group] = (raw.fileMeta ?? '').split(' ')
      const fileCmd =
        raw.fileB64 === null
          ? 'rm -f /etc/frr/frr.conf'
          : `printf %s ${q(raw.fileB64)} | base64 -d >/etc/frr/frr.conf${mode ? ` && chmod ${q(mode)} /etc/frr/frr.conf` : ''}${owner && group ? ` && chown ${q(`${owner}:${group}`)} /etc/frr/frr.conf` : ''}`
      const w = await this.run(fileCmd, 'restore /etc/frr/frr.conf')
      if (w.code !== 0)
        throw new LeafDriverError(
          'LEAF_ROLLBACK_FAILED',
          `${this.leaf}: could not restore /etc/frr/frr.conf: ${w.stderr.trim()}`,
          'restore file',
        )
    } finally {
      await this.run(`rm -f ${q(file)}`, 'cleanup').catch(() => undefined)
    }
  }

  /**
   * The leaf's push lock: `flock` on /run/fabricctl/leaf.lock held by a shell on the leaf for as long as this
   * SSH session keeps its stdin open (the client killed → the session ends → the lock is free). The holder
   * (client host, pid, since) is written beside it, so a push that waited waitMs in vain can name it.
   */
  async lock(waitMs: number): Promise<() => void> {
    const who = `host=${os.hostname()} pid=${process.pid} since=${new Date().toISOString()}`
    const wait = Math.max(0, Math.ceil(waitMs / 1000))
    const script = [
      `d=${this.runDir}; mkdir -p "$d" || exit 90`,
      'exec 9>>"$d/leaf.lock"',
      `if ! flock -w ${wait} 9; then echo @@busy@@; cat "$d/leaf.lock.holder" 2>/dev/null; echo; echo @@end@@; exit 75; fi`,
      `printf '%s\\n' ${q(who)} >"$d/leaf.lock.holder"`,
      'echo @@locked@@',
      'cat >/dev/null',
      'rm -f "$d/leaf.lock.holder"',
    ].join('\n')
    let r
    try {
      r = await this.ssh.hold(script, out => out.includes('@@locked@@') || out.includes('@@end@@'), waitMs + 30_000)
    } catch (error) {
      throw new LeafDriverError(
        'LEAF_UNREACHABLE',
        `${this.leaf}: taking the push lock: ${(error as Error).message}`,
        'lock',
      )
    }
    if (r.out.includes('@@locked@@')) return r.release
    if (r.out.includes('@@busy@@')) {
      const holder = r.out.split('@@busy@@')[1]!.split('@@end@@')[0]!.trim() || 'unknown holder'
      throw new LeafDriverError(
        'LEAF_LOCKED',
        `Leaf ${this.leaf} is being pushed by another fabricctl (${holder}); waited ${wait} s, nothing was changed.`,
        'lock',
        'Wait for that push to finish and push again (or raise --lock-wait).',
      )
    }
    throw new LeafDriverError(
      'LEAF_UNREACHABLE',
      `${this.leaf}: taking the push lock on the leaf failed (exit ${r.code}): ${r.out.trim().slice(0, 200)}`,
      'lock',
      'The leaf needs flock (util-linux) and a writable /run.',
    )
  }

  /**
   * Commit-confirm: a detached timer on the leaf (setsid; it survives this session) that, after `seconds`,
   * takes the push lock and puts `target` back: kernel devices with all their attributes, FRR reloaded from
   * the recorded running configuration, /etc/frr/frr.conf with its bytes, mode and owner.
   */
  async armRevert(target: LeafSnapshot, current: LeafSnapshot, seconds: number): Promise<PendingRevert> {
    const raw = target.raw as FrrRaw
    const now = current.raw as FrrRaw
    if (!raw.full !== !now.full)
      throw new LeafDriverError(
        'LEAF_CONFIRM_UNSUPPORTED',
        `${this.leaf}: the pre-push state was read with the ${raw.full ? 'full' : 'native'} model, the pushed one with the ${now.full ? 'full' : 'native'} one.`,
        'arm',
      )
    // the kernel part of the revert is the restore plan (full: back to the pre-push managed devices)
    const kernel =
      raw.full && now.full
        ? planFull(now.full, raw.full, this.managedVrfs())
        : planKernel(
            now.kernel,
            raw.kernel,
            dev => !raw.kernel.names?.includes(dev) && this.deletable(now.kernel, this.ownership(now), dev),
          )
    const id = `${new Date().toISOString().replaceAll(/[-:.]/g, '')}-${process.pid}`
    const p = `${this.runDir}/pending/${id}`
    const [mode, owner, group] = (raw.fileMeta ?? '').split(' ')
    const revert = [
      '#!/bin/sh',
      `# fabricctl commit-confirm revert of ${this.leaf}, armed ${new Date().toISOString()}`,
      ...kernel.map(c => `${c} || echo "failed: ${c.replaceAll('"', "'")}"`),
      `printf %s ${q(b64(runningToFile(unb64(raw.runningB64))))} | base64 -d >${q(`${p}.frr`)}`,
      `${FRR_RELOAD} --reload --stdout ${q(`${p}.frr`)} || echo "failed: frr-reload"`,
      raw.fileB64 === null
        ? 'rm -f /etc/frr/frr.conf'
        : `printf %s ${q(raw.fileB64)} | base64 -d >/etc/frr/frr.conf${mode ? ` && chmod ${q(mode)} /etc/frr/frr.conf` : ''}${owner && group ? ` && chown ${q(`${owner}:${group}`)} /etc/frr/frr.conf` : ''}`,
      `date -u +%FT%TZ >${q(`${p}.reverted`)}`,
      `rm -f ${q(`${p}.json`)} ${q(`${p}.frr`)}`,
    ].join('\n')
    const rec: PendingRevert = {
      id,
      leaf: this.leaf,
      armedAt: new Date().toISOString(),
      deadline: new Date(Date.now() + seconds * 1000).toISOString(),
      by: `host=${os.hostname()} pid=${process.pid}`,
      pid: null,
    }
    const script = [
      `mkdir -p ${this.runDir}/pending || exit 90`,
      `cat >${q(`${p}.sh`)} <<'FABRICCTL_EOF'\n${revert}\nFABRICCTL_EOF`,
      `setsid sh -c ${q(`sleep ${Math.max(1, Math.round(seconds))}; flock -w 120 ${this.runDir}/leaf.lock sh ${p}.sh >${p}.log 2>&1`)} </dev/null >/dev/null 2>&1 &`,
      'pid=$!',
      `printf '%s' ${q(JSON.stringify(rec))} | sed "s/\\"pid\\":null/\\"pid\\":$pid/" >${q(`${p}.json`)}`,
      'echo "@@pid:$pid@@"',
    ].join('\n')
    const r = await this.run(script, 'arm commit-confirm')
    const pid = /@@pid:(\d+)@@/.exec(r.stdout)
    if (r.code !== 0 || !pid)
      throw new LeafDriverError(
        'LEAF_PUSH_FAILED',
        `${this.leaf}: arming the commit-confirm revert failed (exit ${r.code}): ${r.stderr.trim().slice(0, 200)}`,
        'arm commit-confirm',
      )
    return {...rec, pid: Number(pid[1])}
  }

  /** The reverts armed on the leaf (`/run/fabricctl/pending/*.json` whose timer still runs). */
  async pending(): Promise<PendingRevert[]> {
    const r = await this.run(
      `for f in ${this.runDir}/pending/*.json; do [ -f "$f" ] && { cat "$f"; echo; }; done; true`,
      'pending',
    )
    return r.stdout
      .split('\n')
      .filter(l => l.trim().startsWith('{'))
      .map(l => JSON.parse(l) as PendingRevert)
  }

  /** Disarm every armed revert of the leaf: stop its timer (the whole session group), remove its files. */
  async confirm(): Promise<PendingRevert[]> {
    const armed = await this.pending()
    if (armed.length === 0) return []
    const cmds = armed.map(
      a =>
        `${a.pid ? `kill -TERM -- -${a.pid} 2>/dev/null; ` : ''}rm -f ${q(`${this.runDir}/pending/${a.id}.json`)} ${q(`${this.runDir}/pending/${a.id}.sh`)}`,
    )
    const r = await this.run(cmds.join('\n'), 'confirm')
    if (r.code !== 0)
      throw new LeafDriverError('LEAF_PUSH_FAILED', `${this.leaf}: disarming failed: ${r.stderr.trim()}`, 'confirm')
    return armed
  }

  /** A device of the layout that a push may delete: a managed VNI's vxlan device or bridge, or one fabricctl marked. */
  private deletable(k: KernelState, owned: Ownership, dev: string): boolean {
    if (k.vxlans[dev]) return owned.vnis.has(k.vxlans[dev]!.id) || (k.vxlans[dev]!.alias ?? '').startsWith(MARK)
    if (k.bridges[dev]) return managedBridge(k, owned, dev)
    return false
  }

  /** Where this leaf learned `mac`: the kernel bridge FDB and zebra's EVPN MACs (one SSH exec). */
  async macLocations(mac: string): Promise<MacLocations> {
    const {parseBridgeFdb, parseEvpnMacAll} = await import('../../backends/live/parse/mac-table.js')
    const script = [`echo @@fdb@@; bridge -j fdb show`, `echo @@evpn@@; vtysh -c 'show evpn mac vni all json'`].join(
      '\n',
    )
    const r = await this.run(script, 'read')
    const s = sections(r.stdout)
    const entries = [...parseBridgeFdb(s.get('fdb') ?? '[]', mac), ...parseEvpnMacAll(s.get('evpn') ?? '{}', mac)]
    return {
      entries,
      sources: [`${this.leaf}: bridge -j fdb show`, `${this.leaf}: vtysh -c 'show evpn mac vni all json'`],
    }
  }

  async platform(): Promise<LeafPlatform> {
    const {PLATFORM_SCRIPT, parsePlatform} = await import('../../backends/live/parse/platform.js')
    const s = sections((await this.run(PLATFORM_SCRIPT, 'read')).stdout)
    return parsePlatform(s.get('onie') ?? '', s.get('dmi') ?? '')
  }

  /** Run a script of `echo @@name@@; command` sections in one SSH exec; returns a parser of each section's JSON (null when absent or invalid). */
  private async runSections(script: string): Promise<(section: string) => any> {
    const r = await this.run(script, 'verify')
    const s = sections(r.stdout)
    return (k: string): any => {
      try {
        return JSON.parse(s.get(k) || 'null')
      } catch {
        return null
      }
    }
  }

  /** Verify a full-profile leaf: model diff, zebra's L2 and L3 VNIs, bridge VLANs, kernel VRFs, EVPN sessions. */
  private async verifyFull(desired: LeafConfig, running: RunningState): Promise<VerifyReport> {
    const script = [
      `echo @@evpn@@; vtysh -c 'show evpn vni json'`,
      `echo @@bgp@@; vtysh -c 'show bgp summary json'`,
      'echo @@bvlan@@; bridge -j vlan show',
      'echo @@vrf@@; ip -j vrf show',
    ].join('\n')
    const parse = await this.runSections(script)
    const checks: VerifyCheck[] = [modelCheck(running, desired)]
    const evpn = Object.values(
      (parse('evpn') ?? {}) as Record<string, {vni: number; type?: string; vxlanIf?: string; tenantVrf?: string}>,
    ).filter(v => v && typeof v === 'object')
    const l2 = new Map(evpn.filter(v => v.type === 'L2').map(v => [Number(v.vni), v]))
    const l3 = new Map(evpn.filter(v => v.type === 'L3').map(v => [Number(v.vni), v]))
    const wantL2 = Object.values(desired.vnis)
    const bad: string[] = []
    // the VNI's device as the leaf carries it (found by its VXLAN id), whatever its name
    const read = (running.snapshot.raw as FrrRaw).full
    const vxName = (vni: number) => (read && vxlanOf(read, vni)?.name) ?? vxlanName(vni)
    for (const v of wantL2) {
      const z = l2.get(v.vni)
      if (!z || z.vxlanIf !== vxName(v.vni) || z.tenantVrf !== v.vrf)
        bad.push(`L2 ${v.vni}${z ? ` (vrf ${z.tenantVrf}, ${z.vxlanIf})` : ' missing'}`)
    }
    for (const [vrf, v] of Object.entries(desired.vrfs)) {
      const z = l3.get(v.l3Vni)
      if (!z || z.tenantVrf !== vrf || z.vxlanIf !== vxName(v.l3Vni))
        bad.push(`L3 ${v.l3Vni} of ${vrf}${z ? ` (vrf ${z.tenantVrf})` : ' missing'}`)
    }
    // a hand-made VNI outside the scope is not "unexpected": fabricctl does not manage it
    const owned = this.fullOwned(running.snapshot.raw as FrrRaw)
    for (const v of l2.keys()) if (!desired.vnis[String(v)] && owned(v)) bad.push(`unexpected L2 ${v}`)
    for (const [v, z] of l3)
      if (!Object.values(desired.vrfs).some(x => x.l3Vni === v) && this.managedVrfs().includes(z.tenantVrf ?? ''))
        bad.push(`unexpected L3 ${v}`)
    checks.push({
      name: 'show evpn vni',
      ok: bad.length === 0,
      severity: 'error',
      detail:
        bad.length === 0
          ? `zebra carries L2 VNIs ${[...l2.keys()].sort().join(',') || '(none)'} and L3 VNIs ${[...l3.keys()].sort().join(',') || '(none)'}`
          : bad.join('; '),
    })
    const bvlan = (parse('bvlan') ?? []) as {ifname: string; vlans?: {vlan: number; flags?: string[]}[]}[]
    const vlansOn = (i: string) => bvlan.find(b => b.ifname === i)?.vlans ?? []
    const wrong: string[] = []
    for (const [iface, i] of Object.entries(desired.interfaces)) {
      const have = vlansOn(iface)
        .filter(v => !(v.flags ?? []).includes('Egress Untagged'))
        .map(v => v.vlan)
      const miss = i.vlans.filter(v => !have.includes(v))
      if (miss.length) wrong.push(`${iface} lacks tagged VLAN ${miss.join(',')}`)
    }
    for (const v of wantL2)
      if (!vlansOn(vxName(v.vni)).some(x => x.vlan === v.vlan && (x.flags ?? []).includes('PVID')))
        wrong.push(`${vxName(v.vni)} is not PVID of VLAN ${v.vlan}`)
    checks.push({
      name: 'bridge vlan show',
      ok: wrong.length === 0,
      severity: 'error',
      detail:
        wrong.length === 0
          ? `${Object.keys(desired.interfaces).length} host port(s) carry their tagged VLANs; ${wantL2.length} VXLAN device(s) are their VLAN's PVID`
          : wrong.join('; '),
    })
    const vrfs = (parse('vrf') ?? []) as {name: string; table: number}[]
    const missingVrf = Object.keys(desired.vrfs).filter(n => {
      const t = this.o.tenants?.find(x => x.vrf === n)
      return !vrfs.some(v => v.name === n && (!t || v.table === t.table))
    })
    checks.push({
      name: 'ip vrf show',
      ok: missingVrf.length === 0,
      severity: 'error',
      detail:
        missingVrf.length === 0
          ? `kernel VRFs ${vrfs.map(v => `${v.name} (table ${v.table})`).join(', ') || '(none)'}`
          : `missing or wrong table: ${missingVrf.join(', ')}`,
    })
    checks.push(evpnSessions(parse('bgp')))
    return {running, checks}
  }

  close(): void {
    this.ssh.close()
  }
}

/**
 * The "Lines To Delete" / "Lines To Add" of `frr-reload.py --test`, as "no …" / "+ …" lines. Only for
 * showing the plan: whether the candidate is acceptable is decided by the exit code.
 */
export function reloadPlan(out: string): string[] {
  const plan: string[] = []
  let mode: 'del' | 'add' | undefined
  for (const line of out.split('\n')) {
    if (/^Lines To Delete/.test(line)) mode = 'del'
    else if (/^Lines To Add/.test(line)) mode = 'add'
    else if (/^=+$/.test(line.trim()) || line.trim() === '') continue
    else if (mode && !/^\d{4}-\d\d-\d\d/.test(line)) plan.push(`${mode === 'del' ? '-' : '+'} ${line.trim()}`)
  }
  return plan
}

export {b64, unb64}

/** What a native leaf's verify reads, parsed (null where a command gave no JSON). */
export interface NativeEvidence {
  desired: LeafConfig
  kernel: KernelState
  owned: Ownership
  evpn: unknown
  vni: (vni: number) => unknown
  mac: (vni: number) => unknown
  bgp: unknown
  blink: unknown
  bvlan: unknown
  remoteVteps?: ReadonlyMap<number, readonly string[]>
  expectedMacs?: ReadonlyMap<number, readonly string[]>
}

/**
 * The remote VTEPs zebra floods a VNI to, from `show evpn vni json` (its entry: `remoteVteps`, a list) or
 * `show evpn vni N json`, where FRR 8.4 puts the list under `numRemoteVteps` (test/fixtures/frr/).
 */
export function remoteVtepsOf(summary: unknown, detail: unknown): string[] {
  const lists = [summary, detail].flatMap(o => {
    const r = (o && typeof o === 'object' ? o : {}) as {remoteVteps?: unknown; numRemoteVteps?: unknown}
    return [r.remoteVteps, r.numRemoteVteps].filter(Array.isArray) as unknown[][]
  })
  const ips = lists.flat().map(x => (typeof x === 'string' ? x : ((x as {ip?: string} | null)?.ip ?? '')))
  return [...new Set(ips.filter(Boolean))].sort()
}

/**
 * The checks of a native leaf's verify, from FRR's and the kernel's own view: zebra carries each desired VNI
 * on the VNI's vxlan device (found by its id); each VNI lists the other leaves carrying it as remote VTEPs;
 * host ports sit in their VNI's bridge; every EVPN session to the spines is Established; the MACs of the
 * ports behind the leaf are learned (a warning: a quiet instance has sent nothing yet).
 */
export function nativeChecks(e: NativeEvidence): VerifyCheck[] {
  const checks: VerifyCheck[] = []
  const vnis = Object.values(e.desired.vnis).map(v => v.vni)
  const vxOf = (vni: number) => Object.values(e.kernel.vxlans).find(x => x.id === vni)
  const evpn = (e.evpn && typeof e.evpn === 'object' ? e.evpn : {}) as Record<
    string,
    {vni: number; type?: string; vxlanIf?: string}
  >
  const l2 = new Map(
    Object.values(evpn)
      .filter(v => v && typeof v === 'object' && v.type !== 'L3')
      .map(v => [Number(v.vni), v]),
  )
  const missing = vnis.filter(v => !l2.has(v) || l2.get(v)!.vxlanIf !== (vxOf(v)?.name ?? vxlanName(v)))
  const extra = [...l2.keys()].filter(v => !e.desired.vnis[String(v)] && e.owned.vnis.has(v))
  checks.push({
    name: 'show evpn vni',
    ok: missing.length === 0 && extra.length === 0,
    severity: 'error',
    detail:
      missing.length === 0 && extra.length === 0
        ? `zebra carries L2 VNIs ${[...l2.keys()].sort().join(',') || '(none)'}`
        : `${missing.length ? `missing ${missing.join(',')}` : ''}${missing.length && extra.length ? '; ' : ''}${extra.length ? `unexpected ${extra.join(',')}` : ''}`,
  })
  for (const v of vnis) {
    const want = [...(e.remoteVteps?.get(v) ?? [])].sort()
    const d = e.vni(v)
    const have = remoteVtepsOf(evpn[String(v)], d)
    const lacking = want.filter(x => !have.includes(x))
    checks.push({
      name: `remote VTEPs of VNI ${v}`,
      ok: d !== null && lacking.length === 0,
      severity: 'error',
      detail:
        d === null
          ? 'no answer from `show evpn vni N json`'
          : lacking.length === 0
            ? `remote VTEPs ${have.join(',') || '(none)'}${want.length ? ` (expected ${want.join(',')})` : ''}`
            : `missing remote VTEP(s) ${lacking.join(',')} (the other leaves carrying VNI ${v}); has ${have.join(',') || '(none)'}`,
    })
    const mac = e.mac(v) as {numMacs?: number; macs?: Record<string, unknown>} | null
    const macs = Object.keys(mac?.macs ?? {}).map(m => m.toLowerCase())
    const wantMacs = (e.expectedMacs?.get(v) ?? []).map(m => m.toLowerCase())
    const notLearned = wantMacs.filter(m => !macs.includes(m))
    checks.push({
      name: `show evpn mac vni ${v}`,
      ok: mac !== null && typeof mac === 'object' && notLearned.length === 0,
      severity: 'warning',
      detail:
        mac === null
          ? 'no answer'
          : notLearned.length
            ? `not learned: ${notLearned.join(', ')} (${mac.numMacs ?? macs.length} MAC(s) known)`
            : `${mac.numMacs ?? macs.length} MAC(s)${wantMacs.length ? `, including the ${wantMacs.length} expected` : ''}`,
    })
  }
  const blink = (Array.isArray(e.blink) ? e.blink : []) as {ifname: string; master?: string}[]
  const wrongPorts = Object.entries(e.desired.interfaces)
    .filter(([iface, i]) => {
      const vni = Object.values(e.desired.vnis).find(v => v.vlan === i.vlans[0])?.vni
      const br = vni === undefined ? undefined : (vxOf(vni)?.master ?? undefined)
      return br === undefined || blink.find(b => b.ifname === iface)?.master !== br
    })
    .map(([iface]) => iface)
  checks.push({
    name: 'bridge link',
    ok: wrongPorts.length === 0,
    severity: 'error',
    detail:
      wrongPorts.length === 0
        ? `${Object.keys(e.desired.interfaces).length} host port(s) in their VNI's bridge`
        : `not in the bridge of their VNI: ${wrongPorts.join(', ')}`,
  })
  checks.push({
    name: 'bridge vlan show',
    ok: Array.isArray(e.bvlan),
    severity: 'info',
    detail: Array.isArray(e.bvlan) ? `${e.bvlan.length} bridge port(s) listed` : 'no answer',
  })
  checks.push(evpnSessions(e.bgp))
  return checks
}

/**
 * The EVPN sessions of `show bgp summary json` (its `l2VpnEvpn.peers`; `show bgp l2vpn evpn summary json`
 * puts them at the top level): the one parser of a leaf's BGP sessions (verify and trace).
 */
export function parseEvpnPeers(bgp: unknown): EvpnPeer[] {
  type Peers = Record<string, {hostname?: string; state?: string}>
  const b = (bgp && typeof bgp === 'object' ? bgp : {}) as {l2VpnEvpn?: {peers?: Peers}; peers?: Peers}
  return Object.entries(b.l2VpnEvpn?.peers ?? b.peers ?? {}).map(([address, p]) => ({
    address,
    hostname: p.hostname ?? null,
    state: p.state ?? null,
    established: p.state === 'Established',
  }))
}

/** Every EVPN (l2vpn evpn) session of the leaf Established, and at least one: an error otherwise. */
export function evpnSessions(bgp: unknown): VerifyCheck {
  const peers = parseEvpnPeers(bgp)
  const down = peers.filter(p => !p.established)
  const est = peers.length - down.length
  return {
    name: 'show bgp summary (l2vpn evpn)',
    ok: peers.length > 0 && down.length === 0,
    severity: 'error',
    detail:
      peers.length === 0
        ? 'no EVPN session configured or none answers'
        : `${est} of ${peers.length} EVPN session(s) established${down.length ? `; not established: ${down.map(p => `${p.address} (${p.state ?? '?'})`).join(', ')}` : ''}`,
  }
}

/** The first verify check of either profile: the leaf read back equals the desired model. */
function modelCheck(running: RunningState, desired: LeafConfig): VerifyCheck {
  const diff = diffLeafConfigs(running.config, withoutCarried(running, desired).desired)
  return {
    name: 'running-config',
    ok: diff.length === 0,
    severity: 'error',
    detail:
      diff.length === 0
        ? 'kernel devices and FRR configuration match the desired state'
        : `${diff.length} difference(s): ${diff.slice(0, 4).map(describeChange).join('; ')}`,
  }
}
