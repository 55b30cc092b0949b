import {type LeafConfig, emptyLeafConfig} from '../../model/types.js'
import {canonicalLeafConfig} from '../desired.js'

/**
 * The "native" leaf profile, for a Linux kernel with vxlan and plain bridges but no VRF, no 802.1Q
 * and no VLAN-aware bridge: one bridge `br<VNI>` per L2 VNI holding `vxlan<VNI>` and the host
 * ports (untagged), the anycast gateway address on the bridge in the default VRF. FRR carries the
 * EVPN part (`vni N` with its route targets under `address-family l2vpn evpn`).
 */

export const VXLAN_PORT = 4789
/** The default naming template of NEW devices (existing ones keep their names: the layout is read from the devices). */
export const DEFAULT_NAMING: Naming = {bridge: 'br{vni}', vxlan: 'vxlan{vni}'}
export const bridgeName = (vni: number, naming: Naming = DEFAULT_NAMING) => fill(naming.bridge, vni)
export const vxlanName = (vni: number, naming: Naming = DEFAULT_NAMING) => fill(naming.vxlan, vni)
/** The marker fabricctl puts in the alias (ifalias) of every device it creates. */
export const MARK = 'fabricctl:'
export const markOf = (vni: number) => `${MARK} vni ${vni}`

/** Names of new devices: `{vni}` and `{vlan}` are replaced (context `naming`, per leaf or overlay-wide). */
export interface Naming {
  bridge: string
  vxlan: string
}
function fill(tpl: string, vni: number, vlan?: number): string {
  return tpl.replaceAll('{vni}', String(vni)).replaceAll('{vlan}', vlan === undefined ? String(vni) : String(vlan))
}
export function nameFor(tpl: string, vni: number, vlan: number): string {
  return fill(tpl, vni, vlan)
}

/**
 * Attributes of a kernel device as read (`ip -d -j addr show`, `/proc/sys/net/ipv6/conf/*\/accept_dad`).
 * In a desired state an attribute left undefined is "do not care" (kept as it is); a snapshot has them all.
 */
export interface KDevAttrs {
  mac?: string
  alias?: string | null
  addrgenmode?: string | null
  acceptDad?: string | null
  mtu?: number
}
export interface KBridge extends KDevAttrs {
  name: string
  addresses: string[]
  up: boolean
  mcastSnooping?: number | null
  stpState?: number | null
}
export interface KVxlan extends KDevAttrs {
  name: string
  id: number
  local: string | null
  dstport: number
  learning: boolean
  master: string | null
  up: boolean
  /** Bridge-port attributes (`bridge link`): learning and neigh_suppress of the vxlan port. */
  portLearning?: boolean | null
  neighSuppress?: boolean | null
}
/**
 * The leaf's overlay layout, discovered from the devices (never from names): every vxlan device (its
 * VNI is its vxlan id), every bridge that holds one (or that fabricctl created), the ports in those
 * bridges and the host-facing interfaces. `managed` says which of them fabricctl may change.
 */
export interface KernelState {
  bridges: Record<string, KBridge>
  vxlans: Record<string, KVxlan>
  ports: Record<string, {master: string | null}>
  /** Every link name on the leaf (new devices must not take a name in use). */
  names?: string[]
}

export interface IpLink {
  ifname: string
  address?: string
  flags?: string[]
  master?: string
  mtu?: number
  ifalias?: string
  inet6_addr_gen_mode?: string
  linkinfo?: {
    info_kind?: string
    info_data?: {
      id?: number
      local?: string
      port?: number
      learning?: boolean
      mcast_snooping?: number
      stp_state?: number
    }
    info_slave_kind?: string
    info_slave_data?: {learning?: boolean | string; neigh_suppress?: boolean | string}
  }
  addr_info?: {family: string; local: string; prefixlen: number; scope?: string}[]
}

const onOff = (v: boolean | string | undefined): boolean | null =>
  v === undefined ? null : typeof v === 'boolean' ? v : v === 'on' || v === 'true' || v === '1'

/** `grep -H . /proc/sys/net/ipv6/conf/*\/accept_dad` → accept_dad per device. */
export function parseAcceptDad(text: string): Map<string, string> {
  const m = new Map<string, string>()
  for (const line of text.split('\n')) {
    const r = /^\/proc\/sys\/net\/ipv6\/conf\/([^/]+)\/accept_dad:(.*)$/.exec(line.trim())
    if (r) m.set(r[1]!, r[2]!.trim())
  }
  return m
}

/**
 * From `ip -j -d addr show` (and accept_dad): the overlay layout. A bridge belongs to the layout when a
 * vxlan device is in it or fabricctl created it (alias); its VNI is the vxlan id, whatever its name.
 */
export function parseKernel(
  links: IpLink[],
  hostPorts: readonly string[],
  acceptDad?: Map<string, string>,
): KernelState {
  const st: KernelState = {bridges: {}, vxlans: {}, ports: {}, names: links.map(l => l.ifname).sort()}
  const byName = new Map(links.map(l => [l.ifname, l]))
  const common = (l: IpLink): KDevAttrs => ({
    mac: (l.address ?? '').toLowerCase(),
    alias: l.ifalias ?? null,
    addrgenmode: l.inet6_addr_gen_mode ?? null,
    acceptDad: acceptDad?.get(l.ifname) ?? null,
    mtu: l.mtu,
  })
  const bridgeNames = new Set<string>()
  for (const l of links) {
    if (l.linkinfo?.info_kind !== 'vxlan') continue
    const d = l.linkinfo.info_data ?? {}
    const sl = l.linkinfo.info_slave_data ?? {}
    st.vxlans[l.ifname] = {
      name: l.ifname,
      ...common(l),
      id: d.id ?? 0,
      local: d.local ?? null,
      dstport: d.port ?? 0,
      learning: d.learning ?? true,
      master: l.master ?? null,
      up: (l.flags ?? []).includes('UP'),
      portLearning: l.master ? onOff(sl.learning) : null,
      neighSuppress: l.master ? onOff(sl.neigh_suppress) : null,
    }
    if (l.master && byName.get(l.master)?.linkinfo?.info_kind === 'bridge') bridgeNames.add(l.master)
  }
  for (const l of links)
    if (l.linkinfo?.info_kind === 'bridge' && (l.ifalias ?? '').startsWith(MARK)) bridgeNames.add(l.ifname)
  for (const name of bridgeNames) {
    const l = byName.get(name)!
    const d = l.linkinfo?.info_data ?? {}
    const addresses = (l.addr_info ?? [])
      .filter(a => a.family === 'inet')
      .map(a => `${a.local}/${a.prefixlen}`)
      .sort()
    st.bridges[name] = {
      name,
      ...common(l),
      addresses,
      up: (l.flags ?? []).includes('UP'),
      mcastSnooping: d.mcast_snooping ?? null,
      stpState: d.stp_state ?? null,
    }
  }
  const ports = new Set(hostPorts.filter(p => byName.has(p)))
  for (const l of links)
    if (l.master && bridgeNames.has(l.master) && l.linkinfo?.info_kind !== 'vxlan') ports.add(l.ifname)
  // A host port's real master, whatever it is (a VNI bridge, a hand-made bridge without a VNI such as a
  // server's br100, a bond, a VRF): a port enslaved to a device fabricctl does not manage is not free.
  for (const p of [...ports].sort()) st.ports[p] = {master: byName.get(p)?.master ?? null}
  return st
}

/** Route targets per VNI in FRR's running configuration (`router bgp N` → `address-family l2vpn evpn` → `vni V`). */
export function parseFrrVnis(text: string): Map<number, {import: string[]; export: string[]}> {
  const out = new Map<number, {import: string[]; export: string[]}>()
  let current: {import: string[]; export: string[]} | undefined
  for (const line of text.split('\n')) {
    const vni = /^ {2}vni (\d+)\s*$/.exec(line)
    if (vni) {
      current = {import: [], export: []}
      out.set(Number(vni[1]), current)
      continue
    }
    if (/^ {2}exit-vni\s*$/.test(line) || /^ ?\S/.test(line)) {
      current = undefined
      continue
    }
    const rt = /^ {3}route-target (import|export|both) (.+?)\s*$/.exec(line)
    if (rt && current) {
      for (const v of rt[2]!.split(/\s+/)) {
        if (rt[1] !== 'export') current.import.push(v)
        if (rt[1] !== 'import') current.export.push(v)
      }
    }
  }
  return out
}

export interface VniCatalogEntry {
  vlan: number
  network: string
}

/** What the context declares fabricctl manages on a leaf (absent: only what fabricctl created, marked). */
export interface ManageScope {
  /** VNI ranges, e.g. [[10100, 10199]]. */
  vnis?: [number, number][]
  /** VLAN ranges: a VNI whose VLAN falls in one is managed. */
  vlans?: [number, number][]
  /** Host-facing interfaces fabricctl may put into and take out of bridges. */
  interfaces?: string[]
}

/** Which part of a leaf's layout fabricctl manages, and what it leaves alone (for `leaf diff`, as information). */
export interface Ownership {
  vnis: Set<number>
  ports: Set<string>
  /** Human lines: what the leaf carries that fabricctl does not manage. */
  unmanaged: string[]
  declared: boolean
}

const inRanges = (rs: readonly [number, number][] | undefined, v: number) =>
  (rs ?? []).some(([a, b]) => v >= a && v <= b)

/** Whether a VNI (with its VLAN, when known) is inside a declared scope. */
export function vniInScope(scope: ManageScope | undefined, vni: number, vlan: number | undefined): boolean {
  if (!scope || (!scope.vnis && !scope.vlans)) return true
  return inRanges(scope.vnis, vni) || (vlan !== undefined && inRanges(scope.vlans, vlan))
}

/**
 * Ownership of a discovered layout. With a declared scope, a VNI is managed when its VNI or VLAN is in
 * range; without one, when its vxlan device carries fabricctl's mark (alias `fabricctl:`). A port is
 * managed when it is a host-facing interface (or declared), and not in a bridge fabricctl does not manage.
 */
export function ownershipOf(
  k: KernelState,
  scope: ManageScope | undefined,
  hostPorts: readonly string[],
  vlanOf: (vni: number) => number | undefined,
  frrVnis: Iterable<number> = [],
): Ownership {
  const declared = Boolean(scope && (scope.vnis || scope.vlans))
  const vnis = new Set<number>()
  const unmanaged: string[] = []
  const seen = new Set<number>()
  for (const vx of Object.values(k.vxlans)) {
    seen.add(vx.id)
    const marked = (vx.alias ?? '').startsWith(MARK)
    const ok = declared ? vniInScope(scope, vx.id, vlanOf(vx.id)) : marked
    if (ok) vnis.add(vx.id)
    else
      unmanaged.push(
        `VNI ${vx.id}: ${vx.name}${vx.master ? ` in bridge ${vx.master}` : ''} (${declared ? 'outside the declared scope' : 'not created by fabricctl'})`,
      )
  }
  for (const v of frrVnis) {
    if (seen.has(v)) continue
    // An FRR `vni` block without a kernel device: fabricctl's only in a declared scope.
    if (declared && vniInScope(scope, v, vlanOf(v))) vnis.add(v)
    else unmanaged.push(`VNI ${v}: FRR \`vni ${v}\` block without a vxlan device (not created by fabricctl)`)
  }
  const managedBridges = new Set(
    Object.values(k.vxlans)
      .filter(v => vnis.has(v.id) && v.master)
      .map(v => v.master!),
  )
  for (const b of Object.values(k.bridges))
    if ((b.alias ?? '').startsWith(MARK) && !declared) managedBridges.add(b.name)
  const ports = new Set<string>()
  const allowed = scope?.interfaces ? new Set(scope.interfaces) : new Set(hostPorts)
  for (const [p, v] of Object.entries(k.ports)) {
    if (allowed.has(p) && (v.master === null || managedBridges.has(v.master))) ports.add(p)
    else if (v.master && !managedBridges.has(v.master))
      unmanaged.push(
        `port ${p} in ${v.master} (${allowed.has(p) ? 'a master device fabricctl does not manage' : 'not a managed interface'})`,
      )
  }
  return {vnis, ports, unmanaged, declared}
}

/** The model view of a native leaf: what its kernel and FRR carry, restricted to what fabricctl manages. */
export function nativeConfigOf(
  kernel: KernelState,
  frrText: string,
  catalog: ReadonlyMap<number, VniCatalogEntry>,
  vniBase: number,
  owned?: Ownership,
): LeafConfig {
  const cfg = emptyLeafConfig()
  const rts = parseFrrVnis(frrText)
  const vnis = new Set<number>([...rts.keys()])
  for (const vx of Object.values(kernel.vxlans)) vnis.add(vx.id)
  const vlanOf = (vni: number) => catalog.get(vni)?.vlan ?? vni - vniBase
  for (const vni of vnis) {
    if (owned && !owned.vnis.has(vni)) continue
    const vx = Object.values(kernel.vxlans).find(v => v.id === vni)
    const br = vx?.master ? kernel.bridges[vx.master] : undefined
    const rt = rts.get(vni)
    const imp = rt ? [...new Set(rt.import)].sort().join(',') : ''
    const exp = rt ? [...new Set(rt.export)].sort().join(',') : ''
    cfg.vnis[String(vni)] = {
      vni,
      vlan: vlanOf(vni),
      network: catalog.get(vni)?.network ?? '',
      vrf: 'default',
      // One route target used both ways is the model; anything else shows as "import X export Y".
      routeTarget: imp === exp ? imp : `import ${imp} export ${exp}`,
      // The gateway is only there when the VNI's vxlan device sits, up, in an up bridge that holds the address.
      gateway: {address: vx?.up && br?.up ? (br.addresses[0] ?? '') : '', mac: br?.mac ?? ''},
    }
  }
  for (const [port, p] of Object.entries(kernel.ports)) {
    if (!p.master) continue
    if (owned && !owned.ports.has(port)) continue
    // The port carries the VNI of the vxlan device in its bridge (bridge membership, not the bridge's name).
    const vx = Object.values(kernel.vxlans).find(v => v.master === p.master)
    if (!vx || (owned && !owned.vnis.has(vx.id))) continue
    cfg.interfaces[port] = {vlans: [vlanOf(vx.id)]}
  }
  return canonicalLeafConfig(cfg)
}

/** A desired state that would need to change what fabricctl does not manage (exit 4, nothing changed). */
export class UnmanagedConflict extends Error {
  constructor(readonly conflicts: string[]) {
    super(conflicts.join('; '))
    this.name = 'UnmanagedConflict'
  }
}

/**
 * What the kernel must hold for `desired` (native profile), on top of the running layout `cur`: a VNI
 * already on the leaf keeps its devices' names; a new one is named by the template and marked. Throws
 * UnmanagedConflict when the desired state needs what fabricctl does not manage, and a plain Error when
 * the profile cannot express it.
 */
export function desiredKernel(
  desired: LeafConfig,
  vtep: string,
  hostPorts: readonly string[],
  cur: KernelState = {bridges: {}, vxlans: {}, ports: {}},
  owned?: Ownership,
  o: {naming?: Naming; scope?: ManageScope} = {},
): KernelState {
  const naming = o.naming ?? DEFAULT_NAMING
  const st: KernelState = {bridges: {}, vxlans: {}, ports: {}}
  const conflicts: string[] = []
  const bridgeOfVni = new Map<number, string>()
  const inUse = new Set(
    cur.names ?? [...Object.keys(cur.bridges), ...Object.keys(cur.vxlans), ...Object.keys(cur.ports)],
  )
  for (const v of Object.values(desired.vnis)) {
    if (!v.gateway.address) throw new Error(`VNI ${v.vni} has no gateway address`)
    if (o.scope && !vniInScope(o.scope, v.vni, v.vlan)) {
      conflicts.push(
        `VNI ${v.vni} (VLAN ${v.vlan}, network ${v.network || '?'}) is outside the scope the context declares for this leaf`,
      )
      continue
    }
    const have = Object.values(cur.vxlans).find(x => x.id === v.vni)
    if (have && owned && !owned.vnis.has(v.vni)) {
      conflicts.push(
        `VNI ${v.vni} exists on the leaf as ${have.name}${have.master ? ` in bridge ${have.master}` : ''}, which fabricctl does not manage`,
      )
      continue
    }
    const vxName = have?.name ?? nameFor(naming.vxlan, v.vni, v.vlan)
    const brName = have?.master ?? nameFor(naming.bridge, v.vni, v.vlan)
    // A name is free, or it is a device fabricctl manages (a managed VNI's vxlan device or bridge, or one it marked).
    const mine = (n: string) =>
      !inUse.has(n) ||
      !owned ||
      (cur.vxlans[n] !== undefined && owned.vnis.has(cur.vxlans[n]!.id)) ||
      (cur.bridges[n] !== undefined && managedBridge(cur, owned, n))
    for (const n of [vxName, brName])
      if (!mine(n))
        conflicts.push(
          `VNI ${v.vni} needs device ${n}, a name the leaf already uses for a device fabricctl does not manage`,
        )
    bridgeOfVni.set(v.vlan, brName)
    st.bridges[brName] = {
      name: brName,
      mac: v.gateway.mac.toLowerCase(),
      addresses: [v.gateway.address],
      up: true,
      ...(cur.bridges[brName] ? {} : {alias: markOf(v.vni)}),
    }
    st.vxlans[vxName] = {
      name: vxName,
      id: v.vni,
      local: vtep,
      dstport: VXLAN_PORT,
      learning: false,
      master: brName,
      up: true,
      ...(have ? {} : {alias: markOf(v.vni)}),
    }
  }
  const managedPorts = owned?.ports ?? new Set(hostPorts)
  for (const p of hostPorts) if (managedPorts.has(p) || !cur.ports[p]) st.ports[p] = {master: null}
  // Ownership first: a port configured by hand is refused as unmanaged (LEAF_UNMANAGED) whatever else is
  // wrong with it; only then does the native layout's one-VLAN-per-port limit apply.
  const tooManyVlans: string[] = []
  for (const [iface, i] of Object.entries(desired.interfaces)) {
    if (owned && cur.ports[iface] && !owned.ports.has(iface)) {
      conflicts.push(
        `interface ${iface} ${cur.ports[iface].master ? `is in ${cur.ports[iface].master}, which fabricctl does not manage` : 'is not an interface the context lets fabricctl manage'}`,
      )
      continue
    }
    if (i.vlans.length > 1) {
      tooManyVlans.push(`interface ${iface} must carry VLANs ${i.vlans.join(',')}`)
      continue
    }
    const br = bridgeOfVni.get(i.vlans[0]!)
    if (br === undefined) {
      if (conflicts.length) continue
      throw new Error(`interface ${iface} carries VLAN ${i.vlans[0]} but no VNI maps that VLAN`)
    }
    st.ports[iface] = {master: br}
  }
  if (conflicts.length) throw new UnmanagedConflict(conflicts)
  if (tooManyVlans.length)
    throw new Error(
      `${tooManyVlans.join('; ')}, but the native profile has untagged host ports (one VLAN per port); the hosts behind it need a leaf with a VLAN-aware bridge`,
    )
  return st
}

/** A bridge fabricctl manages: it holds a managed VNI's vxlan device, or fabricctl created it (and no one else's VNI is in it). */
export function managedBridge(cur: KernelState, owned: Ownership, name: string): boolean {
  const vx = Object.values(cur.vxlans).filter(v => v.master === name)
  if (vx.some(v => !owned.vnis.has(v.id))) return false
  return vx.length > 0 || (!owned.declared && (cur.bridges[name]?.alias ?? '').startsWith(MARK))
}

/** One shell word, single-quoted. */
export const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`

/** Commands that set a device's attributes from `c` (current, or undefined for a new device) to `w`. */
function attrCmds(name: string, c: KDevAttrs | undefined, w: KDevAttrs): string[] {
  const out: string[] = []
  if (w.mac && w.mac !== c?.mac) out.push(`ip link set dev ${name} address ${w.mac}`)
  if (w.mtu !== undefined && w.mtu !== c?.mtu) out.push(`ip link set dev ${name} mtu ${w.mtu}`)
  if (w.alias !== undefined && (w.alias ?? null) !== (c?.alias ?? null))
    out.push(`ip link set dev ${name} alias ${shellQuote(w.alias ?? '')}`)
  if (w.addrgenmode && w.addrgenmode !== c?.addrgenmode)
    out.push(`ip link set dev ${name} addrgenmode ${w.addrgenmode}`)
  if (w.acceptDad !== undefined && w.acceptDad !== null && w.acceptDad !== c?.acceptDad)
    out.push(`sysctl -qw net.ipv6.conf.${name.replaceAll('.', '/')}.accept_dad=${w.acceptDad}`)
  return out
}

/**
 * Commands that turn kernel state `cur` into `want`. Only devices in `want`, and devices of `cur`
 * that `deletable` allows (what fabricctl manages), are touched; every attribute `want` gives is set.
 */
export function planKernel(
  cur: KernelState,
  want: KernelState,
  deletable: (dev: string) => boolean = () => true,
): string[] {
  const cmds: string[] = []
  for (const b of Object.values(want.bridges)) {
    const c = cur.bridges[b.name]
    if (!c) {
      cmds.push(
        `ip link add ${b.name}${b.mac ? ` address ${b.mac}` : ''} type bridge${b.mcastSnooping != null ? ` mcast_snooping ${b.mcastSnooping}` : ''}${b.stpState != null ? ` stp_state ${b.stpState}` : ''}`,
      )
      cmds.push(...attrCmds(b.name, {mac: b.mac}, b))
      for (const a of b.addresses) cmds.push(`ip addr add ${a} dev ${b.name}`)
      if (b.up) cmds.push(`ip link set ${b.name} up`)
      continue
    }
    cmds.push(...attrCmds(b.name, c, b))
    if (b.mcastSnooping != null && b.mcastSnooping !== c.mcastSnooping)
      cmds.push(`ip link set dev ${b.name} type bridge mcast_snooping ${b.mcastSnooping}`)
    if (b.stpState != null && b.stpState !== c.stpState)
      cmds.push(`ip link set dev ${b.name} type bridge stp_state ${b.stpState}`)
    for (const a of c.addresses) if (!b.addresses.includes(a)) cmds.push(`ip addr del ${a} dev ${b.name}`)
    for (const a of b.addresses) if (!c.addresses.includes(a)) cmds.push(`ip addr add ${a} dev ${b.name}`)
    if (b.up !== c.up) cmds.push(`ip link set ${b.name} ${b.up ? 'up' : 'down'}`)
  }
  const portAttrs = (v: KVxlan, c: KVxlan | undefined) => {
    const parts: string[] = []
    if (v.portLearning != null && v.portLearning !== c?.portLearning)
      parts.push(`learning ${v.portLearning ? 'on' : 'off'}`)
    if (v.neighSuppress != null && v.neighSuppress !== c?.neighSuppress)
      parts.push(`neigh_suppress ${v.neighSuppress ? 'on' : 'off'}`)
    if (parts.length) cmds.push(`bridge link set dev ${v.name} ${parts.join(' ')}`)
  }
  const vxAdd = (v: KVxlan) => {
    cmds.push(
      `ip link add ${v.name}${v.mac ? ` address ${v.mac}` : ''} type vxlan id ${v.id}${v.local ? ` local ${v.local}` : ''} dstport ${v.dstport}${v.learning ? '' : ' nolearning'}`,
    )
    cmds.push(...attrCmds(v.name, {mac: v.mac}, v))
    if (v.master) cmds.push(`ip link set ${v.name} master ${v.master}`)
    if (v.master) portAttrs(v, undefined)
    if (v.up) cmds.push(`ip link set ${v.name} up`)
  }
  for (const v of Object.values(want.vxlans)) {
    const c = cur.vxlans[v.name]
    if (!c) {
      vxAdd(v)
      continue
    }
    if (c.id !== v.id || c.local !== v.local || c.dstport !== v.dstport || c.learning !== v.learning) {
      cmds.push(`ip link del ${v.name}`)
      vxAdd(v)
      continue
    }
    cmds.push(...attrCmds(v.name, c, v))
    if (c.master !== v.master)
      cmds.push(v.master ? `ip link set ${v.name} master ${v.master}` : `ip link set ${v.name} nomaster`)
    if (v.master) portAttrs(v, c.master === v.master ? c : undefined)
    if (c.up !== v.up) cmds.push(`ip link set ${v.name} ${v.up ? 'up' : 'down'}`)
  }
  for (const [p, w] of Object.entries(want.ports)) {
    const c = cur.ports[p]
    if (!c || c.master === w.master) continue
    cmds.push(w.master ? `ip link set ${p} master ${w.master}` : `ip link set ${p} nomaster`)
    if (w.master) cmds.push(`ip link set ${p} up`)
  }
  for (const v of Object.values(cur.vxlans))
    if (!want.vxlans[v.name] && deletable(v.name)) cmds.push(`ip link del ${v.name}`)
  for (const b of Object.values(cur.bridges))
    if (!want.bridges[b.name] && deletable(b.name)) cmds.push(`ip link del ${b.name}`)
  return cmds
}

/** `show running-config` → the text of a config file (without vtysh's header and trailing `end`). */
export function runningToFile(running: string): string {
  const lines = running.replace(/\r/g, '').split('\n')
  let i = 0
  while (
    i < lines.length &&
    (lines[i] === '' || lines[i] === 'Building configuration...' || lines[i] === 'Current configuration:')
  )
    i++
  let j = lines.length
  while (j > i && (lines[j - 1] === '' || lines[j - 1] === 'end')) j--
  return `${lines.slice(i, j).join('\n')}\n`
}

/**
 * The candidate FRR configuration: the leaf's running configuration with the managed part — the
 * `vni` blocks under the default instance's `address-family l2vpn evpn` — replaced by the desired
 * ones. Everything else (underlay, neighbours, router-id) is the leaf's own and is kept as it runs.
 */
export function spliceFrr(
  running: string,
  desired: LeafConfig,
  managed: (vni: number) => boolean = () => true,
): string {
  const lines = runningToFile(running).replace(/\n$/, '').split('\n')
  const bgp = lines.findIndex(l => /^router bgp \d+\s*$/.test(l))
  if (bgp < 0)
    throw new Error(
      'the leaf runs no `router bgp ASN` (default VRF); the underlay and EVPN base configuration are not managed by fabricctl',
    )
  let end = bgp + 1
  while (end < lines.length && !/^(exit|\S)/.test(lines[end]!)) end++
  const af = lines.slice(bgp, end).findIndex(l => /^ address-family l2vpn evpn\s*$/.test(l))
  if (af < 0)
    throw new Error(
      '`router bgp` on the leaf has no `address-family l2vpn evpn`; configure the EVPN peering (base configuration) first',
    )
  const afStart = bgp + af
  let afEnd = afStart + 1
  while (afEnd < end && !/^ exit-address-family\s*$/.test(lines[afEnd]!)) afEnd++
  const body: string[] = []
  let skipping = false
  for (const l of lines.slice(afStart + 1, afEnd)) {
    const vniLine = /^ {2}vni (\d+)\s*$/.exec(l)
    // A `vni` block fabricctl does not manage stays as it runs.
    if (vniLine && managed(Number(vniLine[1]))) {
      skipping = true
      continue
    }
    if (skipping) {
      if (/^ {2}exit-vni\s*$/.test(l)) skipping = false
      continue
    }
    body.push(l)
  }
  if (!body.some(l => /^ {2}advertise-all-vni\s*$/.test(l))) body.push('  advertise-all-vni')
  for (const v of Object.values(canonicalLeafConfig(desired).vnis)) {
    body.push(
      `  vni ${v.vni}`,
      `   route-target import ${v.routeTarget}`,
      `   route-target export ${v.routeTarget}`,
      '  exit-vni',
    )
  }
  return `${[...lines.slice(0, afStart + 1), ...body, ...lines.slice(afEnd)].join('\n')}\n`
}
