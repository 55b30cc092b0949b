import {type LeafConfig, type LeafVni, emptyLeafConfig} from '../model/types.js'
import {canonicalLeafConfig} from './desired.js'

/**
 * One unit of change between two leaf configurations. `--max-changes` counts these: a VNI added or
 * removed is one change, a VNI whose attributes differ is one, each VLAN added to or removed from a
 * host interface is one, each VRF added, removed or changed is one.
 */
export type LeafChange =
  | {op: 'add-vni'; vni: number; to: LeafVni}
  | {op: 'remove-vni'; vni: number; from: LeafVni}
  | {op: 'change-vni'; vni: number; from: LeafVni; to: LeafVni; fields: string[]}
  | {op: 'add-vrf'; vrf: string; to: {l3Vni: number}}
  | {op: 'remove-vrf'; vrf: string; from: {l3Vni: number}}
  | {op: 'change-vrf'; vrf: string; from: {l3Vni: number}; to: {l3Vni: number}}
  | {op: 'add-vlan'; interface: string; vlan: number}
  | {op: 'remove-vlan'; interface: string; vlan: number}

const VNI_FIELDS = ['vlan', 'network', 'vrf', 'routeTarget', 'gateway.address', 'gateway.mac'] as const

function vniField(v: LeafVni, f: (typeof VNI_FIELDS)[number]): unknown {
  return f === 'gateway.address' ? v.gateway.address : f === 'gateway.mac' ? v.gateway.mac : v[f]
}

/** What must change to turn `running` into `desired`, in apply order (add before use, remove after). */
export function diffLeafConfigs(running: LeafConfig, desired: LeafConfig): LeafChange[] {
  const out: LeafChange[] = []
  for (const [name, to] of Object.entries(desired.vrfs)) {
    const from = running.vrfs[name]
    if (!from) out.push({op: 'add-vrf', vrf: name, to})
    else if (from.l3Vni !== to.l3Vni) out.push({op: 'change-vrf', vrf: name, from, to})
  }
  for (const [key, to] of Object.entries(desired.vnis)) {
    const from = running.vnis[key]
    if (!from) {
      out.push({op: 'add-vni', vni: to.vni, to})
      continue
    }
    const fields = VNI_FIELDS.filter(f => vniField(from, f) !== vniField(to, f))
    if (fields.length > 0) out.push({op: 'change-vni', vni: to.vni, from, to, fields: [...fields]})
  }
  const ifaces = new Set([...Object.keys(running.interfaces), ...Object.keys(desired.interfaces)])
  for (const iface of [...ifaces].sort((a, b) => a.localeCompare(b, 'en', {numeric: true}))) {
    const have = new Set(running.interfaces[iface]?.vlans ?? [])
    const want = new Set(desired.interfaces[iface]?.vlans ?? [])
    for (const v of [...want].sort((a, b) => a - b))
      if (!have.has(v)) out.push({op: 'add-vlan', interface: iface, vlan: v})
    for (const v of [...have].sort((a, b) => a - b))
      if (!want.has(v)) out.push({op: 'remove-vlan', interface: iface, vlan: v})
  }
  for (const [key, from] of Object.entries(running.vnis))
    if (!desired.vnis[key]) out.push({op: 'remove-vni', vni: from.vni, from})
  for (const [name, from] of Object.entries(running.vrfs))
    if (!desired.vrfs[name]) out.push({op: 'remove-vrf', vrf: name, from})
  return out
}

/** Apply changes to a configuration (the simulated leaf applies a diff this way, possibly only part of it). */
export function applyLeafChanges(base: LeafConfig, changes: readonly LeafChange[]): LeafConfig {
  const c: LeafConfig = structuredClone(base)
  for (const ch of changes) {
    switch (ch.op) {
      case 'add-vni':
      case 'change-vni':
        c.vnis[String(ch.vni)] = structuredClone(ch.to)
        break
      case 'remove-vni':
        delete c.vnis[String(ch.vni)]
        break
      case 'add-vrf':
      case 'change-vrf':
        c.vrfs[ch.vrf] = {...ch.to}
        break
      case 'remove-vrf':
        delete c.vrfs[ch.vrf]
        break
      case 'add-vlan': {
        const e = (c.interfaces[ch.interface] ??= {vlans: []})
        if (!e.vlans.includes(ch.vlan)) e.vlans.push(ch.vlan)
        break
      }
      case 'remove-vlan': {
        const e = c.interfaces[ch.interface]
        if (!e) break
        e.vlans = e.vlans.filter(v => v !== ch.vlan)
        if (e.vlans.length === 0) delete c.interfaces[ch.interface]
        break
      }
    }
  }
  return canonicalLeafConfig(c)
}

export function sameLeafConfig(a: LeafConfig, b: LeafConfig): boolean {
  return JSON.stringify(canonicalLeafConfig(a)) === JSON.stringify(canonicalLeafConfig(b))
}

/** A field's value in a change line; a gateway MAC that is not known ('') reads "unknown". */
const shown = (f: string, v: unknown) => (f === 'gateway.mac' && v === '' ? 'unknown' : String(v))

/** One line per change, for plans and reports. */
export function describeChange(ch: LeafChange): string {
  switch (ch.op) {
    case 'add-vni':
      return `add VNI ${ch.vni} (VLAN ${ch.to.vlan}, ${ch.to.network}, vrf ${ch.to.vrf}, rt ${ch.to.routeTarget}, gw ${ch.to.gateway.address})`
    case 'remove-vni':
      return `remove VNI ${ch.vni} (VLAN ${ch.from.vlan}, ${ch.from.network})`
    case 'change-vni':
      return `change VNI ${ch.vni}: ${ch.fields.map(f => `${f} ${shown(f, vniField(ch.from, f as never))} → ${shown(f, vniField(ch.to, f as never))}`).join(', ')}`
    case 'add-vrf':
      return `add VRF ${ch.vrf} (L3 VNI ${ch.to.l3Vni})`
    case 'remove-vrf':
      return `remove VRF ${ch.vrf} (L3 VNI ${ch.from.l3Vni})`
    case 'change-vrf':
      return `change VRF ${ch.vrf}: L3 VNI ${ch.from.l3Vni} → ${ch.to.l3Vni}`
    case 'add-vlan':
      return `allow VLAN ${ch.vlan} on ${ch.interface}`
    case 'remove-vlan':
      return `remove VLAN ${ch.vlan} from ${ch.interface}`
  }
}

/** The configuration as text an SRE reads (and diffs): stable order, one fact per line. */
export function leafConfigText(c: LeafConfig): string[] {
  const cfg = canonicalLeafConfig(c ?? emptyLeafConfig())
  const lines: string[] = []
  for (const [name, v] of Object.entries(cfg.vrfs)) lines.push(`vrf ${name}`, `  l3-vni ${v.l3Vni}`)
  for (const v of Object.values(cfg.vnis)) {
    lines.push(
      `vni ${v.vni}`,
      `  vlan ${v.vlan}`,
      `  network ${v.network}`,
      `  vrf ${v.vrf}`,
      `  route-target ${v.routeTarget}`,
      `  anycast-gateway ${v.gateway.address} mac ${v.gateway.mac || 'unknown'}`,
    )
  }
  for (const [name, i] of Object.entries(cfg.interfaces)) {
    lines.push(`interface ${name}`)
    for (const vlan of i.vlans) lines.push(`  allowed-vlan ${vlan}`)
  }
  return lines
}

/**
 * A unified diff (diff -u style, 3 lines of context) of two line lists. Empty when they are equal.
 * LCS by dynamic programming: leaf configurations are at most a few thousand lines.
 */
export function unifiedDiff(
  a: readonly string[],
  b: readonly string[],
  labelA: string,
  labelB: string,
  context = 3,
): string[] {
  // Trim the common prefix and suffix first: drift is usually a line or two in a long file.
  let pre = 0
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++
  let suf = 0
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++
  if (pre === a.length && pre === b.length) return []
  const A = a.slice(pre, a.length - suf)
  const B = b.slice(pre, b.length - suf)
  const n = A.length
  const m = B.length
  const dp: Uint32Array[] = Array.from({length: n + 1}, () => new Uint32Array(m + 1))
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      dp[i]![j] = A[i] === B[j] ? dp[i + 1]![j + 1]! + 1 : Math.max(dp[i + 1]![j]!, dp[i]![j + 1]!)
  type Op = {t: ' ' | '-' | '+'; line: string; ai: number; bi: number}
  const ops: Op[] = []
  for (let k = 0; k < pre; k++) ops.push({t: ' ', line: a[k]!, ai: k, bi: k})
  let i = 0
  let j = 0
  while (i < n || j < m) {
    if (i < n && j < m && A[i] === B[j]) ops.push({t: ' ', line: A[i]!, ai: pre + i++, bi: pre + j++})
    else if (j < m && (i === n || dp[i]![j + 1]! >= dp[i + 1]![j]!))
      ops.push({t: '+', line: B[j]!, ai: pre + i, bi: pre + j++})
    else ops.push({t: '-', line: A[i]!, ai: pre + i++, bi: pre + j})
  }
  for (let k = 0; k < suf; k++)
    ops.push({t: ' ', line: a[a.length - suf + k]!, ai: a.length - suf + k, bi: b.length - suf + k})
  const out = [`--- ${labelA}`, `+++ ${labelB}`]
  let k = 0
  while (k < ops.length) {
    if (ops[k]!.t === ' ') {
      k++
      continue
    }
    const start = Math.max(0, k - context)
    let end = k
    // extend the hunk while the next change is within 2*context lines
    for (;;) {
      while (end < ops.length && ops[end]!.t !== ' ') end++
      let next = end
      while (next < ops.length && ops[next]!.t === ' ') next++
      if (next < ops.length && next - end <= 2 * context) end = next
      else {
        end = Math.min(ops.length, end + context)
        break
      }
    }
    const hunk = ops.slice(start, end)
    const aStart = hunk[0]!.ai
    const bStart = hunk[0]!.bi
    const aLen = hunk.filter(o => o.t !== '+').length
    const bLen = hunk.filter(o => o.t !== '-').length
    out.push(`@@ -${aLen === 0 ? aStart : aStart + 1},${aLen} +${bLen === 0 ? bStart : bStart + 1},${bLen} @@`)
    for (const o of hunk) out.push(`${o.t}${o.line}`)
    k = end
  }
  return out
}
