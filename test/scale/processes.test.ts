import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {makeHome, runCliProcess as runCli, type TestHome} from '../helpers/cli.js'

// Real processes: what is tested is SQLite locking and the first-run race between processes.
describe('several fabricctl processes at once', () => {
  let home: TestHome
  beforeEach(() => {
    home = makeHome()
  })
  afterEach(() => home.cleanup())

  it('first runs racing create one fabric; concurrent mutations all land', async () => {
    const first = await Promise.all(Array.from({length: 4}, () => runCli(['host', 'list', '--json'], {home})))
    expect(first.map(r => r.exitCode)).toEqual([0, 0, 0, 0])
    expect(
      new Set(first.map(r => JSON.stringify(r.json.hosts.map((h: any) => [h.name, h.ovsVersion, h.kernel.version]))))
        .size,
    ).toBe(1)
    const hosts = first[0]!.json.hosts.map((h: any) => h.name).slice(0, 6)
    const injected = await Promise.all(
      hosts.map((h: string) => runCli(['sim', 'fault', 'inject', 'agent-down', '--target', h], {home})),
    )
    expect(injected.map(r => r.exitCode)).toEqual(hosts.map(() => 0))
    const list = await runCli(['sim', 'fault', 'list', '--json'], {home})
    expect(list.json.faults.map((f: any) => f.target).sort()).toEqual([...hosts].sort())
    expect(new Set(list.json.faults.map((f: any) => f.id)).size).toBe(hosts.length)
  })
})
