import ipaddr from 'ipaddr.js'

/** IPv4 address math for network CIDRs (ipaddr.js does the parsing). */
export interface Ipv4Range {
  /** Network address as an integer. */
  network: number
  prefix: number
  broadcast: number
}

export function ipToNum(ip: string): number {
  const bytes = ipaddr.IPv4.parse(ip).toByteArray()
  return ((bytes[0]! << 24) >>> 0) + (bytes[1]! << 16) + (bytes[2]! << 8) + bytes[3]!
}

export function numToIp(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')
}

// A fabric has few distinct CIDRs and derives every leaf's config from them: parse each once (bounded).
const parsedCidrs = new Map<string, Readonly<Ipv4Range>>()
const PARSED_CIDRS_MAX = 65_536

export function parseCidr(cidr: string): Readonly<Ipv4Range> {
  const hit = parsedCidrs.get(cidr)
  if (hit) return hit
  const [addr, prefix] = ipaddr.IPv4.parseCIDR(cidr)
  const size = 2 ** (32 - prefix)
  const network = Math.floor(ipToNum(addr.toString()) / size) * size
  const r = Object.freeze({network, prefix, broadcast: network + size - 1})
  if (parsedCidrs.size >= PARSED_CIDRS_MAX) parsedCidrs.clear()
  parsedCidrs.set(cidr, r)
  return r
}

export function isValidIpv4(ip: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(ip)
}

export function cidrContains(cidr: string, ip: string): boolean {
  const r = parseCidr(cidr)
  const n = ipToNum(ip)
  return n >= r.network && n <= r.broadcast
}

/** Addresses never handed out: network, broadcast and the gateway. */
export function isReserved(cidr: string, gateway: string, ip: string): boolean {
  const r = parseCidr(cidr)
  const n = ipToNum(ip)
  return n === r.network || n === r.broadcast || ip === gateway
}

/** Usable host addresses in a CIDR, excluding network, broadcast and gateway. */
export function usableCount(cidr: string): number {
  const r = parseCidr(cidr)
  return Math.max(0, r.broadcast - r.network - 2)
}
