// Why an HTTP endpoint (Neutron, Keystone) gave no answer, and how an endpoint is printed: shared by
// http.ts and auth.ts, in a module of its own so that the two do not import each other.
import {redactText} from '../../cli/redact.js'

/** Why a request got no answer, from fetch's error (undici puts the socket error in `cause`). */
export interface ConnectFailure {
  reason: 'refused' | 'timed out' | 'DNS' | 'reset' | 'TLS' | 'unreachable'
  detail: string
  timedOut: boolean
}

export function describeConnectFailure(error: unknown, timeoutMs: number): ConnectFailure {
  const e = error as {
    name?: string
    message?: string
    code?: string
    cause?: {code?: string; message?: string; errors?: {code?: string}[]}
  }
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError')
    return {reason: 'timed out', detail: `no answer within ${timeoutMs} ms`, timedOut: true}
  const cause = e?.cause
  const code = cause?.code ?? cause?.errors?.find(x => x.code)?.code ?? e?.code ?? ''
  const msg = cause?.message ?? e?.message ?? String(error)
  if (code === 'ECONNREFUSED')
    return {reason: 'refused', detail: 'connection refused (nothing listens on that port)', timedOut: false}
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME')
    return {reason: 'DNS', detail: `the host name does not resolve (${code})`, timedOut: false}
  if (
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'ETIMEDOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT'
  )
    return {reason: 'timed out', detail: `timed out (${code})`, timedOut: true}
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE')
    return {reason: 'reset', detail: `the connection was closed (${code || msg})`, timedOut: false}
  if (/bad port/i.test(msg))
    return {
      reason: 'unreachable',
      detail: "the port is on the fetch standard's blocked list (e.g. 9, 25, 6000): use another port",
      timedOut: false,
    }
  if (/CERT|SSL|TLS/i.test(code) || /certificate|TLS|SSL/i.test(msg))
    return {reason: 'TLS', detail: `TLS failed: ${msg}`, timedOut: false}
  return {reason: 'unreachable', detail: code ? `${code}: ${msg}` : msg, timedOut: false}
}

/** An endpoint as printed: origin and path, never userinfo. */
export function endpointText(url: string | URL): string {
  try {
    const u = new URL(String(url))
    u.username = ''
    u.password = ''
    return `${u.origin}${u.pathname}`
  } catch {
    return redactText(String(url))
  }
}
