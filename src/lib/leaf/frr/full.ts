import {type LeafConfig, emptyLeafConfig} from '../../model/types.js'
import {canonicalLeafConfig} from '../desired.js'
import {
  MARK,
  UnmanagedConflict,
  VXLAN_PORT,
  type VniCatalogEntry,
  parseFrrVnis,
  runningToFile,
  shellQuote,
  spliceFrr,
  markOf,
  nameFor,
  vxlanName,
} from './native.js'

/**
 * The "full" leaf profile, for a kernel with VRF, 802.1Q and VLAN-aware bridges (the reference is
 * test/lab/full/render.mjs, proven with pings across leaves and routed across networks):
 * one VLAN-aware bridge `br0` (MAC = the leaf's router MAC), a VXLAN device per L2 VNI and per
 * tenant L3 VNI (each the untagged PVID of its VLAN on br0), an anycast-gateway SVI `vlan<VLAN>`
 * per L2 VNI in the tenant VRF, an L3 SVI `vlan<L3VLAN>` per VRF (symmetric IRB), and host ports
 * in br0 carrying the hosts' VLANs 802.1Q-tagged. FRR carries `vrf X / vni L3VNI`, the per-VNI
 * route targets under the default instance, and `router bgp ASN vrf X` per tenant VRF.
 */

export const BRIDGE = 'br0'
export const sviName = (vlan: number) => `vlan${vlan}`
/** Sysctls a full-profile leaf needs (forwarding; arp_accept so the leaf that did not ask learns the host: symmetric IRB). */
export const FULL_SYSCTLS: Record<string, string> = {
  'net.ipv4.ip_forward': '1',
  'net.ipv4.conf.all.arp_accept': '1',
  'net.ipv4.conf.default.arp_accept': '1',
}

/** A tenant VRF as the context's `overlay.tenants` declares it. */
export interface FullTenant {
  tag: string
  vrf: string
  table: number
  l3Vni: number
  l3Vlan: number
}

export interface FVrf {
  name: string
  table: number
  up: boolean
  /** Something fabricctl does not manage is in it (a hand-made SVI): the VRF and its FRR blocks are kept. */
  held?: boolean
}
export interface FVxlan {
  name: string
  id: number
  local: string | null
  dstport: number
  learning: boolean
  bridgeLearning: boolean
  master: string | null
  up: boolean
  pvid: number | null
  /** Its ifalias, when it has one: `fabricctl: vni N` marks a device fabricctl created (set only on creation). */
  alias?: string | null
}
export interface FSvi {
  name: string
  vlan: number
  mac: string
  master: string | null
  addresses: string[]
  up: boolean
  fdbLocal: boolean
}
/** The kernel devices fabricctl manages on a full-profile leaf. */
export interface FullKernel {
  bridge: {exists: boolean; mac: string; vlanFiltering: boolean; up: boolean; vlans: number[]}
  vrfs: Record<string, FVrf>
  vxlans: Record<string, FVxlan>
  svis: Record<string, FSvi>
  /**
   * Host ports: `vlans` the managed VLANs they carry tagged; `kept` the VLANs of configuration fabricctl does
   * not manage (a hand-made VNI's VLAN on the same port), never added or removed by fabricctl.
   */
  ports: Record<string, {master: string | null; vlans: number[]; kept?: number[]}>
  sysctls: Record<string, string>
  /**
   * What the leaf carries that fabricctl does not manage (information, never changed): VXLAN devices of VNIs
   * outside the context's `manage` scope, br0 members that are not managed host ports, and the br0 VLANs only
   * those use (left out of `bridge.vlans`, with their SVIs). Absent when there is none.
   */
  unmanaged?: string[]
  foreignVlans?: number[]
  /** VNIs on the leaf (VXLAN devices, FRR-only `vni` blocks) that fabricctl does not manage. */
  unmanagedVnis?: number[]
}

/** Which part of a full-profile leaf fabricctl manages (the context's `manage` scope; see docs/contexts.md). */
export interface FullScope {
  /**
   * Whether a VNI on the leaf is fabricctl's (its VXLAN device, SVI, br0 VLAN and FRR `vni` block); `vlan`:
   * its PVID on br0, when known; `alias`: its VXLAN device's ifalias (null: none).
   */
  vni: (vni: number, vlan: number | null, alias: string | null) => boolean
  /** Why a VNI it refuses is not fabricctl's (the unmanaged list's wording). */
  why?: string
  /** br0 members fabricctl may manage (default: the host ports of the inventory). */
  interfaces?: readonly string[]
}

interface IpLink {
  ifname: string
  address?: string
  ifalias?: string
  flags?: string[]
  master?: string
  link?: string
  linkinfo?: {
    info_kind?: string
    info_data?: {
      id?: number
      local?: string
      port?: number
      learning?: boolean
      table?: number
      vlan_filtering?: number
    }
    info_slave_data?: {learning?: boolean}
  }
  addr_info?: {family: string; local: string; prefixlen: number}[]
}
interface BVlan {
  ifname: string
  vlans?: {vlan: number; vlanEnd?: number; flags?: string[]}[]
}
interface Fdb {
  mac: string
  vlan?: number
  master?: string
  flags?: string[]
}

/** The device of a VNI / the SVI of a VLAN, found by what it is (VXLAN id, 802.1Q id), whatever its name. */
export const vxlanOf = (k: Pick<FullKernel, 'vxlans'>, vni: number) => Object.values(k.vxlans).find(v => v.id === vni)
export const sviOf = (k: Pick<FullKernel, 'svis'>, vlan: number) => Object.values(k.svis).find(s => s.vlan === vlan)
const num = (a: number, b: number) => a - b

/** From `ip -j -d addr show`, `bridge -j vlan show`, `bridge -j fdb show dev br0` and `sysctl` lines. */
export function parseFullKernel(
  links: IpLink[],
  bvlans: BVlan[],
  fdb: Fdb[],
  sysctlText: string,
  hostPorts: readonly string[],
  scope?: FullScope,
): FullKernel {
  const vlansOf = (ifname: string) => {
    const out: {vlan: number; flags: string[]}[] = []
    for (const v of bvlans.find(b => b.ifname === ifname)?.vlans ?? [])
      for (let i = v.vlan; i <= (v.vlanEnd ?? v.vlan); i++) out.push({vlan: i, flags: v.flags ?? []})
    return out
  }
  const st: FullKernel = {
    bridge: {exists: false, mac: '', vlanFiltering: false, up: false, vlans: []},
    vrfs: {},
    vxlans: {},
    svis: {},
    ports: {},
    sysctls: {},
  }
  const byName = new Map(links.map(l => [l.ifname, l]))
  const br = byName.get(BRIDGE)
  if (br && br.linkinfo?.info_kind === 'bridge') {
    st.bridge = {
      exists: true,
      mac: (br.address ?? '').toLowerCase(),
      vlanFiltering: br.linkinfo.info_data?.vlan_filtering === 1,
      up: (br.flags ?? []).includes('UP'),
      vlans: vlansOf(BRIDGE)
        .map(v => v.vlan)
        .sort(num),
    }
  }
  const unmanaged: string[] = []
  const unmanagedVnis = new Set<number>()
  const foreign = new Set<number>() // br0 VLANs used by what fabricctl does not manage
  const managedVlans = new Set<number>() // the PVIDs of the managed VXLAN devices: never foreign
  for (const l of links) {
    const kind = l.linkinfo?.info_kind
    const up = (l.flags ?? []).includes('UP')
    if (kind === 'vrf') st.vrfs[l.ifname] = {name: l.ifname, table: l.linkinfo?.info_data?.table ?? 0, up}
    else if (kind === 'vxlan') {
      const d = l.linkinfo?.info_data ?? {}
      const pvid =
        vlansOf(l.ifname).find(v => v.flags.includes('PVID') && v.flags.includes('Egress Untagged'))?.vlan ?? null
      // the layout from the device (its VNI), never from its name
      if (scope && !scope.vni(d.id ?? 0, pvid, l.ifalias ?? null)) {
        unmanaged.push(
          `VNI ${d.id ?? 0}: ${l.ifname}${l.master ? ` in bridge ${l.master}` : ''}${pvid !== null ? ` (VLAN ${pvid})` : ''} (${scope.why ?? 'outside the declared scope'})`,
        )
        unmanagedVnis.add(d.id ?? 0)
        if (l.master === BRIDGE) for (const v of vlansOf(l.ifname)) foreign.add(v.vlan)
        continue
      }
      if (pvid !== null) managedVlans.add(pvid)
      st.vxlans[l.ifname] = {
        name: l.ifname,
        id: d.id ?? 0,
        local: d.local ?? null,
        dstport: d.port ?? 0,
        learning: d.learning ?? true,
        bridgeLearning: l.linkinfo?.info_slave_data?.learning ?? true,
        master: l.master ?? null,
        up,
        pvid,
        ...(l.ifalias ? {alias: l.ifalias} : {}),
      }
    } else if (kind === 'vlan' && l.link === BRIDGE && l.linkinfo?.info_data?.id !== undefined) {
      const vlan = l.linkinfo.info_data.id
      const mac = (l.address ?? '').toLowerCase()
      const addresses = (l.addr_info ?? [])
        .filter(a => a.family === 'inet')
        .map(a => `${a.local}/${a.prefixlen}`)
        .sort()
      const fdbLocal = fdb.some(f => f.mac.toLowerCase() === mac && f.vlan === vlan && f.master === BRIDGE)
      st.svis[l.ifname] = {name: l.ifname, vlan, mac, master: l.master ?? null, addresses, up, fdbLocal}
    }
  }
  const allowed = new Set(scope?.interfaces ?? hostPorts)
  const ports = new Set(hostPorts.filter(p => byName.has(p)))
  for (const l of links)
    if (l.master === BRIDGE && l.linkinfo?.info_kind !== 'vxlan') {
      if (!scope || allowed.has(l.ifname)) ports.add(l.ifname)
      else {
        unmanaged.push(`port ${l.ifname} in bridge ${BRIDGE} (not a managed interface)`)
        for (const v of vlansOf(l.ifname)) foreign.add(v.vlan)
      }
    }
  if (scope) for (const p of [...ports]) if (!allowed.has(p)) ports.delete(p)
  // A VLAN that only unmanaged devices use is theirs: kept on the host ports that carry it too.
  for (const v of managedVlans) foreign.delete(v)
  for (const p of [...ports].sort()) {
    // the real master: a host port in another bridge, a bond or a VRF is not free (never moved, see desiredFullKernel)
    const master = byName.get(p)?.master ?? null
    const tagged =
      master === BRIDGE
        ? vlansOf(p)
            .filter(v => !v.flags.includes('Egress Untagged'))
            .map(v => v.vlan)
            .sort(num)
        : []
    const kept = tagged.filter(v => foreign.has(v))
    st.ports[p] = {master, vlans: tagged.filter(v => !foreign.has(v)), ...(kept.length ? {kept} : {})}
  }
  for (const line of sysctlText.split('\n')) {
    const m = /^(\S+)\s*=\s*(\S+)\s*$/.exec(line)
    if (m && FULL_SYSCTLS[m[1]!] !== undefined) st.sysctls[m[1]!] = m[2]!
  }
  // ... out of br0's managed VLANs, its SVI left alone.
  if (foreign.size) {
    st.bridge.vlans = st.bridge.vlans.filter(v => !foreign.has(v))
    for (const svi of Object.values(st.svis))
      if (foreign.has(svi.vlan)) {
        delete st.svis[svi.name]
        unmanaged.push(`SVI ${svi.name} (VLAN ${svi.vlan}, not fabricctl's)`)
      }
    st.foreignVlans = [...foreign].sort(num)
  }
  const ours = new Set([...Object.keys(st.svis), ...Object.keys(st.vxlans)])
  for (const l of links)
    if (l.master && st.vrfs[l.master] && !ours.has(l.ifname) && l.linkinfo?.info_kind !== 'vrf') {
      st.vrfs[l.master]!.held = true
      unmanaged.push(`VRF ${l.master}: holds ${l.ifname}, which fabricctl does not manage (the VRF is kept)`)
    }
  if (unmanaged.length) st.unmanaged = unmanaged
  if (unmanagedVnis.size) st.unmanagedVnis = [...unmanagedVnis].sort(num)
  return st
}

/** FRR's tenant VRFs: `vrf X` / ` vni N`, and `router bgp ASN vrf X` with its EVPN part. */
export function parseFrrTenants(text: string): {
  vrfVni: Map<string, number>
  bgpVrf: Map<string, {advertise: boolean; redistribute: boolean; rtImport: string[]; rtExport: string[]}>
} {
  const vrfVni = new Map<string, number>()
  const bgpVrf = new Map<string, {advertise: boolean; redistribute: boolean; rtImport: string[]; rtExport: string[]}>()
  let vrf: string | undefined
  let bgp: {advertise: boolean; redistribute: boolean; rtImport: string[]; rtExport: string[]} | undefined
  for (const line of text.replace(/\r/g, '').split('\n')) {
    let m
    if ((m = /^vrf (\S+)\s*$/.exec(line))) {
      vrf = m[1]
      bgp = undefined
      continue
    }
    if ((m = /^router bgp \d+ vrf (\S+)\s*$/.exec(line))) {
      bgp = {advertise: false, redistribute: false, rtImport: [], rtExport: []}
      bgpVrf.set(m[1]!, bgp)
      vrf = undefined
      continue
    }
    if (/^\S/.test(line)) {
      vrf = undefined
      bgp = undefined
      continue
    }
    if (vrf && (m = /^ vni (\d+)/.exec(line))) vrfVni.set(vrf, Number(m[1]))
    if (bgp) {
      if (/^ {2}advertise ipv4 unicast\s*$/.test(line)) bgp.advertise = true
      if (/^ {2}redistribute connected\s*$/.test(line)) bgp.redistribute = true
      if ((m = /^ {2}route-target (import|export|both) (.+?)\s*$/.exec(line))) {
        for (const v of m[2]!.split(/\s+/)) {
          if (m[1] !== 'export') bgp.rtImport.push(v)
          if (m[1] !== 'import') bgp.rtExport.push(v)
        }
      }
    }
  }
  return {vrfVni, bgpVrf}
}

/**
 * The model view of a full-profile leaf. A VRF counts with its L3 VNI only when the whole chain is
 * there (kernel VRF, L3 VXLAN as PVID of its VLAN in br0, the L3 SVI in the VRF, FRR's `vrf/vni`
 * and the BGP VRF instance advertising with route target rtAsn:L3VNI); otherwise it reads as L3 VNI 0.
 */
export function fullConfigOf(
  k: FullKernel,
  frrText: string,
  catalog: ReadonlyMap<number, VniCatalogEntry>,
  vniBase: number,
  tenants: readonly FullTenant[],
  rtAsn: number,
  managedVni: (vni: number) => boolean = () => true,
): LeafConfig {
  const cfg = emptyLeafConfig()
  const rts = parseFrrVnis(frrText)
  const {vrfVni, bgpVrf} = parseFrrTenants(frrText)
  const l3Vnis = new Set<number>([...vrfVni.values(), ...tenants.map(t => t.l3Vni)])
  const vxById = (id: number) => vxlanOf(k, id)
  const inBridge = (vx: FVxlan | undefined) =>
    !!vx && vx.master === BRIDGE && vx.up && vx.pvid !== null && k.bridge.up && k.bridge.vlans.includes(vx.pvid)
  const names = new Set<string>([...vrfVni.keys(), ...tenants.map(t => t.vrf).filter(v => k.vrfs[v] || bgpVrf.has(v))])
  for (const name of names) {
    const l3 = vrfVni.get(name)
    const vx = l3 === undefined ? undefined : vxById(l3)
    const svi = vx?.pvid ? sviOf(k, vx.pvid) : undefined
    const b = bgpVrf.get(name)
    const rt = `${rtAsn}:${l3}`
    const ok =
      l3 !== undefined &&
      k.vrfs[name]?.up === true &&
      inBridge(vx) &&
      svi?.master === name &&
      svi.up &&
      !!b &&
      b.advertise &&
      b.redistribute &&
      b.rtImport.includes(rt) &&
      b.rtExport.includes(rt)
    if (!ok && k.vrfs[name]?.held) continue // someone else's VRF (hand-made devices in it): not in the model
    cfg.vrfs[name] = {l3Vni: ok ? l3! : 0}
  }
  const vnis = new Set<number>([...rts.keys()])
  for (const vx of Object.values(k.vxlans)) vnis.add(vx.id)
  for (const vni of vnis) {
    if (l3Vnis.has(vni) || !managedVni(vni)) continue
    const vx = vxById(vni)
    const vlan = vx?.pvid ?? catalog.get(vni)?.vlan ?? vni - vniBase
    const svi = sviOf(k, vlan)
    const rt = rts.get(vni)
    const imp = rt ? [...new Set(rt.import)].sort().join(',') : ''
    const exp = rt ? [...new Set(rt.export)].sort().join(',') : ''
    cfg.vnis[String(vni)] = {
      vni,
      vlan,
      network: catalog.get(vni)?.network ?? '',
      vrf: svi ? (svi.master ?? 'default') : '',
      routeTarget: imp === exp ? imp : `import ${imp} export ${exp}`,
      // The gateway is there only when vxlan<VNI> is the up PVID of its VLAN in br0 and the SVI is up,
      // with its MAC local to the bridge in that VLAN (else frames to the gateway are flooded).
      gateway: {address: inBridge(vx) && svi?.up && svi.fdbLocal ? (svi.addresses[0] ?? '') : '', mac: svi?.mac ?? ''},
    }
  }
  for (const [port, p] of Object.entries(k.ports))
    if (p.master === BRIDGE && p.vlans.length > 0) cfg.interfaces[port] = {vlans: [...p.vlans]}
  return canonicalLeafConfig(cfg)
}

/** A router MAC for a br0 that fabricctl has to create: locally administered, from the VTEP address. */
export function routerMacFor(vtep: string): string {
  const o = vtep.split('.').map(Number)
  return ['02', 'fa', ...o.map(n => n.toString(16).padStart(2, '0'))].join(':')
}

/** What the kernel must hold for `desired` (full profile). `cur` supplies the router MAC of an existing br0. Throws a message when it cannot be expressed. */
export function desiredFullKernel(
  desired: LeafConfig,
  vtep: string,
  hostPorts: readonly string[],
  tenants: readonly FullTenant[],
  cur: FullKernel,
  vxlanTemplate?: string,
): FullKernel {
  const routerMac = cur.bridge.exists && cur.bridge.mac ? cur.bridge.mac : routerMacFor(vtep)
  const st: FullKernel = {
    bridge: {exists: true, mac: routerMac, vlanFiltering: true, up: true, vlans: []},
    vrfs: {},
    vxlans: {},
    svis: {},
    ports: {},
    sysctls: {...FULL_SYSCTLS},
  }
  const vlans = new Set<number>()
  const vx = (id: number, vlan: number) => {
    if (vlans.has(vlan)) throw new Error(`VLAN ${vlan} is used twice on the bridge (VNI ${id})`)
    if (cur.foreignVlans?.includes(vlan))
      throw new UnmanagedConflict([
        `VLAN ${vlan} of VNI ${id} is used on ${BRIDGE} by configuration fabricctl does not manage`,
      ])
    vlans.add(vlan)
    // an existing device keeps its name; a new one is named by the context's template (default vxlan<VNI>)
    const had = vxlanOf(cur, id)
    const name = had?.name ?? (vxlanTemplate ? nameFor(vxlanTemplate, id, vlan) : vxlanName(id))
    st.vxlans[name] = {
      name,
      id,
      local: vtep,
      dstport: VXLAN_PORT,
      learning: false,
      bridgeLearning: false,
      master: BRIDGE,
      up: true,
      pvid: vlan,
      // a device fabricctl creates carries its mark; an existing one keeps its alias (or none)
      ...(had ? (had.alias ? {alias: had.alias} : {}) : {alias: markOf(id)}),
    }
  }
  for (const [name, v] of Object.entries(desired.vrfs)) {
    const t = tenants.find(x => x.vrf === name)
    if (!t) throw new Error(`VRF ${name} is not declared in the context's overlay.tenants (table, L3 VNI, L3 VLAN)`)
    if (t.l3Vni !== v.l3Vni)
      throw new Error(`VRF ${name} must carry L3 VNI ${v.l3Vni}, but overlay.tenants says ${t.l3Vni}`)
    st.vrfs[name] = {name, table: t.table, up: true}
    vx(t.l3Vni, t.l3Vlan)
    const name3 = sviOf(cur, t.l3Vlan)?.name ?? sviName(t.l3Vlan)
    st.svis[name3] = {
      name: name3,
      vlan: t.l3Vlan,
      mac: routerMac,
      master: name,
      addresses: [],
      up: true,
      fdbLocal: true,
    }
  }
  for (const v of Object.values(desired.vnis)) {
    if (!v.gateway.address) throw new Error(`VNI ${v.vni} has no gateway address`)
    if (v.vrf !== 'default' && !desired.vrfs[v.vrf])
      throw new Error(`VNI ${v.vni} is in VRF ${v.vrf}, which the desired state does not carry`)
    vx(v.vni, v.vlan)
    const name2 = sviOf(cur, v.vlan)?.name ?? sviName(v.vlan)
    st.svis[name2] = {
      name: name2,
      vlan: v.vlan,
      mac: v.gateway.mac.toLowerCase(),
      master: v.vrf === 'default' ? null : v.vrf,
      addresses: [v.gateway.address],
      up: true,
      fdbLocal: true,
    }
  }
  st.bridge.vlans = [...vlans].sort(num)
  if (!cur.bridge.exists && vlans.size === 0) st.bridge = {...cur.bridge}
  // a VRF that holds someone else's devices stays as it is
  for (const v of Object.values(cur.vrfs)) if (v.held && !st.vrfs[v.name]) st.vrfs[v.name] = {...v}
  // A host port enslaved to something other than br0 is someone else's: kept as it is, and refused when needed.
  const foreignMaster = (p: string) => {
    const m = cur.ports[p]?.master
    return m && m !== BRIDGE ? m : null
  }
  // A host port that carries VLANs of unmanaged configuration stays in br0 with them (`kept`).
  const kept = (p: string) => (cur.ports[p]?.kept?.length ? {kept: [...cur.ports[p]!.kept!]} : undefined)
  for (const p of hostPorts)
    st.ports[p] = foreignMaster(p)
      ? structuredClone(cur.ports[p]!)
      : kept(p)
        ? {master: BRIDGE, vlans: [], ...kept(p)}
        : {master: null, vlans: []}
  const l2 = new Set(Object.values(desired.vnis).map(v => v.vlan))
  const conflicts: string[] = []
  for (const [iface, i] of Object.entries(desired.interfaces)) {
    const theirs = foreignMaster(iface)
    if (theirs) {
      conflicts.push(`interface ${iface} is in ${theirs}, which fabricctl does not manage`)
      continue
    }
    const stray = i.vlans.filter(v => !l2.has(v))
    if (stray.length) throw new Error(`interface ${iface} carries VLAN ${stray.join(',')} but no VNI maps that VLAN`)
    st.ports[iface] = {master: BRIDGE, vlans: [...i.vlans].sort(num), ...kept(iface)}
  }
  if (conflicts.length) throw new UnmanagedConflict(conflicts)
  return st
}

/** Commands (ip / bridge / sysctl) that turn kernel state `cur` into `want`; only managed devices are touched. */
export function planFull(cur: FullKernel, want: FullKernel, managedVrfs: readonly string[]): string[] {
  const cmds: string[] = []
  for (const [k, v] of Object.entries(want.sysctls)) if (cur.sysctls[k] !== v) cmds.push(`sysctl -qw ${k}=${v}`)
  for (const v of Object.values(want.vrfs)) {
    const c = cur.vrfs[v.name]
    if (c && c.table !== v.table) cmds.push(`ip link del ${v.name}`)
    if (!c || c.table !== v.table)
      cmds.push(`ip link add ${v.name} type vrf table ${v.table}`, `ip link set ${v.name} up`)
    else if (!c.up) cmds.push(`ip link set ${v.name} up`)
  }
  const wb = want.bridge
  const brMac = wb.exists ? wb.mac : cur.bridge.mac
  if (wb.exists && !cur.bridge.exists) {
    cmds.push(`ip link add ${BRIDGE} type bridge vlan_filtering 1 vlan_default_pvid 0 mcast_snooping 0`)
    if (wb.mac) cmds.push(`ip link set ${BRIDGE} address ${wb.mac}`)
    cmds.push(`ip link set ${BRIDGE} up`)
  } else if (wb.exists) {
    if (!cur.bridge.vlanFiltering) cmds.push(`ip link set ${BRIDGE} type bridge vlan_filtering 1`)
    if (wb.mac && cur.bridge.mac !== wb.mac) cmds.push(`ip link set ${BRIDGE} address ${wb.mac}`)
    if (!cur.bridge.up) cmds.push(`ip link set ${BRIDGE} up`)
  }
  const selfVlans = new Set(cur.bridge.exists ? cur.bridge.vlans : [])
  const addSelf = (vlan: number) => {
    if (selfVlans.has(vlan)) return
    cmds.push(`bridge vlan add dev ${BRIDGE} vid ${vlan} self`)
    selfVlans.add(vlan)
  }
  const vxAdd = (v: FVxlan) => {
    cmds.push(
      `ip link add ${v.name} type vxlan id ${v.id}${v.local ? ` local ${v.local}` : ''} dstport ${v.dstport}${v.learning ? '' : ' nolearning'}`,
      ...(v.alias ? [`ip link set dev ${v.name} alias ${shellQuote(v.alias)}`] : []),
      `ip link set ${v.name} master ${BRIDGE} addrgenmode none`,
      `bridge link set dev ${v.name} learning ${v.bridgeLearning ? 'on' : 'off'}`,
    )
    if (v.pvid !== null) cmds.push(`bridge vlan add dev ${v.name} vid ${v.pvid} pvid untagged`)
    if (v.pvid !== null) addSelf(v.pvid)
    if (v.up) cmds.push(`ip link set ${v.name} up`)
  }
  for (const v of Object.values(want.vxlans)) {
    const c = cur.vxlans[v.name]
    if (
      !c ||
      c.id !== v.id ||
      c.local !== v.local ||
      c.dstport !== v.dstport ||
      c.learning !== v.learning ||
      c.master !== v.master
    ) {
      if (c) cmds.push(`ip link del ${v.name}`)
      vxAdd(v)
      continue
    }
    if (c.bridgeLearning !== v.bridgeLearning)
      cmds.push(`bridge link set dev ${v.name} learning ${v.bridgeLearning ? 'on' : 'off'}`)
    if (c.pvid !== v.pvid) {
      if (c.pvid !== null) cmds.push(`bridge vlan del dev ${v.name} vid ${c.pvid}`)
      if (v.pvid !== null) cmds.push(`bridge vlan add dev ${v.name} vid ${v.pvid} pvid untagged`)
    }
    if (v.pvid !== null) addSelf(v.pvid)
    if (c.up !== v.up) cmds.push(`ip link set ${v.name} ${v.up ? 'up' : 'down'}`)
  }
  for (const vlan of wb.exists ? wb.vlans : []) addSelf(vlan)
  const fdbAdd = (s: FSvi) => cmds.push(`bridge fdb add ${s.mac} dev ${BRIDGE} vlan ${s.vlan} self local`)
  for (const s of Object.values(want.svis)) {
    let c: FSvi | undefined = cur.svis[s.name]
    if (c && c.vlan !== s.vlan) {
      cmds.push(`ip link del ${s.name}`)
      c = undefined
    }
    if (!c) {
      cmds.push(`ip link add link ${BRIDGE} name ${s.name} type vlan id ${s.vlan}`)
      if (s.mac && s.mac !== brMac) cmds.push(`ip link set ${s.name} address ${s.mac}`)
      if (s.fdbLocal && s.mac && s.mac !== brMac) fdbAdd(s)
      if (s.master) cmds.push(`ip link set ${s.name} master ${s.master}`)
      for (const a of s.addresses) cmds.push(`ip addr add ${a} dev ${s.name}`)
      if (s.up) cmds.push(`ip link set ${s.name} up`)
      continue
    }
    if (s.mac && c.mac !== s.mac) cmds.push(`ip link set ${s.name} address ${s.mac}`)
    if (s.fdbLocal && !(c.fdbLocal && c.mac === s.mac) && s.mac && s.mac !== brMac) fdbAdd(s)
    if (c.master !== s.master)
      cmds.push(s.master ? `ip link set ${s.name} master ${s.master}` : `ip link set ${s.name} nomaster`)
    for (const a of c.addresses)
      if (!s.addresses.includes(a) || c.master !== s.master) cmds.push(`ip addr del ${a} dev ${s.name}`)
    for (const a of s.addresses)
      if (!c.addresses.includes(a) || c.master !== s.master) cmds.push(`ip addr add ${a} dev ${s.name}`)
    if (c.up !== s.up || c.master !== s.master) cmds.push(`ip link set ${s.name} ${s.up ? 'up' : 'down'}`)
  }
  for (const [p, w] of Object.entries(want.ports)) {
    const c = cur.ports[p]
    if (!c) continue
    if (c.master !== w.master) cmds.push(w.master ? `ip link set ${p} master ${w.master}` : `ip link set ${p} nomaster`)
    if (w.master) {
      const have = c.master === w.master ? c.vlans : []
      for (const v of w.vlans) if (!have.includes(v)) cmds.push(`bridge vlan add dev ${p} vid ${v}`)
      for (const v of have) if (!w.vlans.includes(v)) cmds.push(`bridge vlan del dev ${p} vid ${v}`)
      if (c.master !== w.master) cmds.push(`ip link set ${p} up`)
    }
  }
  for (const s of Object.values(cur.svis)) {
    if (want.svis[s.name]) continue
    cmds.push(`ip link del ${s.name}`)
    if (s.fdbLocal && s.mac && s.mac !== cur.bridge.mac)
      cmds.push(`bridge fdb del ${s.mac} dev ${BRIDGE} vlan ${s.vlan} self`)
  }
  for (const v of Object.values(cur.vxlans)) if (!want.vxlans[v.name]) cmds.push(`ip link del ${v.name}`)
  if (cur.bridge.exists && wb.exists)
    for (const vlan of cur.bridge.vlans)
      if (!wb.vlans.includes(vlan)) cmds.push(`bridge vlan del dev ${BRIDGE} vid ${vlan} self`)
  for (const v of Object.values(cur.vrfs))
    if (!want.vrfs[v.name] && !v.held && managedVrfs.includes(v.name)) cmds.push(`ip link del ${v.name}`)
  if (cur.bridge.exists && !wb.exists) cmds.push(`ip link del ${BRIDGE}`)
  return cmds
}

/**
 * Which VNIs of a full-profile leaf fabricctl manages. Declared (`manage` with VNI or VLAN ranges): those in
 * range. Nothing declared: only what fabricctl created, i.e. whose VXLAN device carries its mark
 * (`fabricctl: vni N`); a hand-made device is never changed or removed.
 */
export function fullScopeOf(
  declared: boolean,
  inScope: (vni: number, vlan: number | null) => boolean,
  interfaces?: readonly string[],
): FullScope {
  return declared
    ? {vni: (vni, vlan) => inScope(vni, vlan), interfaces}
    : {vni: (_vni, _vlan, alias) => (alias ?? '').startsWith(MARK), why: 'not created by fabricctl', interfaces}
}

/** Index of the line ending a top-level block that starts at `start` (`exit`/`exit-vrf`, or the next top-level line). */
function blockEnd(lines: string[], start: number): number {
  let i = start + 1
  while (i < lines.length && !/^\S/.test(lines[i]!)) i++
  return i < lines.length && /^exit(-vrf)?\s*$/.test(lines[i]!) ? i : i - 1
}

/**
 * The candidate FRR configuration of a full-profile leaf: the native splice (per-VNI route targets
 * under the default instance), then the tenant VRFs' `vrf X / vni N` (before `router bgp`) and their
 * `router bgp ASN vrf X` instances (after it) replaced by the desired ones. A managed VRF is one in
 * overlay.tenants or one that FRR gives an L3 VNI; its BGP VRF instance is owned entirely by fabricctl.
 */
export function spliceFrrFull(
  running: string,
  desired: LeafConfig,
  tenants: readonly FullTenant[],
  rtAsn: number,
  vtep: string,
  managedVni: (vni: number) => boolean = () => true,
  heldVrfs: readonly string[] = [],
): string {
  const base = spliceFrr(running, desired, managedVni)
  const lines = base.replace(/\n$/, '').split('\n')
  const managed = new Set<string>([...tenants.map(t => t.vrf), ...parseFrrTenants(base).vrfVni.keys()])
  for (const v of heldVrfs) if (!desired.vrfs[v]) managed.delete(v) // kept as it runs
  const asn = /^router bgp (\d+)\s*$/.exec(lines.find(l => /^router bgp \d+\s*$/.test(l)) ?? '')?.[1]
  const out: string[] = []
  const keptVrf = new Map<string, number>() // vrf name → index in out of its `vrf X` line (block kept for other content)
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!
    let m
    if ((m = /^vrf (\S+)\s*$/.exec(l)) && managed.has(m[1]!)) {
      const end = blockEnd(lines, i)
      const body = lines.slice(i + 1, end).filter(x => !/^ vni \d+/.test(x))
      if (body.some(x => x.trim() !== '' && x.trim() !== '!')) {
        keptVrf.set(m[1]!, out.length)
        out.push(l, ...body, lines[end]!)
      }
      i = end
      if (lines[i + 1] === '!' && !keptVrf.has(m[1]!)) i++
      continue
    }
    if ((m = /^router bgp \d+ vrf (\S+)\s*$/.exec(l)) && managed.has(m[1]!)) {
      i = blockEnd(lines, i)
      if (lines[i + 1] === '!') i++
      continue
    }
    out.push(l)
  }
  const vrfs = Object.entries(canonicalLeafConfig(desired).vrfs)
  // `vrf X / vni N` blocks go right before the default `router bgp`.
  const bgp = out.findIndex(l => /^router bgp \d+\s*$/.test(l))
  const vrfBlocks: string[] = []
  for (const [name, v] of vrfs) {
    if (keptVrf.has(name)) out.splice(keptVrf.get(name)! + 1, 0, ` vni ${v.l3Vni}`)
    else vrfBlocks.push(`vrf ${name}`, ` vni ${v.l3Vni}`, 'exit-vrf', '!')
  }
  const bgpAt = keptVrf.size ? out.findIndex(l => /^router bgp \d+\s*$/.test(l)) : bgp
  out.splice(bgpAt, 0, ...vrfBlocks)
  // `router bgp ASN vrf X` go right after the default instance.
  const start = out.findIndex(l => /^router bgp \d+\s*$/.test(l))
  let end = blockEnd(out, start)
  if (out[end + 1] === '!') end++
  const bgpBlocks: string[] = []
  for (const [name, v] of vrfs) {
    const rt = `${rtAsn}:${v.l3Vni}`
    bgpBlocks.push(
      `router bgp ${asn} vrf ${name}`,
      ` bgp router-id ${vtep}`,
      ' !',
      ' address-family ipv4 unicast',
      '  redistribute connected',
      ' exit-address-family',
      ' !',
      ' address-family l2vpn evpn',
      '  advertise ipv4 unicast',
      `  route-target import ${rt}`,
      `  route-target export ${rt}`,
      ' exit-address-family',
      'exit',
      '!',
    )
  }
  if (bgpBlocks.length && out[end] !== '!') bgpBlocks.unshift('!')
  out.splice(end + 1, 0, ...bgpBlocks)
  return `${out.join('\n')}\n`
}

export {runningToFile}
