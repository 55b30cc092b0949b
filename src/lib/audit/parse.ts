import {
  type OvsdbRow,
  ovsdbScalar,
  parseBondShow as parseBondShowFull,
  parseIpLink,
  parseOvsdbList,
} from '../backends/live/parse/index.js'
import type {OvsBond, OvsInterface} from './types.js'

/**
 * Parsers of what the hosts print. Pure: text in, facts out, so they are tested against real
 * captured output and shared by the local and SSH sources.
 */

/** `ovs-vsctl -f json list TABLE` → rows keyed by column heading (the one OVSDB decoder). */
export {parseOvsdbList}

const asList = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : v === undefined || v === null || v === '' ? [] : [String(v)]
const scalar = (v: unknown): string | null =>
  Array.isArray(v) ? (v.length > 0 ? String(v[0]) : null) : v === undefined || v === null ? null : String(v)

/** A Port row's `tag`: the VLAN; null: none (empty set); undefined: the column was not read (unknown). */
function portTag(p: OvsdbRow): number | null | undefined {
  if (!('tag' in p)) return undefined
  const v = ovsdbScalar(p.tag)
  return v === null ? null : typeof v === 'number' && Number.isInteger(v) ? v : undefined
}

/** Join Bridge, Port and Interface tables: every interface with its bridge, port and the port's tag; bonds (ports with several interfaces). */
export function parseOvsTables(
  bridgeJson: string,
  portJson: string,
  ifaceJson: string,
): {bridges: {name: string; ports: string[]}[]; interfaces: OvsInterface[]; bonds: OvsBond[]} {
  const bridges = parseOvsdbList(bridgeJson)
  const ports = parseOvsdbList(portJson)
  const ifaces = parseOvsdbList(ifaceJson)
  const portByUuid = new Map(ports.map(p => [String(p._uuid), p]))
  const ifaceByUuid = new Map(ifaces.map(i => [String(i._uuid), i]))
  const bridgeOfPort = new Map<string, string>()
  const outBridges = bridges
    .map(b => {
      const names = asList(b.ports).map(u => {
        const p = portByUuid.get(u)
        if (p) bridgeOfPort.set(u, String(b.name))
        return p ? String(p.name) : u
      })
      return {name: String(b.name), ports: names.sort()}
    })
    .sort((a, b) => a.name.localeCompare(b.name))
  const portOfIface = new Map<string, {port: string; bridge: string | null; tag: number | null | undefined}>()
  const bonds: OvsBond[] = []
  for (const p of ports) {
    const members = asList(p.interfaces)
    for (const u of members)
      portOfIface.set(u, {port: String(p.name), bridge: bridgeOfPort.get(String(p._uuid)) ?? null, tag: portTag(p)})
    if (members.length > 1 || (scalar(p.bond_mode) ?? '') !== '') {
      bonds.push({
        name: String(p.name),
        bridge: bridgeOfPort.get(String(p._uuid)) ?? null,
        members: members.map(u => ({name: String(ifaceByUuid.get(u)?.name ?? u), enabled: null})),
      })
    }
  }
  const interfaces: OvsInterface[] = ifaces
    .map(i => {
      const where = portOfIface.get(String(i._uuid))
      const of = scalar(i.ofport)
      const options = (
        i.options && typeof i.options === 'object' && !Array.isArray(i.options) ? i.options : {}
      ) as Record<string, string>
      const ext = (
        i.external_ids && typeof i.external_ids === 'object' && !Array.isArray(i.external_ids) ? i.external_ids : {}
      ) as Record<string, string>
      const tag = where?.tag
      return {
        ...(ext['iface-id'] ? {ifaceId: String(ext['iface-id'])} : {}),
        ...(tag !== undefined ? {tag} : {}),
        name: String(i.name),
        type: scalar(i.type) ?? '',
        ofport: of === null ? null : Number(of),
        error: scalar(i.error),
        bridge: where?.bridge ?? null,
        port: where?.port ?? null,
        peer: options.peer ?? null,
      }
    })
    .sort((a, b) => a.name.localeCompare(b.name))
  return {bridges: outBridges, interfaces, bonds}
}

/** `ovs-appctl bond/show`: member states per bond (the one bond/show parser, reduced to enabled/disabled). */
export function parseBondShow(text: string): Map<string, Map<string, boolean>> {
  return new Map(parseBondShowFull(text).map(b => [b.name, new Map(b.members.map(m => [m.name, m.enabled]))]))
}

/** /proc/net/bonding/<bond>: members with MII status and speed. */
export function parseProcBonding(text: string): {
  name: string
  mode: string | null
  activeMember: string | null
  members: {name: string; up: boolean; speedMbps: number | null}[]
}[] {
  const out: ReturnType<typeof parseProcBonding> = []
  for (const block of text.split(/^==> /m).filter(Boolean)) {
    const name = /^\/proc\/net\/bonding\/(\S+)/.exec(block)?.[1]
    if (!name) continue
    const members: {name: string; up: boolean; speedMbps: number | null}[] = []
    for (const part of block.split(/^Slave Interface:\s*/m).slice(1)) {
      const n = part.split('\n')[0]!.trim()
      const mii = /MII Status:\s*(\S+)/.exec(part)?.[1]
      const speed = /Speed:\s*(\d+)\s*Mbps/.exec(part)?.[1]
      members.push({name: n, up: mii === 'up', speedMbps: speed ? Number(speed) : null})
    }
    const mode = /^Bonding Mode:\s*(.+)$/m.exec(block)?.[1]?.trim() ?? null
    const active = /^Currently Active Slave:\s*(\S+)/m.exec(block)?.[1]
    out.push({name, mode, activeMember: active && active !== 'None' ? active : null, members})
  }
  return out
}

/** `ip -j -d link show` (the one ip-link parser). */
export {parseIpLink}

/** "NAME SPEED" lines from /sys/class/net/ * /speed ("-" or -1 when unreadable). */
export function parseSpeeds(text: string): Map<string, number | null> {
  const out = new Map<string, number | null>()
  for (const line of text.split('\n')) {
    const [name, v] = line.trim().split(/\s+/)
    if (!name) continue
    const n = Number(v)
    out.set(name, Number.isFinite(n) && n > 0 ? n : null)
  }
  return out
}

export function bpffsMounted(procMounts: string): boolean {
  return procMounts.split('\n').some(l => {
    const [, mountpoint, type] = l.split(/\s+/)
    return mountpoint === '/sys/fs/bpf' && type === 'bpf'
  })
}

/** Kernel config text: CONFIG_X=y|m|"str"|n; "# CONFIG_X is not set" → n. */
export function parseKernelConfig(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const set = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line)
    if (set) {
      out[set[1]!] = set[2]!.replace(/^"|"$/g, '')
      continue
    }
    const unset = /^# (CONFIG_[A-Za-z0-9_]+) is not set/.exec(line)
    if (unset) out[unset[1]!] = 'n'
  }
  return out
}

/** The -A lines of iptables-save. */
export function parseIptablesSave(text: string): string[] {
  return text.split('\n').filter(l => l.startsWith('-A '))
}

/** `bpftool -j feature probe kernel` → {sched_cls: true, ...} for program types and map types. */
export function parseBpftoolProbe(text: string): {
  programTypes: Record<string, boolean>
  mapTypes: Record<string, boolean>
} {
  const j = JSON.parse(text) as {program_types?: Record<string, boolean>; map_types?: Record<string, boolean>}
  const strip = (o: Record<string, boolean> | undefined, suffix: RegExp) =>
    Object.fromEntries(
      Object.entries(o ?? {}).map(([k, v]) => [k.replace(/^have_/, '').replace(suffix, ''), v === true]),
    )
  return {programTypes: strip(j.program_types, /_prog_type$/), mapTypes: strip(j.map_types, /_map_type$/)}
}
