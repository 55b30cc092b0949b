/**
 * Did-you-mean: the names nearest to what was typed (optimal string alignment distance:
 * insertions, deletions, substitutions and swaps of two neighbours each cost 1).
 */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > max) return max + 1
  const rows: number[][] = [Array.from({length: b.length + 1}, (_, j) => j)]
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    let best = i
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1)
      row.push(d)
      best = Math.min(best, d)
    }
    if (best > max) return max + 1
    rows.push(row)
  }
  return rows[a.length]![b.length]!
}

/** How far a suggestion may be from the input: 1 for short words, about a third of the length for longer ones. */
export function tolerance(input: string): number {
  return Math.max(1, Math.min(4, Math.floor(input.length / 3)))
}

/** Up to `limit` candidates nearest to `input` (case-insensitive), nearest first, ties in the candidates' order. */
export function suggest(
  input: string,
  candidates: Iterable<string>,
  opts: {limit?: number; max?: number} = {},
): string[] {
  const max = opts.max ?? tolerance(input)
  const needle = input.toLowerCase()
  const numeric = digitsNormalised(needle)
  const scored: {name: string; d: number}[] = []
  const seen = new Set<string>()
  for (const name of candidates) {
    if (seen.has(name) || name === input) continue
    seen.add(name)
    // The same name but for zero padding (az1-h01 for az1-h0001) is the nearest of all.
    const d = digitsNormalised(name.toLowerCase()) === numeric ? 0 : editDistance(needle, name.toLowerCase(), max)
    if (d <= max) scored.push({name, d})
  }
  scored.sort((x, y) => x.d - y.d)
  return scored.slice(0, opts.limit ?? 3).map(s => s.name)
}

/** Runs of digits without their leading zeros: az1-h0001 and az1-h01 both read az1-h1. */
function digitsNormalised(s: string): string {
  return s.replaceAll(/\d+/g, m => String(Number.parseInt(m, 10)))
}

/** " Did you mean az1-h0001?" (or ", a or b?"), empty when nothing is near. */
export function didYouMeanText(suggestions: readonly string[]): string {
  if (suggestions.length === 0) return ''
  const list =
    suggestions.length === 1 ? suggestions[0]! : `${suggestions.slice(0, -1).join(', ')} or ${suggestions.at(-1)}`
  return `Did you mean ${list}?`
}
