import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import type {AddressInfo} from 'node:net'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {describeConnectFailure, endpointText} from '../src/lib/live/neutron/http.js'
import {makeHome, runCli, type TestHome} from './helpers/cli.js'
import {assertMatchesSchema} from './helpers/schema.js'

/** Unreachable live services, on loopback only: a closed port, a server that never answers. */
let home: TestHome
let closedPort: number
let silent: net.Server
let silentPort: number
const sockets: net.Socket[] = []

async function freePort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as AddressInfo).port
  await new Promise(resolve => s.close(resolve))
  return port
}

function writeConfig(contexts: string): void {
  fs.writeFileSync(path.join(home.dir, 'config.yaml'), `apiVersion: fabricctl/v1\nkind: Config\ncontexts:\n${contexts}`)
}

beforeAll(async () => {
  home = makeHome('fabricctl-live-errors-')
  closedPort = await freePort()
  silent = net.createServer(s => sockets.push(s)) // accepts, never answers
  await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve))
  silentPort = (silent.address() as AddressInfo).port
  writeConfig(
    [
      `  - {name: refused, backend: live, neutron: {url: "http://127.0.0.1:${closedPort}", timeoutMs: 2000}}`,
      `  - {name: silent, backend: live, neutron: {url: "http://127.0.0.1:${silentPort}", timeoutMs: 300}}`,
      `  - {name: ks-refused, backend: live, neutron: {url: "http://127.0.0.1:${silentPort}", timeoutMs: 2000, auth: {type: password, authUrl: "http://127.0.0.1:${closedPort}/v3", username: sre, passwordEnv: LIVE_ERR_PW, projectName: ops}}}`,
    ].join('\n'),
  )
})
afterAll(async () => {
  for (const s of sockets) s.destroy()
  await new Promise(resolve => silent.close(resolve))
  home.cleanup()
})

describe('unreachable live services', () => {
  it('a closed port: names the endpoint and "refused", exit 1 (nothing answered, so not partial)', async () => {
    const r = await runCli(['port', 'list', '--context', 'refused'], {home})
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toContain(`Neutron at http://127.0.0.1:${closedPort}/v2.0/ports did not answer GET: refused`)
    const j = await runCli(['network', 'list', '--context', 'refused', '--json'], {home})
    expect(j.exitCode).toBe(1)
    assertMatchesSchema(j.json)
    expect(j.json.error).toMatchObject({code: 'NEUTRON_UNREACHABLE', details: {reason: 'refused'}})
    expect(j.json.error.details.endpoint).toMatch(
      new RegExp(`^http://127.0.0.1:${closedPort}/v2.0/(networks|subnets)$`),
    )
  })

  it('a server that never answers: "timed out", exit 5', async () => {
    const r = await runCli(['port', 'list', '--context', 'silent', '--json'], {home})
    expect(r.exitCode).toBe(5)
    expect(r.json.error).toMatchObject({code: 'NEUTRON_TIMEOUT', details: {reason: 'timed out'}})
    expect(r.json.error.message).toContain(`http://127.0.0.1:${silentPort}/v2.0/ports`)
  })

  it('an unreachable Keystone: names the auth endpoint and the reason, never the password', async () => {
    const r = await runCli(['port', 'list', '--context', 'ks-refused', '--debug'], {
      home,
      env: {LIVE_ERR_PW: 'pw-from-env-4242'},
    })
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toContain(
      `Keystone at http://127.0.0.1:${closedPort}/v3/auth/tokens did not answer the login of user sre: refused`,
    )
    expect(r.stdout + r.stderr).not.toContain('pw-from-env-4242')
  })

  it('credentials in a URL are refused when the config is loaded, with a hint to use passwordEnv', async () => {
    const cfg = path.join(home.dir, 'creds.yaml')
    fs.writeFileSync(
      cfg,
      'contexts:\n  - {name: c, backend: live, neutron: {url: "http://admin:url-secret-77@127.0.0.1:1"}}\n',
    )
    const r = await runCli(['context', 'list', '--json'], {home, env: {FABRICCTL_CONFIG: cfg}})
    expect(r.exitCode).toBe(2)
    expect(r.json.error.code).toBe('CONFIG_INVALID')
    expect(r.json.error.message).toContain('passwordEnv')
    expect(r.stdout + r.stderr).not.toContain('url-secret-77')
  })

  it('classifies connection failures (DNS, refused, time-out) without a network', () => {
    expect(
      describeConnectFailure(
        Object.assign(new TypeError('fetch failed'), {
          cause: {code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND x.invalid'},
        }),
        1000,
      ).reason,
    ).toBe('DNS')
    expect(
      describeConnectFailure(Object.assign(new TypeError('fetch failed'), {cause: {code: 'ECONNREFUSED'}}), 1000)
        .reason,
    ).toBe('refused')
    expect(describeConnectFailure(new DOMException('timeout', 'TimeoutError'), 1000)).toMatchObject({
      reason: 'timed out',
      timedOut: true,
    })
    expect(
      describeConnectFailure(
        Object.assign(new TypeError('fetch failed'), {cause: {code: 'UND_ERR_CONNECT_TIMEOUT'}}),
        1000,
      ).timedOut,
    ).toBe(true)
    expect(endpointText('http://u:p@127.0.0.1:5/v3?x=1')).toBe('http://127.0.0.1:5/v3')
  })
})
