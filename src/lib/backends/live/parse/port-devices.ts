import {ovsdbMap, ovsdbScalar, parseOvsdbList} from './ovsdb.js'

/**
 * The devices of one port on a host, as `port migrate`'s drift fencing reads them (PORT_DEVICES_SCRIPT):
 * section `@@iface@@` is `ovs-vsctl -f json --columns=name,ofport,external_ids find Interface
 * external_ids:iface-id=ID`; section `@@bridges@@` is one `BRIDGE PORT` line per port of every bridge
 * (`list-br` × `list-ports`).
 */
export interface ParsedPortDevice {
  device: string
  bridge: string | null
  ofport: number | null
  externalIds: Record<string, string>
}

/** The script whose output `parsePortDevices` reads. `portId` must already be validated (no quotes). */
export function portDevicesScript(portId: string): string {
  return [
    'export LC_ALL=C PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"',
    'echo @@iface@@',
    `ovs-vsctl --timeout=5 -f json --columns=name,ofport,external_ids find Interface 'external_ids:iface-id=${portId}' || exit 91`,
    'echo @@bridges@@',
    'for b in $(ovs-vsctl --timeout=5 list-br) ; do for p in $(ovs-vsctl --timeout=5 list-ports "$b") ; do echo "$b $p" ; done ; done',
  ].join('\n')
}

function sections(text: string): Map<string, string> {
  const out = new Map<string, string>()
  const marks = [...text.matchAll(/^@@([a-z]+)@@$/gm)]
  marks.forEach((m, i) => {
    const start = m.index! + m[0].length
    out.set(m[1]!, text.slice(start, i + 1 < marks.length ? marks[i + 1]!.index! : text.length).trim())
  })
  return out
}

/** Throws when the output is not the script's (no iface section, unparseable JSON). */
export function parsePortDevices(text: string): ParsedPortDevice[] {
  const s = sections(text)
  const iface = s.get('iface')
  if (iface === undefined) throw new Error('no @@iface@@ section in the output')
  const rows = parseOvsdbList(iface)
  const bridgeOf = new Map<string, string>()
  for (const line of (s.get('bridges') ?? '').split('\n')) {
    const [b, p] = line.trim().split(/\s+/)
    if (b && p) bridgeOf.set(p, b)
  }
  return rows
    .map(r => {
      const of = ovsdbScalar(r.ofport)
      const name = String(r.name)
      return {
        device: name,
        bridge: bridgeOf.get(name) ?? null,
        ofport: typeof of === 'number' ? of : null,
        externalIds: ovsdbMap(r.external_ids),
      }
    })
    .sort((a, b) => a.device.localeCompare(b.device))
}
