/**
 * `ovs-appctl ofproto/trace BRIDGE FLOW`: the bridges the packet crossed, in order, with the rules
 * it hit in each (table, match, actions) and the VLAN it carries after them, as the installed flows
 * translate it; and the final datapath actions (outputs with the VLAN each copy leaves with).
 */
export interface TraceRule {
  table: number
  /** The rule's match and priority as printed (e.g. "in_port=4,dl_vlan=101, priority 3"). */
  rule: string
  actions: string[]
}
export interface TraceBridge {
  bridge: string
  rules: TraceRule[]
  /** The packet's VLAN when it leaves this bridge's pipeline: set by mod_vlan_vid/strip_vlan (undefined: unchanged). */
  vlanAfter: number | null | undefined
  dropped: boolean
}
export interface DatapathOutput {
  dp: number
  vlan: number | null
}
export interface OfprotoTrace {
  /** The VLAN of the packet as it entered (dl_vlan of the "Flow:" line; null when untagged). */
  vlanIn: number | null
  bridges: TraceBridge[]
  datapath: {line: string; drop: boolean; outputs: DatapathOutput[]} | null
}

/** The outputs of a `Datapath actions:` line, in order, with the VLAN tag each frame leaves with. */
export function parseDatapathActions(text: string): OfprotoTrace['datapath'] {
  const line = /^Datapath actions: (.*)$/m.exec(text)?.[1]?.trim()
  if (line === undefined) return null
  const outputs: DatapathOutput[] = []
  let vlan: number | null = null
  const tokens: string[] = []
  let depth = 0
  let cur = ''
  for (const ch of line) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (ch === ',' && depth === 0) {
      tokens.push(cur.trim())
      cur = ''
    } else cur += ch
  }
  if (cur.trim()) tokens.push(cur.trim())
  for (const t of tokens) {
    const push = /^push_vlan\(vid=(\d+)/.exec(t)
    if (push) vlan = Number(push[1])
    else if (t === 'pop_vlan') vlan = null
    else if (/^\d+$/.test(t)) outputs.push({dp: Number(t), vlan})
  }
  return {line, drop: line === 'drop' || outputs.length === 0, outputs}
}

export function parseOfprotoTrace(text: string): OfprotoTrace {
  const flowLine = /^Flow: (.*)$/m.exec(text)?.[1] ?? ''
  const vin = /(?:^|,)dl_vlan=(\d+)/.exec(flowLine)?.[1]
  const bridges: TraceBridge[] = []
  let br: TraceBridge | undefined
  let rule: TraceRule | undefined
  for (const line of text.split('\n')) {
    const b = /^\s*bridge\("([^"]+)"\)\s*$/.exec(line)
    if (b) {
      bridges.push((br = {bridge: b[1]!, rules: [], vlanAfter: undefined, dropped: false}))
      rule = undefined
      continue
    }
    if (!br || /^\s*-+\s*$/.test(line)) continue
    if (/^(Final flow|Megaflow|Datapath actions):/.test(line)) {
      br = undefined
      continue
    }
    const r = /^\s*(\d+)\.\s+(.*)$/.exec(line)
    if (r) {
      br.rules.push((rule = {table: Number(r[1]), rule: r[2]!.trim(), actions: []}))
      continue
    }
    const act = line.trim()
    if (!rule || !act || act.startsWith('->') || act.startsWith('>>')) continue
    rule.actions.push(act)
    let m: RegExpExecArray | null
    if ((m = /^mod_vlan_vid:(\d+)/.exec(act)) || (m = /^set_field:(\d+)->vlan_vid/.exec(act)))
      br.vlanAfter = Number(m[1]) & 0xfff
    else if (act === 'strip_vlan' || act === 'pop_vlan') br.vlanAfter = null
    else if (act === 'drop') br.dropped = true
  }
  return {vlanIn: vin === undefined ? null : Number(vin), bridges, datapath: parseDatapathActions(text)}
}
