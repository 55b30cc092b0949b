import {safeDeep, visibleLength} from '../output/safe.js'
import type {Style} from '../output/style.js'
import {renderTable} from '../output/table.js'
import type {Encapsulation, Trace, TraceEndpoint, TraceHop} from './types.js'

/** Human renderings of a Trace: a table, and a diagram (boxes per host/switch, the failing hop marked). */

// eslint-disable-next-line no-control-regex
const ANSI = /(?:\u001B|\uE000[0-9a-f]+\uE001)\[[0-9;]*m/g
const vis = visibleLength

function encapText(e: Encapsulation): string {
  const parts: string[] = []
  if (e.vlan !== null) parts.push(`vlan ${e.vlan}`)
  if (e.vni !== null) parts.push(`vni ${e.vni}`)
  if (e.vrf !== null) parts.push(e.vrf)
  return parts.join(' ')
}

function flowText(t: Trace): string {
  const f = t.flow
  return f.proto === 'icmp'
    ? `icmp ${f.srcIp} → ${f.dstIp}`
    : `${f.proto} ${f.srcIp}:${f.sport} → ${f.dstIp}:${f.dport}`
}

function endText(label: string, e: TraceEndpoint): string {
  const what = e.instance ? `${e.instanceKind ?? 'instance'} ${e.instance}` : `port ${e.port.name}`
  return `${label} ${what} (${e.port.ip}, ${e.network.name} vlan ${e.network.vlan}${e.network.l2Vni === null ? '' : ` vni ${e.network.l2Vni}`}, ${e.port.state}) on ${e.host ?? '(unbound)'}${e.plugging ? ` [${e.plugging}]` : ''}`
}

function header(t: Trace): string[] {
  return [
    `Trace ${flowText(t)}  (${t.az}, ${t.topology}, ${t.route}, ${t.backend})`,
    `  ${endText('from', t.src)}`,
    `  ${endText('to  ', t.dst)}`,
  ]
}

function resultLines(t: Trace, s: Style): string[] {
  const counts = `${t.summary.hostHops} host-path + ${t.summary.switchHops} switch = ${t.summary.totalHops} hops${t.summary.complete ? '' : ' (path ends at the drop)'}`
  const lines =
    t.disposition.result === 'delivered'
      ? [`${s.green('DELIVERED')}  ${counts}`]
      : [
          `${s.red(`DROPPED at hop ${t.disposition.hop}`)} (${t.disposition.node} ${t.disposition.device}): ${s.bold(t.disposition.cause)}`,
          `  ${t.disposition.reason}`,
          `  ${counts}`,
        ]
  if (t.ecmp)
    lines.push(
      `  ECMP: ${t.ecmp.chosen ?? 'none'} of [${t.ecmp.candidates.join(', ')}] (outer udp src ${t.ecmp.outerUdpSrcPort}, hash ${t.ecmp.hash})`,
    )
  for (const h of t.hops)
    if (h.unknown) lines.push(`${s.yellow('unknown:')} hop ${h.n} (${h.node} ${h.device}): ${h.unknown}`)
  for (const w of t.warnings) lines.push(`${s.yellow('warning:')} ${w}`)
  return lines
}

function statusText(h: TraceHop, s: Style): string {
  return h.status === 'ok' ? s.green('ok') : h.status === 'drop' ? s.red(`DROP ${h.cause}`) : s.dim('not reached')
}

export function renderTraceTable(trace: Trace, s: Style): string {
  const t = safeDeep(trace) // names in a visible, escaped form (output/safe.ts)
  const table = renderTable(t.hops, [
    {header: 'hop', get: h => h.n, align: 'right'},
    {header: 'node', get: h => h.node},
    {header: 'device', get: h => h.device},
    {header: 'kind', get: h => h.kind},
    {header: 'plane', get: h => h.plane},
    {header: 'vlan', get: h => h.encap.vlan, align: 'right'},
    {header: 'vni', get: h => h.encap.vni, align: 'right'},
    {header: 'status', get: h => statusText(h, s)},
    {header: 'action', get: h => h.action},
  ])
  return [...header(t), '', table, '', ...resultLines(t, s)].join('\n')
}

function wrap(text: string, width: number): string[] {
  const out: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line && vis(line) + 1 + vis(word) > width) {
      out.push(line)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  if (line) out.push(line)
  return out
}

function truncate(text: string, width: number): string {
  if (vis(text) <= width) return text
  const plain = text.replace(ANSI, '')
  return `${plain.slice(0, Math.max(0, width - 1))}…`
}

/** One box per stretch of consecutive hops on the same node, joined by the link between them. */
export function renderTraceDiagram(trace: Trace, s: Style, columns = 100): string {
  const t = safeDeep(trace) // names in a visible, escaped form (output/safe.ts); box widths count the escaped form
  const groups: TraceHop[][] = []
  for (const h of t.hops) {
    const last = groups.at(-1)
    if (last && last[0]!.node === h.node) last.push(h)
    else groups.push([h])
  }
  const width = Math.max(60, Math.min(columns, 120)) - 2
  const inner = width - 4
  const devW = Math.min(18, Math.max(...t.hops.map(h => h.device.length)))
  const kindW = Math.max(...t.hops.map(h => h.kind.length))
  const encW = Math.max(0, ...t.hops.map(h => encapText(h.encap).length))
  const hostInfo = new Map<string, string>()
  for (const e of [t.src, t.dst]) if (e.host) hostInfo.set(e.host, e.plugging ?? '')
  const out: string[] = [...header(t), '']
  groups.forEach((g, gi) => {
    const first = g[0]!
    if (gi > 0) {
      const prev = groups[gi - 1]!.at(-1)!
      const e = first.encap
      const link =
        prev.nodeKind === 'host' && first.nodeKind !== 'host'
          ? `${prev.device} → ${first.device}`
          : prev.nodeKind !== 'host' && first.nodeKind === 'host'
            ? `${prev.device} → ${first.device}`
            : ''
      const enc = e.outer
        ? `VXLAN vni ${e.vni ?? '?'} ${e.outer.srcVtep} → ${e.outer.dstVtep} udp ${e.outer.udpSrcPort}→${e.outer.udpDstPort}`
        : encapText(e)
      const mark = first.status === 'not-reached' ? s.dim('┊') : '│'
      out.push(`     ${mark}  ${s.dim([link, enc].filter(Boolean).join('  '))}`)
      out.push(`     ${first.status === 'not-reached' ? s.dim('▽') : '▼'}`)
    }
    const title =
      first.nodeKind === 'host'
        ? `host ${first.node}${hostInfo.get(first.node) ? ` (${hostInfo.get(first.node)})` : ''}`
        : `${first.nodeKind} ${first.node}`
    const dimBox = g.every(h => h.status === 'not-reached')
    const paint = (x: string) => (dimBox ? s.dim(x) : g.some(h => h.status === 'drop') ? s.red(x) : x)
    const top = `┌─ ${title} ${'─'.repeat(Math.max(0, width - vis(title) - 5))}┐`
    out.push(paint(top))
    const row = (text: string) => `${paint('│')} ${text}${' '.repeat(Math.max(0, inner - vis(text)))} ${paint('│')}`
    for (const h of g) {
      const mark = h.status === 'ok' ? s.green('✓') : h.status === 'drop' ? s.red('✗') : s.dim('·')
      const base = `${String(h.n).padStart(2)} ${mark} ${h.device.padEnd(devW)} ${h.kind.padEnd(kindW)} ${encapText(h.encap).padEnd(encW)}`
      const room = inner - vis(base) - 1
      const paintLine = (l: string) => (h.status === 'not-reached' ? s.dim(l) : l)
      if (room >= 30 || vis(h.action) <= room) out.push(row(paintLine(`${base} ${truncate(h.action, room)}`)))
      else {
        // A narrow terminal: the action goes on its own line under the hop.
        out.push(row(paintLine(truncate(base, inner))))
        out.push(row(s.dim(truncate(`     ${h.action}`, inner))))
      }
      if (h.status === 'drop') {
        for (const l of wrap(`✗ ${h.cause}: ${h.reason}`, inner - 5)) out.push(row(s.red(`     ${l}`)))
      }
      if (h.unknown) for (const l of wrap(`? unknown: ${h.unknown}`, inner - 5)) out.push(row(s.yellow(`     ${l}`)))
    }
    out.push(paint(`└${'─'.repeat(width - 2)}┘`))
  })
  out.push('', ...resultLines(t, s))
  return out.join('\n')
}
