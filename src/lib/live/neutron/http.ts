import {FabricError} from '../../cli/errors.js'
import {EXIT} from '../../cli/exit-codes.js'
import type {LiveContext} from '../../context/schema.js'
import {redactText} from '../../cli/redact.js'
import {authHeaders, dropToken} from './auth.js'
import {describeConnectFailure, endpointText} from './connect-failure.js'

export {describeConnectFailure, endpointText, type ConnectFailure} from './connect-failure.js'

/**
 * Neutron HTTP access: the context's auth (noauth sends the project as X-Project-Id; Keystone v3
 * password/token gets a cached X-Auth-Token, see auth.ts — tokens never appear in errors or
 * output), a per-call timeout, and bounded retries with exponential backoff and jitter:
 * - a 409 whose Neutron type says "try again" (MacAddressInUse, a DB deadlock/retry) — nothing
 *   was created, so any method may retry;
 * - 5xx, and connection failures, for idempotent methods (GET, PUT, DELETE, HEAD) — a POST that
 *   failed that way may have been applied, so it is retried only when the caller says so
 *   (`retryUnsafe`), after making sure a retry cannot duplicate (e.g. unique names looked up).
 * A 401 drops the cached token and re-authenticates once.
 */
export interface NeutronCallOptions {
  /** Extra attempts after the first (default 3). */
  retries?: number
  /** Retry 5xx and connection failures of a POST too (default: only idempotent methods). */
  retryUnsafe?: boolean
  /** Per-attempt timeout (default: the context's neutron.timeoutMs). */
  timeoutMs?: number
}

/** Neutron error types a client may simply retry. */
export const RETRYABLE_CONFLICTS = new Set([
  'MacAddressInUse',
  'RetryRequest',
  'DBDeadlock',
  'StaleDataError',
  'DBConnectionError',
])
const BACKOFF_BASE_MS = 150
const BACKOFF_MAX_MS = 3000

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

export function neutronErrorType(error: unknown): string | undefined {
  return error instanceof FabricError ? (error.details?.type as string | undefined) : undefined
}

export function neutronStatus(error: unknown): number | undefined {
  return error instanceof FabricError ? (error.details?.status as number | undefined) : undefined
}

export async function neutronRequest<T>(
  ctx: LiveContext,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  opts: NeutronCallOptions = {},
): Promise<T> {
  const url = new URL(path.replace(/^\//, ''), ctx.neutron.url.endsWith('/') ? ctx.neutron.url : `${ctx.neutron.url}/`)
  const idempotent = ['GET', 'PUT', 'DELETE', 'HEAD'].includes(method.toUpperCase())
  const retries = opts.retries ?? 3
  const timeoutMs = opts.timeoutMs ?? ctx.neutron.timeoutMs
  let reauthed = false
  for (let attempt = 0; ; attempt++) {
    const last = attempt >= retries
    const backoff = () => sleep(Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt) * (0.5 + Math.random()))
    const h: Record<string, string> = {Accept: 'application/json', ...(await authHeaders(ctx)), ...headers}
    if (body !== undefined) h['Content-Type'] = 'application/json'
    let res: Response
    try {
      res = await fetch(url, {
        method,
        headers: h,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch (error) {
      if (error instanceof FabricError) throw error
      const f = describeConnectFailure(error, timeoutMs)
      if (!last && (idempotent || opts.retryUnsafe)) {
        await backoff()
        continue
      }
      const tries = `${attempt + 1} attempt${attempt ? 's' : ''}`
      // Nothing answered: not "partial" (exit 3 is for some targets answering); a time-out is exit 5.
      throw new FabricError({
        code: f.timedOut ? 'NEUTRON_TIMEOUT' : 'NEUTRON_UNREACHABLE',
        message: `Neutron at ${endpointText(url)} did not answer ${method}: ${f.reason} — ${f.detail} (${tries}).`,
        value: endpointText(ctx.neutron.url),
        hint:
          f.reason === 'DNS'
            ? `Check the host name in neutron.url of context "${ctx.name}".`
            : f.reason === 'refused'
              ? `Check that neutron-server is running and listening there, and that context "${ctx.name}" has the right neutron.url (host and port).`
              : f.timedOut
                ? `Check the network path to Neutron and its load, or raise neutron.timeoutMs of context "${ctx.name}".`
                : `Check that neutron-server is up and that context "${ctx.name}" has the right neutron.url.`,
        details: {endpoint: endpointText(url), reason: f.reason, attempts: attempt + 1},
        exitCode: f.timedOut ? EXIT.TIMEOUT : EXIT.CHECK_FAILED,
        cause: error,
      })
    }
    const text = await res.text()
    if (res.ok) return (text ? JSON.parse(text) : {}) as T
    let type: string | undefined
    let detail = text
    try {
      const parsed = JSON.parse(text) as {NeutronError?: {type?: string; message?: string}}
      if (parsed.NeutronError) {
        type = parsed.NeutronError.type
        detail = `${parsed.NeutronError.type}: ${parsed.NeutronError.message}`
      }
    } catch {
      /* not JSON: keep the text */
    }
    if (res.status === 401 && ctx.neutron.auth.type !== 'noauth' && !reauthed) {
      dropToken(ctx)
      reauthed = true
      continue
    }
    const retryable =
      (res.status === 409 && type !== undefined && RETRYABLE_CONFLICTS.has(type)) ||
      (res.status >= 500 && (idempotent || opts.retryUnsafe))
    if (retryable && !last) {
      await backoff()
      continue
    }
    throw new FabricError({
      code: res.status === 404 ? 'NEUTRON_NOT_FOUND' : 'NEUTRON_ERROR',
      message: `Neutron refused ${method} ${url.pathname}: HTTP ${res.status} ${redactText(detail.slice(0, 300))}`,
      value: res.status,
      hint: 'See the Neutron server log for the request.',
      details: {
        status: res.status,
        ...(type ? {type} : {}),
        body: redactText(detail.slice(0, 2000)),
        attempts: attempt + 1,
      },
      exitCode: res.status >= 400 && res.status < 500 ? EXIT.USAGE : EXIT.PARTIAL,
    })
  }
}
