import fs from 'node:fs'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {makeHome, ROOT, runCli, type TestHome} from '../helpers/cli.js'
import {assertMatchesSchema} from '../helpers/schema.js'

let home: TestHome
beforeEach(() => {
  home = makeHome()
})
afterEach(() => home.cleanup())

describe('first run and read commands', () => {
  it('creates the default small fabric on first use and says so on stderr only', async () => {
    const r = await runCli(['topology', 'show', '--json'], {home})
    expect(r.exitCode).toBe(0)
    expect(r.stderr).toMatch(/created the default one \(profile small, seed 1/)
    assertMatchesSchema(r.json)
    expect(r.json.totals).toMatchObject({azs: 1, hosts: 10})
    expect(fs.existsSync(path.join(home.dir, 'sim.db'))).toBe(true)
    const again = await runCli(['topology', 'show', '--json'], {home})
    expect(again.stderr).toBe('')
  })

  it('two inits with the same seed give byte-identical topology JSON', async () => {
    const out: string[] = []
    for (let i = 0; i < 2; i++) {
      expect((await runCli(['sim', 'init', '--seed', '42', '--force'], {home})).exitCode).toBe(0)
      out.push((await runCli(['topology', 'show', '--json'], {home})).stdout)
    }
    expect(out[0]).toBe(out[1])
    await runCli(['sim', 'init', '--seed', '43', '--force'], {home})
    const hostsA = (await runCli(['host', 'list', '--json'], {home})).json.hosts
    await runCli(['sim', 'init', '--seed', '42', '--force'], {home})
    const hostsB = (await runCli(['host', 'list', '--json'], {home})).json.hosts
    expect(JSON.stringify(hostsA)).not.toBe(JSON.stringify(hostsB))
  })

  it('lists and filters hosts, networks and leaves, with documented JSON', async () => {
    const hosts = await runCli(['host', 'list', '--json', '--leaf', 'az1-leaf01a'], {home})
    assertMatchesSchema(hosts.json)
    expect(hosts.json.hosts.length).toBe(5)
    expect(hosts.json.hosts.every((h: any) => h.nics.some((n: any) => n.switch === 'az1-leaf01a'))).toBe(true)
    const qbr = await runCli(['host', 'list', '--json', '--plugging', 'qbr'], {home})
    expect(qbr.json.hosts.length).toBeGreaterThan(0)
    expect(qbr.json.hosts.every((h: any) => h.plugging === 'qbr')).toBe(true)
    const nets = await runCli(['network', 'list', '--label', 'prod-env', '--json'], {home})
    assertMatchesSchema(nets.json)
    expect(nets.json.networks.map((n: any) => n.name)).toEqual(['prod-a', 'prod-b'])
    const leaves = await runCli(['leaf', 'list', '--json'], {home})
    assertMatchesSchema(leaves.json)
    expect(leaves.json.leaves).toHaveLength(4)
    const all = await runCli(['leaf', 'list', '--all-roles', '--json'], {home})
    expect(all.json.leaves.filter((s: any) => s.role === 'spine')).toHaveLength(2)
    for (const [cmd, name] of [
      ['host', 'az1-h01'],
      ['network', 'prod-a'],
      ['leaf', 'az1-leaf01a'],
    ] as const) {
      const r = await runCli([cmd, 'show', name, '--json'], {home})
      expect(r.exitCode).toBe(0)
      assertMatchesSchema(r.json)
    }
    const human = await runCli(['host', 'list'], {home})
    expect(human.stdout.split('\n')[0]).toMatch(/^NAME\s+AZ\s+ROLE/)
    expect(human.stdout).not.toMatch(/\u001B\[/)
  })

  it('prints a Graphviz graph with --format dot', async () => {
    const r = await runCli(['topology', 'show', '--format', 'dot'], {home})
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toMatch(/^graph fabric \{/)
    expect(r.stdout).toContain('"az1-h01" -- "az1-leaf01a"')
    expect(r.stdout).toContain('"az1-leaf01a" -- "az1-spine1"')
  })
})

describe('bad input exits 2 with a one-paragraph error and changes nothing', () => {
  it('bad flags, unknown names and bad flag values', async () => {
    await runCli(['sim', 'init'], {home})
    const before = fs.readFileSync(path.join(home.dir, 'sim.db'))
    for (const args of [
      ['host', 'list', '--bogus'],
      ['host', 'show', 'no-such-host'],
      ['network', 'show', 'no-such-net'],
      ['leaf', 'show', 'no-such-leaf'],
      ['sim', 'fault', 'inject', 'no-such-kind', '--target', 'x'],
      ['sim', 'fault', 'inject', 'agent-down', '--target', 'no-such-host'],
      ['sim', 'init', '--profile', 'huge'],
      ['topology', 'show', '--az', 'az9'],
      ['--context', 'nope', 'host', 'list'],
    ]) {
      const r = await runCli(args, {home})
      expect(r.exitCode, args.join(' ')).toBe(2)
      expect(r.stdout, args.join(' ')).toBe('')
      expect(r.stderr, args.join(' ')).toMatch(/^Error: .+\nWhat to do: .+\n?$/)
      expect(r.stderr).not.toMatch(/\s+at .+\.js:\d+/)
      const j = await runCli([...args, '--json'], {home})
      expect(j.exitCode).toBe(2)
      assertMatchesSchema(j.json)
      expect(j.json.error.hint).toBeTruthy()
    }
    expect(fs.readFileSync(path.join(home.dir, 'sim.db')).equals(before)).toBe(true)
  })

  it('a malformed context file names the file and the key', async () => {
    const file = home.env.FABRICCTL_CONFIG!
    const cases: [string, RegExp][] = [
      ['contexts: [\n', /YAML syntax/],
      [
        'contexts:\n  - name: lab\n    backend: live\n    neutron: {url: "not a url"}\n',
        /at "contexts\.0\.neutron\.url".*got "not a url"/,
      ],
      ['contexts:\n  - name: lab\n    backend: sim\n    colour: blue\n', /at "contexts\.0".*colour/],
      ['contexts:\n  - name: lab\n    backend: moon\n', /at "contexts\.0\.backend"/],
    ]
    for (const [text, pattern] of cases) {
      fs.writeFileSync(file, text)
      const r = await runCli(['context', 'list'], {home})
      expect(r.exitCode).toBe(2)
      expect(r.stderr).toContain(file)
      expect(r.stderr).toMatch(pattern)
      expect(fs.readFileSync(file, 'utf8')).toBe(text)
    }
  })

  it('with --debug a stack trace follows the error', async () => {
    const r = await runCli(['host', 'show', 'nope', '--debug'], {home})
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toMatch(/at .+\.js:\d+/)
  })
})

describe('contexts', () => {
  it('lists the built-in sim, uses and shows file contexts with secrets redacted', async () => {
    fs.writeFileSync(
      home.env.FABRICCTL_CONFIG!,
      [
        'contexts:',
        '  - name: prod',
        '    backend: live',
        '    neutron:',
        '      url: http://127.0.0.1:1',
        '      auth: {type: password, authUrl: "http://127.0.0.1:2/v3", username: admin, password: s3cret, projectName: admin}',
        '    inventory:',
        '      hosts: [{name: h1, az: az1, address: 127.0.0.1, nics: [{name: eth0, leaf: l1, interface: swp1}]}]',
        '',
      ].join('\n'),
    )
    const list = await runCli(['context', 'list', '--json'], {home})
    assertMatchesSchema(list.json)
    expect(list.json.contexts.map((c: any) => c.name)).toEqual(['sim', 'prod'])
    expect(list.json.current).toBe('sim')
    const use = await runCli(['context', 'use', 'prod', '--json'], {home})
    assertMatchesSchema(use.json)
    expect((await runCli(['context', 'list', '--json'], {home})).json.current).toBe('prod')
    const show = await runCli(['context', 'show', '--json'], {home})
    assertMatchesSchema(show.json)
    expect(show.stdout).not.toContain('s3cret')
    expect(show.json.context.neutron.auth.password).toBe('<redacted>')
    const hosts = await runCli(['host', 'list', '--json'], {home})
    expect(hosts.json.hosts.map((h: any) => h.name)).toEqual(['h1'])
    expect((await runCli(['host', 'list', '--json'], {home, env: {FABRICCTL_CONTEXT: 'sim'}})).json.hosts).toHaveLength(
      10,
    )
    expect((await runCli(['host', 'list', '--json', '--context', 'sim'], {home})).json.hosts).toHaveLength(10)
    expect((await runCli(['context', 'use', 'missing'], {home})).exitCode).toBe(2)
  })
})

describe('faults', () => {
  it('injects, lists and clears faults, and clearing puts back what a world fault changed', async () => {
    await runCli(['sim', 'init'], {home})
    const leafBefore = (await runCli(['leaf', 'show', 'az1-leaf01a', '--json'], {home})).json.running
    const inj = await runCli(
      ['sim', 'fault', 'inject', 'config-drift', '--target', 'az1-leaf01a', '--interface', 'Ethernet2', '--json'],
      {home},
    )
    expect(inj.exitCode).toBe(0)
    assertMatchesSchema(inj.json)
    const drifted = (await runCli(['leaf', 'show', 'az1-leaf01a', '--json'], {home})).json.running
    expect(drifted.interfaces.Ethernet2?.vlans ?? []).toHaveLength(leafBefore.interfaces.Ethernet2.vlans.length - 1)
    expect((await runCli(['sim', 'fault', 'inject', 'agent-down', '--target', 'az1-h03'], {home})).exitCode).toBe(0)
    const host = (await runCli(['host', 'show', 'az1-h03', '--json'], {home})).json.host
    expect(host.agentAlive).toBe(false)
    expect(Date.now() - Date.parse(host.agentHeartbeatAt)).toBeGreaterThan(60_000)
    const dup = await runCli(['sim', 'fault', 'inject', 'agent-down', '--target', 'az1-h03'], {home})
    expect(dup.exitCode).toBe(2)
    const list = await runCli(['sim', 'fault', 'list', '--json'], {home})
    assertMatchesSchema(list.json)
    expect(list.json.faults.map((f: any) => f.kind)).toEqual(['config-drift', 'agent-down'])
    const cleared = await runCli(['sim', 'fault', 'clear', '--all', '--json'], {home})
    assertMatchesSchema(cleared.json)
    expect(cleared.json.cleared).toHaveLength(2)
    expect((await runCli(['leaf', 'show', 'az1-leaf01a', '--json'], {home})).json.running).toEqual(leafBefore)
    expect((await runCli(['host', 'show', 'az1-h03', '--json'], {home})).json.host.agentAlive).toBe(true)
    expect((await runCli(['sim', 'fault', 'clear', '99'], {home})).exitCode).toBe(2)
  })
})

describe('help', () => {
  it('every command has --help with examples and the exit codes', async () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8'))
    const ids = Object.keys(manifest.commands)
    expect(ids.length).toBeGreaterThan(10)
    for (const id of ids) {
      expect(manifest.commands[id].examples?.length ?? 0, `${id} has no examples`).toBeGreaterThan(0)
    }
    for (const id of ['host:list', 'sim:fault:inject', 'topology:show']) {
      const r = await runCli([...id.split(':'), '--help'], {home})
      expect(r.exitCode).toBe(0)
      expect(r.stdout).toContain('EXAMPLES')
      expect(r.stdout).toContain('EXIT CODES')
      expect(r.stdout).toMatch(/3\s+partial/)
    }
  })
})
