/**
 * Open vSwitch version strings as hosts print them: upstream (`2.5.6`), with a distribution
 * suffix (`2.5.9-0ubuntu0.16.04.3`, `2.15.0+ds1-2+deb11u5`, `3.1.0-2+deb12u1`), an epoch
 * (`1:2.17.9-1`), or the whole `ovs-vsctl --version` banner. Comparison uses the upstream part.
 */
export interface ParsedVersion {
  upstream: number[]
  text: string
  suffix: string
}

const UPSTREAM = /(?:^|[\s(:])(\d+)\.(\d+)(?:\.(\d+))?(?:\.(\d+))?(?=$|[-+~\s)a-z])/i

export function parseVersion(raw: string | null | undefined): ParsedVersion | null {
  if (!raw) return null
  const text = raw.trim().replace(/^"|"$/g, '')
  const firstLine = text.split('\n')[0]!
  // "ovs-vsctl (Open vSwitch) 2.15.0": take the version after the banner.
  const banner = /\(Open vSwitch\)\s+(\S+)/.exec(firstLine)
  const candidate = banner ? banner[1]! : firstLine.replace(/^\d+:/, '')
  const m = UPSTREAM.exec(candidate.startsWith(' ') ? candidate : ` ${candidate}`)
  if (!m) return null
  const upstream = [m[1], m[2], m[3], m[4]].filter(x => x !== undefined).map(Number)
  while (upstream.length < 3) upstream.push(0)
  const head = upstream.slice(0, m[4] === undefined ? 3 : 4).join('.')
  const idx = candidate.indexOf(m[0].trim())
  const suffix = idx >= 0 ? candidate.slice(idx + m[0].trim().length) : ''
  return {upstream, text: head, suffix}
}

export function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0)
    if (d !== 0) return d < 0 ? -1 : 1
  }
  return 0
}

const COMPARATOR = /^(<=|>=|<|>|=)?\s*(\d+(?:\.\d+){0,3})$/

/** Is a range expression well formed? Space-separated comparators, all must hold: ">=2.5.0 <2.5.6". */
export function validRange(range: string): boolean {
  const parts = range.trim().split(/\s+/)
  return parts.length > 0 && parts.every(p => COMPARATOR.test(p))
}

export function satisfies(version: number[], range: string): boolean {
  return range
    .trim()
    .split(/\s+/)
    .every(part => {
      const m = COMPARATOR.exec(part)
      if (!m) return false
      const bound = m[2]!.split('.').map(Number)
      const c = compareVersions(version, bound)
      switch (m[1] ?? '=') {
        case '<':
          return c < 0
        case '<=':
          return c <= 0
        case '>':
          return c > 0
        case '>=':
          return c >= 0
        default:
          return c === 0
      }
    })
}

/** Kernel releases: `5.15.0-105-generic`, `3.10.0-1160.el7.x86_64`, `6.18.44-fc-v657` → [major, minor, patch]. */
export function parseKernelRelease(raw: string | null | undefined): number[] | null {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec((raw ?? '').trim())
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : null
}
