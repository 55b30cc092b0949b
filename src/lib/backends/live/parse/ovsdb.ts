/**
 * The one OVSDB JSON decoder: `ovs-vsctl --format=json list TABLE` (and `find`) → rows keyed by
 * column heading, with OVSDB's tagged values unwrapped: ["uuid", u] → u, ["set", [..]] → array
 * (an empty set → [] — OVSDB's way of saying "no value"), ["map", [[k, v]..]] → object.
 */
export type OvsdbRow = Record<string, unknown>

export function decodeOvsdbValue(v: unknown): unknown {
  if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string') {
    const [tag, body] = v as [string, unknown]
    if (tag === 'uuid' || tag === 'named-uuid') return body
    if (tag === 'set') return (body as unknown[]).map(decodeOvsdbValue)
    if (tag === 'map')
      return Object.fromEntries(
        (body as [unknown, unknown][]).map(([k, val]) => [String(decodeOvsdbValue(k)), decodeOvsdbValue(val)]),
      )
  }
  return v
}

export function parseOvsdbList(text: string): OvsdbRow[] {
  const doc = JSON.parse(text) as {headings?: string[]; data?: unknown[][]}
  if (!Array.isArray(doc.headings) || !Array.isArray(doc.data))
    throw new Error('not an ovs-vsctl --format=json table (no headings/data)')
  return doc.data.map(row => Object.fromEntries(doc.headings!.map((h, i) => [h, decodeOvsdbValue(row[i])])))
}

/** A column that may hold one value or an empty set: the value, or null. */
export function ovsdbScalar(v: unknown): string | number | boolean | null {
  if (Array.isArray(v)) return v.length > 0 ? (v[0] as string | number | boolean) : null
  return v === undefined || v === null ? null : (v as string | number | boolean)
}
/** A set column as a list of strings (a single value is a one-element set). */
export function ovsdbList(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : v === undefined || v === null || v === '' ? [] : [String(v)]
}
/** A map column as a string record ({} when empty or not a map). */
export function ovsdbMap(v: unknown): Record<string, string> {
  return v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, String(x)]))
    : {}
}
