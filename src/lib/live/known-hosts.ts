import crypto from 'node:crypto'
import fs from 'node:fs'

/** One known_hosts entry: host patterns (plain or hashed) and the key. */
interface KnownHost { patterns: string[]; hashed?: {salt: Buffer; hash: Buffer}; keyType: string; key: string }

/** known_hosts names a non-22 port as "[host]:port". */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`
}

export function parseKnownHosts(text: string): KnownHost[] {
  const out: KnownHost[] = []
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (!line || line.startsWith('#') || line.startsWith('@revoked')) continue
    const fields = line.replace(/^@cert-authority\s+/, '').split(/\s+/)
    if (fields.length < 3) continue
    const [hosts, keyType, key] = fields as [string, string, string]
    if (hosts.startsWith('|1|')) {
      const [, , salt, hash] = hosts.split('|')
      out.push({patterns: [], hashed: {salt: Buffer.from(salt!, 'base64'), hash: Buffer.from(hash!, 'base64')}, keyType, key})
    } else {
      out.push({patterns: hosts.split(','), keyType, key})
    }
  }
  return out
}

function matches(entry: KnownHost, name: string): boolean {
  if (entry.hashed) {
    const h = crypto.createHmac('sha1', entry.hashed.salt).update(name).digest()
    return h.equals(entry.hashed.hash)
  }
  return entry.patterns.some(p => p === name)
}

export type HostKeyVerdict = 'match' | 'mismatch' | 'unknown'

/** Compare a server's key (the raw SSH key blob) with known_hosts. */
export function checkHostKey(file: string | undefined, host: string, port: number, keyBlob: Buffer): HostKeyVerdict {
  if (!file || !fs.existsSync(file)) return 'unknown'
  const name = knownHostsName(host, port)
  const presented = keyBlob.toString('base64')
  const entries = parseKnownHosts(fs.readFileSync(file, 'utf8')).filter(e => matches(e, name))
  if (entries.length === 0) return 'unknown'
  return entries.some(e => e.key === presented) ? 'match' : 'mismatch'
}
