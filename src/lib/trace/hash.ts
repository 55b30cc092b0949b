import type {Flow} from './types.js'

/**
 * The deterministic hashes a trace uses to make the choices real hardware makes by hashing
 * (documented in docs/trace.md): FNV-1a, 32 bits, over a UTF-8-free ASCII key. Same flow, same
 * choice, on every machine; different flows spread over the candidates.
 */
export function fnv1a(key: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i) & 0xff
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h >>> 0
}

/** The inner 5-tuple as hashed everywhere: "proto|srcIp|dstIp|sport|dport". */
export function flowKey(f: Flow): string {
  return `${f.proto}|${f.srcIp}|${f.dstIp}|${f.sport}|${f.dport}`
}

/** Pick one of `candidates` (sorted by name first) by hashing `salt|key`. */
export function pickByHash<T extends {name: string}>(
  candidates: readonly T[],
  salt: string,
  key: string,
): {chosen: T; hash: number} | null {
  if (candidates.length === 0) return null
  const sorted = [...candidates].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const hash = fnv1a(`${salt}|${key}`)
  return {chosen: sorted[hash % sorted.length]!, hash}
}

/** VXLAN outer UDP source port from the inner flow's hash (RFC 7348 §5: 49152–65535), as Linux does. */
export function vxlanSourcePort(f: Flow): number {
  return 49_152 + (fnv1a(`vxlan|${flowKey(f)}`) % 16_384)
}

export const VXLAN_PORT = 4789
