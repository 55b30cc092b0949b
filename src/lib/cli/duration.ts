import {usageError} from './errors.js'

const UNITS = {ms: 1, s: 1000, m: 60_000, h: 3_600_000} as const

/**
 * The one duration parser: `30s`, `1m`, `1500ms`, `1h`, `2.5s`. A bare number is in `bare` units
 * (seconds unless the flag has always taken milliseconds). Out of [minMs, maxMs]: a usage error.
 */
export function parseDuration(
  raw: string,
  flag: string,
  {minMs, maxMs, bare = 's'}: {minMs: number; maxMs: number; bare?: 'ms' | 's'},
): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(raw.trim())
  const ms = m ? Number(m[1]) * UNITS[(m[2] ?? bare) as keyof typeof UNITS] : Number.NaN
  if (!Number.isFinite(ms) || ms < minMs || ms > maxMs) {
    const span = (v: number) => (v < 1000 ? `${v} ms` : v < 3_600_000 ? `${v / 1000} s` : `${v / 3_600_000} h`)
    throw usageError(
      'DURATION_INVALID',
      `${flag} "${raw}" is not a duration between ${span(minMs)} and ${span(maxMs)}.`,
      raw,
      `Give a number with a unit: ms, s, m or h (e.g. 30s, 1m, 1500ms); a bare number is ${bare === 's' ? 'seconds' : 'milliseconds'}.`,
    )
  }
  return Math.round(ms)
}
