import {FabricError} from '../../cli/errors.js'
import {EXIT} from '../../cli/exit-codes.js'
import type {LiveContext} from '../../context/schema.js'

/**
 * Minimal Neutron HTTP access: one request with the context's auth and a per-call timeout.
 * noauth sends the project as X-Project-Id (neutron's noauth middleware reads it); Keystone auth
 * is added by the ports capability's client (tokens are never logged or printed).
 */
export async function neutronRequest<T>(ctx: LiveContext, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const url = new URL(path.replace(/^\//, ''), ctx.neutron.url.endsWith('/') ? ctx.neutron.url : `${ctx.neutron.url}/`)
  const auth = ctx.neutron.auth
  const h: Record<string, string> = {Accept: 'application/json', ...headers}
  if (auth.type === 'noauth') h['X-Project-Id'] = auth.projectId
  if (body !== undefined) h['Content-Type'] = 'application/json'
  let res: Response
  try {
    res = await fetch(url, {method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(ctx.neutron.timeoutMs)})
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError'
    throw new FabricError({
      code: timedOut ? 'NEUTRON_TIMEOUT' : 'NEUTRON_UNREACHABLE',
      message: timedOut ? `Neutron did not answer ${method} ${url.pathname} within ${ctx.neutron.timeoutMs} ms.` : `Cannot reach Neutron at ${ctx.neutron.url}: ${(error as Error).message}.`,
      value: ctx.neutron.url,
      hint: `Check that neutron-server is up and that context "${ctx.name}" has the right neutron.url.`,
      exitCode: timedOut ? EXIT.TIMEOUT : EXIT.PARTIAL,
      cause: error,
    })
  }
  const text = await res.text()
  if (!res.ok) {
    let detail = text
    try {
      const parsed = JSON.parse(text) as {NeutronError?: {type?: string; message?: string}}
      detail = parsed.NeutronError ? `${parsed.NeutronError.type}: ${parsed.NeutronError.message}` : text
    } catch { /* not JSON: keep the text */ }
    throw new FabricError({
      code: 'NEUTRON_ERROR',
      message: `Neutron refused ${method} ${url.pathname}: HTTP ${res.status} ${detail.slice(0, 300)}`,
      value: res.status,
      hint: 'See the Neutron server log for the request.',
      details: {status: res.status, body: detail.slice(0, 2000)},
      exitCode: res.status >= 400 && res.status < 500 ? EXIT.USAGE : EXIT.PARTIAL,
    })
  }
  return (text ? JSON.parse(text) : {}) as T
}
