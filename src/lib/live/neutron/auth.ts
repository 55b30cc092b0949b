import {FabricError} from '../../cli/errors.js'
import {EXIT} from '../../cli/exit-codes.js'
import type {LiveContext} from '../../context/schema.js'
import {registerSecret} from '../../cli/redact.js'
import {describeConnectFailure, endpointText} from './connect-failure.js'

/**
 * Keystone v3 authentication for Neutron calls: password or token method, project-scoped.
 * The token is cached in memory (per process, per identity) until a minute before it expires and
 * is never printed, logged or put in an error: errors name the auth URL, the user and the
 * project, never the secret.
 */
interface Cached {
  token: string
  expiresAt: number
}
const cache = new Map<string, Cached>()
const REFRESH_MARGIN_MS = 60_000

type Auth = LiveContext['neutron']['auth']

function cacheKey(auth: Auth): string {
  if (auth.type === 'password')
    return `password|${auth.authUrl}|${auth.userDomain}|${auth.username}|${auth.projectDomain}|${auth.projectName}`
  if (auth.type === 'token')
    return `token|${auth.authUrl}|${auth.projectDomain}|${auth.projectName}|${auth.tokenEnv ?? ''}`
  return 'noauth'
}

function secret(value: string | undefined, env: string | undefined, what: string, ctx: LiveContext): string {
  const v = value ?? (env ? process.env[env] : undefined)
  registerSecret(v)
  if (!v) {
    throw new FabricError({
      code: 'AUTH_CONFIG',
      message: `Context "${ctx.name}" uses Keystone ${what} auth but no ${what} is set${env ? ` ($${env} is empty)` : ''}.`,
      value: ctx.name,
      hint: `Set neutron.auth.${what}Env to an environment variable holding it (preferred), or neutron.auth.${what} in the context file.`,
      exitCode: EXIT.USAGE,
    })
  }
  return v
}

function tokensUrl(authUrl: string): string {
  const base = authUrl.replace(/\/+$/, '')
  return /\/v3$/.test(base) ? `${base}/auth/tokens` : `${base}/v3/auth/tokens`
}

/** Forget cached tokens (after a 401, or in tests). */
export function dropToken(ctx?: LiveContext): void {
  if (ctx) cache.delete(cacheKey(ctx.neutron.auth))
  else cache.clear()
}

/** Headers that authenticate a Neutron request for this context. */
export async function authHeaders(ctx: LiveContext): Promise<Record<string, string>> {
  const auth = ctx.neutron.auth
  if (auth.type === 'noauth') return {'X-Project-Id': auth.projectId}
  const key = cacheKey(auth)
  const hit = cache.get(key)
  if (hit && hit.expiresAt - REFRESH_MARGIN_MS > Date.now()) return {'X-Auth-Token': hit.token}
  const identity =
    auth.type === 'password'
      ? {
          methods: ['password'],
          password: {
            user: {
              name: auth.username,
              domain: {name: auth.userDomain},
              password: secret(auth.password, auth.passwordEnv, 'password', ctx),
            },
          },
        }
      : {methods: ['token'], token: {id: secret(auth.token, auth.tokenEnv, 'token', ctx)}}
  const body = {auth: {identity, scope: {project: {name: auth.projectName, domain: {name: auth.projectDomain}}}}}
  const url = tokensUrl(auth.authUrl)
  const who = auth.type === 'password' ? `user ${auth.username}` : 'the given token'
  let res: Response
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {'Content-Type': 'application/json', Accept: 'application/json'},
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(ctx.neutron.timeoutMs),
    })
  } catch (error) {
    const f = describeConnectFailure(error, ctx.neutron.timeoutMs)
    throw new FabricError({
      code: f.timedOut ? 'KEYSTONE_TIMEOUT' : 'KEYSTONE_UNREACHABLE',
      message: `Keystone at ${endpointText(url)} did not answer the login of ${who}: ${f.reason} — ${f.detail}.`,
      value: endpointText(auth.authUrl),
      hint: f.timedOut
        ? `Check the network path to Keystone, or raise neutron.timeoutMs of context "${ctx.name}".`
        : `Check that Keystone is up and neutron.auth.authUrl of context "${ctx.name}".`,
      details: {endpoint: endpointText(url), reason: f.reason},
      exitCode: f.timedOut ? EXIT.TIMEOUT : EXIT.CHECK_FAILED,
    })
  }
  const token = res.headers.get('x-subject-token')
  const text = await res.text()
  if (!res.ok || !token) {
    throw new FabricError({
      code: 'KEYSTONE_AUTH_FAILED',
      message: `Keystone at ${endpointText(auth.authUrl)} refused ${who} for project ${auth.projectName}: HTTP ${res.status}.`,
      value: endpointText(auth.authUrl),
      hint: 'Check the credentials, the user and project domains, and that the user has a role on the project.',
      exitCode: EXIT.USAGE,
    })
  }
  let expiresAt = Date.now() + 3_600_000
  try {
    const parsed = JSON.parse(text) as {token?: {expires_at?: string}}
    if (parsed.token?.expires_at) expiresAt = Date.parse(parsed.token.expires_at)
  } catch {
    /* keep the default lifetime */
  }
  registerSecret(token)
  cache.set(key, {token, expiresAt})
  return {'X-Auth-Token': token}
}
