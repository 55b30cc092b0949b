import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import type {AddressInfo} from 'node:net'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

// In-process (35 runs: as processes they were the unit tier's slowest file), but each run starts as a process
// would: no secret registered for redaction and no Keystone token cached (`fresh`, run inside the runner's queue
// on the commands' own module instances). FABRICCTL_TEST_RUNNER=process runs them all as real processes.
import {importDist, makeHome, runCli, type TestHome} from './helpers/cli.js'

function fresh(): void {
  const redact = importDist('lib/cli/redact.js')
  const auth = importDist('lib/live/neutron/auth.js')
  redact.clearSecrets()
  auth.dropToken()
  if (redact.hasSecrets()) throw new Error('secrets still registered after clearSecrets()')
}

/**
 * Known secrets go in through every config shape of issue 20 (a numeric password, an unknown key
 * inside auth, credentials in neutron.url and in authUrl, a plain password, a password from the
 * environment, a token, and the Keystone token a loopback server hands out and then echoes in a
 * Neutron error body). Every output — stdout and stderr, human, --json, --debug — is searched for them.
 */
const SECRETS = {
  numeric: '8675309123',
  unknownKnown: 'unk-secret-A1',
  unknownKey: 'unk-secret-B2',
  urlPass: 'urlpass-C3',
  urlUser: 'neutron-user-C3',
  authUrlPass: 'authurl-D4',
  plain: 'plain-E5',
  env: 'env-F7-secret',
  token: 'tok-G8-secret',
  issued: 'subject-H9-token',
}
let home: TestHome
let server: http.Server
let base: string
const seen = {logins: [] as string[], echoedToken: 0}

beforeAll(async () => {
  home = makeHome('fabricctl-secrets-')
  server = http.createServer((req, res) => {
    let body = ''
    req.on('data', d => (body += d))
    req.on('end', () => {
      if (req.url?.endsWith('/auth/tokens')) {
        seen.logins.push(body)
        res.writeHead(201, {'Content-Type': 'application/json', 'X-Subject-Token': SECRETS.issued})
        res.end(JSON.stringify({token: {expires_at: new Date(Date.now() + 3_600_000).toISOString()}}))
        return
      }
      // A badly behaved Neutron that echoes the caller's token in its error.
      const token = String(req.headers['x-auth-token'] ?? '')
      if (token) seen.echoedToken++
      res.writeHead(400, {'Content-Type': 'application/json'}) // 4xx: not retried, keeps the test short
      res.end(
        JSON.stringify({
          NeutronError: {type: 'Boom', message: `failed for token ${token} (${req.headers['x-project-id'] ?? ''})`},
        }),
      )
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise(resolve => server.close(resolve))
  home.cleanup()
})

const auth = (extra: string) => `{type: password, authUrl: "${base}/v3", username: sre, projectName: ops, ${extra}}`
const shapesFor = (): Record<string, string> => ({
  'numeric password': `neutron: {url: "${base}", timeoutMs: 2000, auth: ${auth(`password: ${SECRETS.numeric}`)}}`,
  'unknown key inside auth': `neutron: {url: "${base}", timeoutMs: 2000, auth: ${auth(`password: ${SECRETS.unknownKnown}, pasword: ${SECRETS.unknownKey}`)}}`,
  'credentials in neutron.url': `neutron: {url: "http://${SECRETS.urlUser}:${SECRETS.urlPass}@127.0.0.1:1", timeoutMs: 2000}`,
  'credentials in authUrl': `neutron: {url: "${base}", timeoutMs: 2000, auth: {type: password, authUrl: "http://sre:${SECRETS.authUrlPass}@127.0.0.1:1/v3", username: sre, passwordEnv: SECRETS_TEST_PW, projectName: ops}}`,
  'plain password': `neutron: {url: "${base}", timeoutMs: 2000, auth: ${auth(`password: ${SECRETS.plain}`)}}`,
  'password from the environment': `neutron: {url: "${base}", timeoutMs: 2000, auth: ${auth('passwordEnv: SECRETS_TEST_PW')}}`,
  token: `neutron: {url: "${base}", timeoutMs: 2000, auth: {type: token, authUrl: "${base}/v3", token: ${SECRETS.token}, projectName: ops}}`,
})
const COMMANDS = [
  ['context', 'list'],
  ['context', 'show', '--debug'],
  ['context', 'show', '--json'],
  ['port', 'list'],
  ['port', 'list', '--json', '--debug'],
]

describe('secrets are never printed', () => {
  it('the per-run reset reaches the commands own redaction state (else the test below proves nothing)', async () => {
    const redact = importDist('lib/cli/redact.js')
    const canary = ['context', 'list', '--json']
    try {
      redact.registerSecret('az1-canary-ctx')
      const file = path.join(home.dir, 'canary.yaml')
      fs.writeFileSync(file, 'current-context: az1-canary-ctx\ncontexts:\n  - name: az1-canary-ctx\n    backend: sim\n')
      const masked = await runCli(canary, {home, env: {FABRICCTL_CONFIG: file}})
      if (process.env.FABRICCTL_TEST_RUNNER !== 'process') expect(masked.stdout).not.toContain('az1-canary-ctx')
      const shown = await runCli(canary, {home, env: {FABRICCTL_CONFIG: file}, beforeRun: fresh})
      expect(shown.json.current).toBe('az1-canary-ctx')
    } finally {
      redact.clearSecrets()
    }
  })

  it('0 hits for every secret in every output of every config shape', async () => {
    const runs: {shape: string; args: string[]; out: string}[] = []
    const jobs: (() => Promise<void>)[] = []
    for (const [shape, neutron] of Object.entries(shapesFor())) {
      const file = path.join(home.dir, `${shape.replaceAll(' ', '-')}.yaml`)
      fs.writeFileSync(file, `current-context: ctx\ncontexts:\n  - name: ctx\n    backend: live\n    ${neutron}\n`)
      for (const args of COMMANDS) {
        jobs.push(async () => {
          const r = await runCli(args, {
            home,
            env: {FABRICCTL_CONFIG: file, SECRETS_TEST_PW: SECRETS.env},
            beforeRun: fresh,
          })
          runs.push({shape, args, out: `${r.stdout}\n${r.stderr}`})
        })
      }
    }
    // A few at a time as processes (the machine is shared); in-process runs are serialised anyway.
    for (let i = 0; i < jobs.length; i += 4) await Promise.all(jobs.slice(i, i + 4).map(j => j()))

    const hits: string[] = []
    for (const r of runs)
      for (const [name, secret] of Object.entries(SECRETS))
        if (r.out.includes(secret)) hits.push(`${r.shape}: ${r.args.join(' ')}: ${name}`)
    console.log(`secret grep: ${runs.length} outputs × ${Object.keys(SECRETS).length} secrets, ${hits.length} hits`)
    expect(hits).toEqual([])
    // The secrets were really used: logins carried them, Keystone's token came back in Neutron errors.
    expect(seen.logins.some(b => b.includes(SECRETS.plain))).toBe(true)
    expect(seen.logins.some(b => b.includes(SECRETS.env))).toBe(true)
    expect(seen.logins.some(b => b.includes(SECRETS.token))).toBe(true)
    expect(seen.echoedToken).toBeGreaterThan(0)
    // And the errors still say what is wrong.
    const numeric = runs.find(r => r.shape === 'numeric password' && r.args.join(' ') === 'port list')!.out
    expect(numeric).toContain('auth.password')
    const url = runs.find(r => r.shape === 'credentials in neutron.url' && r.args.join(' ') === 'context list')!.out
    expect(url).toContain('passwordEnv')
  }, 600_000) // 35 CLI runs: seconds in-process, minutes as processes on a loaded 2-core machine
})
