import crypto from 'node:crypto'
import fs from 'node:fs'

/** One known_hosts entry: host patterns (plain or hashed) and the key. */
interface KnownHost {
  patterns: string[]
  hashed?: {salt: Buffer; hash: Buffer}
  keyType: string
  key: string
  marker?: 'cert-authority' | 'revoked'
}

/** known_hosts names a non-22 port as "[host]:port". */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`
}

export function parseKnownHosts(text: string): KnownHost[] {
  const out: KnownHost[] = []
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (!line || line.startsWith('#')) continue
    const marker = /^@(cert-authority|revoked)\s+/.exec(line)?.[1] as KnownHost['marker']
    const fields = line.replace(/^@(cert-authority|revoked)\s+/, '').split(/\s+/)
    if (fields.length < 3) continue
    const [hosts, keyType, key] = fields as [string, string, string]
    if (hosts.startsWith('|1|')) {
      const [, , salt, hash] = hosts.split('|')
      out.push({
        patterns: [],
        hashed: {salt: Buffer.from(salt!, 'base64'), hash: Buffer.from(hash!, 'base64')},
        keyType,
        key,
        marker,
      })
    } else {
      out.push({patterns: hosts.split(','), keyType, key, marker})
    }
  }
  return out
}

/** OpenSSH pattern: `*` and `?` wildcards, `!` negates (a negated match excludes the entry). */
function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replaceAll(/[.+^${}()|\\]/g, '\\$&')
      .replaceAll('*', '.*')
      .replaceAll('?', '.')}$`,
  )
  return re.test(name)
}

function matches(entry: KnownHost, name: string): boolean {
  if (entry.hashed) {
    const h = crypto.createHmac('sha1', entry.hashed.salt).update(name).digest()
    return h.equals(entry.hashed.hash)
  }
  let hit = false
  for (const p of entry.patterns) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), name)) return false
    } else if (p === name || globMatch(p, name)) {
      hit = true
    }
  }
  return hit
}

/** The key type named inside an SSH public-key blob (its first string). */
export function keyBlobType(blob: Buffer): string | null {
  if (blob.length < 4) return null
  const n = blob.readUInt32BE(0)
  return n > 0 && n < 64 && blob.length >= 4 + n ? blob.subarray(4, 4 + n).toString('latin1') : null
}

/** Host-key types known_hosts holds for a host: the client should ask the server for these (OpenSSH does the same). */
export function knownKeyTypes(file: string | undefined, host: string, port: number): string[] {
  if (!file || !fs.existsSync(file)) return []
  const name = knownHostsName(host, port)
  return [
    ...new Set(
      parseKnownHosts(fs.readFileSync(file, 'utf8'))
        .filter(e => !e.marker && matches(e, name))
        .map(e => e.keyType),
    ),
  ]
}

export type HostKeyVerdict = 'match' | 'mismatch' | 'unknown' | 'revoked'

/**
 * Compare a server's key (the raw SSH key blob) with known_hosts. A key of a type known_hosts has
 * no entry for is 'unknown' (as OpenSSH treats it); a different key of a known type is 'mismatch';
 * a key listed under @revoked is refused.
 */
export function checkHostKey(file: string | undefined, host: string, port: number, keyBlob: Buffer): HostKeyVerdict {
  if (!file || !fs.existsSync(file)) return 'unknown'
  const name = knownHostsName(host, port)
  const presented = keyBlob.toString('base64')
  const all = parseKnownHosts(fs.readFileSync(file, 'utf8'))
  if (all.some(e => e.marker === 'revoked' && e.key === presented)) return 'revoked'
  const entries = all.filter(e => !e.marker && matches(e, name))
  if (entries.some(e => e.key === presented)) return 'match'
  const type = keyBlobType(keyBlob)
  const sameType = entries.filter(e => type === null || e.keyType === type)
  return sameType.length === 0 ? 'unknown' : 'mismatch'
}
