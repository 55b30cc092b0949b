import {safeText, visibleLength} from './safe.js'

/** Plain aligned columns, kubectl-style: upper-case headers, two spaces between columns. */
export interface Column<T> {
  header: string
  get: (row: T) => string | number | null | undefined
  align?: 'left' | 'right'
}

// Every cell and field value is escaped here (safe.ts): names from the store, Neutron or a device never reach the terminal raw.

export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[], opts: {empty?: string} = {}): string {
  if (rows.length === 0) return opts.empty ?? 'No resources found.'
  const cells = rows.map(r =>
    columns.map(c => {
      const v = c.get(r)
      return v === null || v === undefined || v === '' ? '-' : safeText(String(v))
    }),
  )
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map(row => visibleLength(row[i]!))))
  const pad = (s: string, i: number) => {
    const gap = ' '.repeat(widths[i]! - visibleLength(s))
    return columns[i]!.align === 'right' ? gap + s : s + gap
  }
  const lines = [
    columns
      .map((c, i) => pad(c.header.toUpperCase(), i))
      .join('  ')
      .trimEnd(),
  ]
  for (const row of cells)
    lines.push(
      row
        .map((s, i) => pad(s, i))
        .join('  ')
        .trimEnd(),
    )
  return lines.join('\n')
}

/** "key: value" lines for `show` commands. */
export function renderFields(fields: readonly (readonly [string, unknown])[]): string {
  const width = Math.max(...fields.map(([k]) => k.length)) + 1
  return fields
    .map(
      ([k, v]) => `${`${k}:`.padEnd(width)} ${v === null || v === undefined || v === '' ? '-' : safeText(String(v))}`,
    )
    .join('\n')
}
