/**
 * The one place secrets are taken out of anything fabricctl prints (errors, --debug stacks, JSON
 * documents, human output, notices). Three rules:
 * - URLs lose their userinfo (`http://user:pass@host` → `http://<redacted>@host`);
 * - every value under an `auth` key is replaced, except the keys known to be harmless
 *   (type, authUrl, username, project and domain names, the *Env variable names);
 *   an unknown key under `auth` (a misspelt `pasword:`) is treated as a secret;
 * - every secret registered here (passwords and tokens read from the context file or from the
 *   environment variables it names, as text, whatever their YAML type) is replaced wherever it
 *   appears in a string.
 * Cheap when nothing is registered: printing large documents from the sim pays one check.
 */
export const REDACTED = '<redacted>'

const secrets = new Set<string>()
/** Keys under `auth` whose values are not secret. */
const PUBLIC_AUTH_KEYS = new Set([
  'type',
  'authUrl',
  'username',
  'projectName',
  'projectId',
  'userDomain',
  'projectDomain',
  'passwordEnv',
  'tokenEnv',
])
/** Keys whose values are secret wherever they appear. */
const SECRET_KEYS = /^(password|passwd|token|secret|apikey|api_key|x-auth-token|x-subject-token|authorization)$/i
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@"'<>]*@/gi

/** Remember a secret so that it is removed from every later output (values shorter than 3 characters are not tracked). */
export function registerSecret(value: unknown): void {
  if (value === undefined || value === null || typeof value === 'object') return
  const text = String(value)
  if (text.length >= 3) secrets.add(text)
}

export function hasSecrets(): boolean {
  return secrets.size > 0
}

/** Forget every registered secret (tests). */
export function clearSecrets(): void {
  secrets.clear()
}

/** A URL's userinfo (user and password) as secrets, for URLs read from configuration. */
export function registerUrlSecrets(url: unknown): void {
  if (typeof url !== 'string') return
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/@]*)@/i.exec(url)
  if (!m) return
  registerSecret(m[1])
  for (const part of m[1]!.split(':')) {
    registerSecret(part)
    try {
      registerSecret(decodeURIComponent(part))
    } catch {
      /* not percent-encoded */
    }
  }
}

/** A string safe to print. */
export function redactText(text: string): string {
  let out = text.includes('@') ? text.replace(URL_USERINFO, `$1${REDACTED}@`) : text
  if (secrets.size > 0) {
    // Longest first, so a secret containing another is removed whole.
    for (const s of [...secrets].sort((a, b) => b.length - a.length))
      if (out.includes(s)) out = out.split(s).join(REDACTED)
  }
  return out
}

/** A deep copy of `value` safe to print (see the rules above). `underAuth`: the value sits under an `auth` key. */
export function redactValue<T>(value: T, underAuth = false): T {
  return walk(value, underAuth, 0) as T
}

function walk(value: unknown, underAuth: boolean, depth: number): unknown {
  if (typeof value === 'string') return redactText(value)
  if (value === null || typeof value !== 'object' || depth > 64) return value
  if (Array.isArray(value)) return value.map(v => walk(v, underAuth, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (underAuth && !PUBLIC_AUTH_KEYS.has(k)) out[k] = v === undefined ? v : REDACTED
    else if (SECRET_KEYS.test(k) && v !== undefined && v !== null && typeof v !== 'object') out[k] = REDACTED
    else out[k] = walk(v, underAuth || k === 'auth', depth + 1)
  }
  return out
}

/** Is this config path (e.g. ['contexts', 0, 'neutron', 'auth', 'password']) inside an `auth` object? */
export function isAuthPath(path: readonly PropertyKey[]): boolean {
  return path.includes('auth')
}
