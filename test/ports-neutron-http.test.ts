import http from 'node:http'
import type {AddressInfo} from 'node:net'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import {dropToken} from '../src/lib/live/neutron/auth.js'
import {neutronRequest} from '../src/lib/live/neutron/http.js'
import type {FabricError} from '../src/lib/cli/errors.js'
import type {LiveContext} from '../src/lib/context/schema.js'

/**
 * Keystone does not run on this machine, so a small HTTP server on 127.0.0.1 plays Keystone v3 and
 * a misbehaving Neutron. It checks what fabricctl sends (token, retries) and what it never leaks.
 */
const TOKEN = 'gAAAAA-secret-token-value'
const PASSWORD = 's3cret-pa55'
let server: http.Server
let base: string
const calls: {method: string; url: string; token?: string}[] = []
let script: ((req: http.IncomingMessage, n: number) => [number, unknown]) | undefined

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = ''
    req.on('data', d => (body += d))
    req.on('end', () => {
      calls.push({method: req.method!, url: req.url!, token: req.headers['x-auth-token'] as string | undefined})
      if (req.url === '/identity/v3/auth/tokens') {
        const ok = JSON.parse(body).auth.identity.password?.user.password === PASSWORD
        res.writeHead(ok ? 201 : 401, ok ? {'X-Subject-Token': TOKEN, 'Content-Type': 'application/json'} : {})
        res.end(ok ? JSON.stringify({token: {expires_at: new Date(Date.now() + 3_600_000).toISOString()}}) : '')
        return
      }
      if (req.headers['x-auth-token'] !== TOKEN) {
        res.writeHead(401)
        res.end()
        return
      }
      const [status, payload] = script
        ? script(req, calls.filter(c => c.url === req.url).length)
        : [200, {networks: []}]
      res.writeHead(status, {'Content-Type': 'application/json'})
      res.end(JSON.stringify(payload))
    })
  })
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>(r => server.close(() => r())))
afterEach(() => {
  calls.length = 0
  script = undefined
  dropToken()
})

const ctx = (password = PASSWORD): LiveContext => ({
  name: 'kstest',
  backend: 'live',
  neutron: {
    url: `${base}/network`,
    timeoutMs: 5000,
    auth: {
      type: 'password',
      authUrl: `${base}/identity`,
      username: 'sre',
      password,
      projectName: 'ops',
      userDomain: 'Default',
      projectDomain: 'Default',
    },
  },
  ssh: {} as never,
  inventory: {azs: [], spines: [], leaves: [], hosts: [], instances: []},
  overlay: {} as never,
})
/** The FabricError a rejected request gave (details typed loosely, as a test reads them). */
const failure = (p: Promise<unknown>) =>
  p.then(
    () => expect.unreachable('the request succeeded'),
    (e: unknown) => e as FabricError & {details: any},
  )

describe('Neutron HTTP: Keystone v3, retries, timeouts', () => {
  it('authenticates once, caches the token, and sends it on every call', async () => {
    const c = ctx()
    for (let i = 0; i < 3; i++) await neutronRequest(c, 'GET', '/v2.0/networks')
    expect(calls.filter(x => x.url.endsWith('/auth/tokens'))).toHaveLength(1)
    expect(calls.filter(x => x.url === '/network/v2.0/networks').every(x => x.token === TOKEN)).toBe(true)
  })

  it('a refused login names the user and project, never the password', async () => {
    const err = await failure(neutronRequest(ctx('wrong-password'), 'GET', '/v2.0/networks'))
    expect(err.code).toBe('KEYSTONE_AUTH_FAILED')
    const text = JSON.stringify(err.toJSON()) + err.message + String(err.hint)
    expect(text).toContain('sre')
    expect(text).not.toContain('wrong-password')
    expect(text).not.toContain(TOKEN)
  })

  it('retries 5xx on GET with backoff, within a bound, and never retries a POST on 5xx', async () => {
    script = (_req, n) =>
      n < 3 ? [503, {NeutronError: {type: 'ServiceUnavailable', message: 'busy'}}] : [200, {networks: [{id: 'x'}]}]
    expect(await neutronRequest<any>(ctx(), 'GET', '/v2.0/networks')).toEqual({networks: [{id: 'x'}]})
    expect(calls.filter(x => x.url === '/network/v2.0/networks')).toHaveLength(3)
    calls.length = 0
    script = () => [503, {NeutronError: {type: 'ServiceUnavailable', message: 'busy'}}]
    const err = await failure(neutronRequest(ctx(), 'GET', '/v2.0/networks', undefined, {}, {retries: 2}))
    expect(err.details).toMatchObject({status: 503, attempts: 3})
    calls.length = 0
    script = () => [500, {NeutronError: {type: 'Internal', message: 'boom'}}]
    const post = await failure(neutronRequest(ctx(), 'POST', '/v2.0/ports', {port: {}}))
    expect(post.details.attempts).toBe(1)
    expect(JSON.stringify(post.toJSON())).not.toContain(TOKEN)
  })

  it('retries a retryable 409 (MacAddressInUse) even on POST, but not IpAddressGenerationFailure', async () => {
    script = (_req, n) =>
      n < 2 ? [409, {NeutronError: {type: 'MacAddressInUse', message: 'mac taken'}}] : [201, {port: {id: 'p'}}]
    expect(await neutronRequest<any>(ctx(), 'POST', '/v2.0/ports', {port: {}})).toEqual({port: {id: 'p'}})
    calls.length = 0
    script = () => [
      409,
      {NeutronError: {type: 'IpAddressGenerationFailure', message: 'No more IP addresses available'}},
    ]
    const err = await failure(neutronRequest(ctx(), 'POST', '/v2.0/ports', {port: {}}))
    expect(err.details).toMatchObject({status: 409, type: 'IpAddressGenerationFailure', attempts: 1})
  })

  it('times out per call with exit 5', async () => {
    const slow = http.createServer(() => {
      /* never answers */
    })
    await new Promise<void>(r => slow.listen(0, '127.0.0.1', r))
    const c: LiveContext = {
      ...ctx(),
      neutron: {
        url: `http://127.0.0.1:${(slow.address() as AddressInfo).port}`,
        timeoutMs: 300,
        auth: {type: 'noauth', projectId: 'p'},
      },
    }
    const t0 = Date.now()
    const err = await failure(neutronRequest(c, 'GET', '/v2.0/networks', undefined, {}, {retries: 1}))
    expect(err.code).toBe('NEUTRON_TIMEOUT')
    expect(err.exitCode).toBe(5)
    expect(Date.now() - t0).toBeLessThan(5000)
    slow.closeAllConnections()
    await new Promise<void>(r => slow.close(() => r()))
  })
})
