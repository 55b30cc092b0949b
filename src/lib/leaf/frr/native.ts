import {type LeafConfig, emptyLeafConfig} from '../../model/types.js'
import {canonicalLeafConfig} from '../desired.js'

/**
 * The "native" leaf profile, for a Linux kernel with vxlan and plain bridges but no VRF, no 802.1Q
 * and no VLAN-aware bridge: one bridge `br<VNI>` per L2 VNI holding `vxlan<VNI>` and the host
 * ports (untagged), the anycast gateway address on the bridge in the default VRF. FRR carries the
 * EVPN part (`vni N` with its route targets under `address-family l2vpn evpn`).
 */

export const VXLAN_PORT = 4789
export const bridgeName = (vni: number) => `br${vni}`
export const vxlanName = (vni: number) => `vxlan${vni}`
const BRIDGE_RE = /^br(\d+)$/

export interface KBridge {
  name: string
  mac: string
  addresses: string[]
  up: boolean
}
export interface KVxlan {
  name: string
  id: number
  local: string | null
  dstport: number
  learning: boolean
  master: string | null
  up: boolean
}
/** The kernel devices fabricctl manages on a leaf. Ports: host-facing interfaces and the bridge they are in. */
export interface KernelState {
  bridges: Record<string, KBridge>
  vxlans: Record<string, KVxlan>
  ports: Record<string, {master: string | null}>
}

interface IpLink {
  ifname: string
  address?: string
  flags?: string[]
  master?: string
  linkinfo?: {info_kind?: string; info_data?: {id?: number; local?: string; port?: number; learning?: boolean}}
  addr_info?: {family: string; local: string; prefixlen: number; scope?: string}[]
}

/** From `ip -j -d addr show`: the managed bridges and vxlan devices, and the membership of host ports. */
export function parseKernel(links: IpLink[], hostPorts: readonly string[]): KernelState {
  const st: KernelState = {bridges: {}, vxlans: {}, ports: {}}
  const byName = new Map(links.map(l => [l.ifname, l]))
  for (const l of links) {
    const kind = l.linkinfo?.info_kind
    const up = (l.flags ?? []).includes('UP')
    if (kind === 'bridge' && BRIDGE_RE.test(l.ifname)) {
      const addresses = (l.addr_info ?? [])
        .filter(a => a.family === 'inet')
        .map(a => `${a.local}/${a.prefixlen}`)
        .sort()
      st.bridges[l.ifname] = {name: l.ifname, mac: (l.address ?? '').toLowerCase(), addresses, up}
    } else if (kind === 'vxlan') {
      const d = l.linkinfo?.info_data ?? {}
      st.vxlans[l.ifname] = {
        name: l.ifname,
        id: d.id ?? 0,
        local: d.local ?? null,
        dstport: d.port ?? 0,
        learning: d.learning ?? true,
        master: l.master ?? null,
        up,
      }
    }
  }
  const ports = new Set(hostPorts.filter(p => byName.has(p)))
  for (const l of links)
    if (l.master && BRIDGE_RE.test(l.master) && l.linkinfo?.info_kind !== 'vxlan' && !l.ifname.startsWith('vxlan'))
      ports.add(l.ifname)
  for (const p of [...ports].sort()) {
    const m = byName.get(p)?.master ?? null
    st.ports[p] = {master: m && BRIDGE_RE.test(m) ? m : null}
  }
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

/** The model view of a native leaf: what its kernel and FRR actually carry. */
export function nativeConfigOf(
  kernel: KernelState,
  frrText: string,
  catalog: ReadonlyMap<number, VniCatalogEntry>,
  vniBase: number,
): LeafConfig {
  const cfg = emptyLeafConfig()
  const rts = parseFrrVnis(frrText)
  const vnis = new Set<number>([...rts.keys()])
  for (const vx of Object.values(kernel.vxlans)) vnis.add(vx.id)
  const vlanOf = (vni: number) => catalog.get(vni)?.vlan ?? vni - vniBase
  for (const vni of vnis) {
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
      // The gateway is only there when vxlan<VNI> sits, up, in an up bridge that holds the address.
      gateway: {address: vx?.up && br?.up ? (br.addresses[0] ?? '') : '', mac: br?.mac ?? ''},
    }
  }
  for (const [port, p] of Object.entries(kernel.ports)) {
    const m = p.master ? BRIDGE_RE.exec(p.master) : null
    if (!m) continue
    const vni = Number(m[1])
    // A port counts as carrying the VNI only if the bridge really is that VNI's (holds vxlan<VNI>).
    const vx = Object.values(kernel.vxlans).find(v => v.master === p.master)
    if (!vx) continue
    cfg.interfaces[port] = {vlans: [vlanOf(vni)]}
  }
  return canonicalLeafConfig(cfg)
}

/** What the kernel must hold for `desired` (native profile). Throws a message when the profile cannot express it. */
export function desiredKernel(desired: LeafConfig, vtep: string, hostPorts: readonly string[]): KernelState {
  const st: KernelState = {bridges: {}, vxlans: {}, ports: {}}
  const vniOfVlan = new Map<number, number>()
  for (const v of Object.values(desired.vnis)) {
    if (!v.gateway.address) throw new Error(`VNI ${v.vni} has no gateway address`)
    vniOfVlan.set(v.vlan, v.vni)
    const br = bridgeName(v.vni)
    st.bridges[br] = {name: br, mac: v.gateway.mac.toLowerCase(), addresses: [v.gateway.address], up: true}
    st.vxlans[vxlanName(v.vni)] = {
      name: vxlanName(v.vni),
      id: v.vni,
      local: vtep,
      dstport: VXLAN_PORT,
      learning: false,
      master: br,
      up: true,
    }
  }
  for (const p of hostPorts) st.ports[p] = {master: null}
  for (const [iface, i] of Object.entries(desired.interfaces)) {
    if (i.vlans.length > 1) {
      throw new Error(
        `interface ${iface} must carry VLANs ${i.vlans.join(',')}, but the native profile has untagged host ports (one VLAN per port); the hosts behind it need a leaf with a VLAN-aware bridge`,
      )
    }
    const vni = vniOfVlan.get(i.vlans[0]!)
    if (vni === undefined) throw new Error(`interface ${iface} carries VLAN ${i.vlans[0]} but no VNI maps that VLAN`)
    st.ports[iface] = {master: bridgeName(vni)}
  }
  return st
}

/** `ip` commands that turn kernel state `cur` into `want` (only managed devices are touched). */
export function planKernel(cur: KernelState, want: KernelState): string[] {
  const cmds: string[] = []
  for (const b of Object.values(want.bridges)) {
    if (cur.bridges[b.name]) continue
    cmds.push(`ip link add ${b.name} type bridge`)
    if (b.mac) cmds.push(`ip link set ${b.name} address ${b.mac}`)
    for (const a of b.addresses) cmds.push(`ip addr add ${a} dev ${b.name}`)
    if (b.up) cmds.push(`ip link set ${b.name} up`)
  }
  for (const b of Object.values(want.bridges)) {
    const c = cur.bridges[b.name]
    if (!c) continue
    if (b.mac && c.mac !== b.mac) cmds.push(`ip link set ${b.name} address ${b.mac}`)
    for (const a of c.addresses) if (!b.addresses.includes(a)) cmds.push(`ip addr del ${a} dev ${b.name}`)
    for (const a of b.addresses) if (!c.addresses.includes(a)) cmds.push(`ip addr add ${a} dev ${b.name}`)
    if (b.up !== c.up) cmds.push(`ip link set ${b.name} ${b.up ? 'up' : 'down'}`)
  }
  const vxAdd = (v: KVxlan) => {
    cmds.push(
      `ip link add ${v.name} type vxlan id ${v.id}${v.local ? ` local ${v.local}` : ''} dstport ${v.dstport}${v.learning ? '' : ' nolearning'}`,
    )
    if (v.master) cmds.push(`ip link set ${v.name} master ${v.master}`)
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
    if (c.master !== v.master)
      cmds.push(v.master ? `ip link set ${v.name} master ${v.master}` : `ip link set ${v.name} nomaster`)
    if (c.up !== v.up) cmds.push(`ip link set ${v.name} ${v.up ? 'up' : 'down'}`)
  }
  for (const [p, w] of Object.entries(want.ports)) {
    const c = cur.ports[p]
    if (!c || c.master === w.master) continue
    cmds.push(w.master ? `ip link set ${p} master ${w.master}` : `ip link set ${p} nomaster`)
    if (w.master) cmds.push(`ip link set ${p} up`)
  }
  for (const v of Object.values(cur.vxlans))
    if (!want.vxlans[v.name] && BRIDGE_RE.test(v.master ?? '')) cmds.push(`ip link del ${v.name}`)
  for (const v of Object.values(cur.vxlans))
    if (!want.vxlans[v.name] && !BRIDGE_RE.test(v.master ?? '') && /^vxlan\d+$/.test(v.name))
      cmds.push(`ip link del ${v.name}`)
  for (const b of Object.values(cur.bridges)) if (!want.bridges[b.name]) cmds.push(`ip link del ${b.name}`)
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
export function spliceFrr(running: string, desired: LeafConfig): string {
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
    if (/^ {2}vni \d+\s*$/.test(l)) {
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
