import {describe, expect, it, onTestFinished} from 'vitest'

import {makeHome, runCli} from '../helpers/cli.js'
import {buildFabric} from '../helpers/fabric-builder.js'

/** The two fabrics were made a few milliseconds apart: compare everything but the clock. */
const withoutTimes = (s: string) => s.replaceAll(/"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"/g, '"<time>"')

describe('test fixture builder (test/helpers/fabric-builder.ts)', () => {
  it('gives the fabric `sim init` makes, in a home of its own', async () => {
    const fx = await buildFabric()
    onTestFinished(() => fx.cleanup())
    const home = makeHome()
    onTestFinished(() => home.cleanup())
    expect((await runCli(['sim', 'init'], {home})).exitCode).toBe(0)
    for (const args of [
      ['topology', 'show', '--json'],
      ['host', 'list', '--json'],
      ['port', 'list', '--limit', '5000', '--json'],
      ['leaf', 'show', 'az1-leaf01a', '--json'],
    ]) {
      const built = await fx.cli(...args)
      const inited = await runCli(args, {home})
      expect(built.exitCode, args.join(' ')).toBe(0)
      expect(built.stderr, args.join(' ')).toBe('') // no "created the default one": the fixture is a complete fabric
      expect(withoutTimes(built.stdout), args.join(' ')).toEqual(withoutTimes(inited.stdout))
    }
  })

  it('changes are seen by the CLI and stay in that fixture only', async () => {
    const [a, b] = [await buildFabric(), await buildFabric()]
    onTestFinished(() => (a.cleanup(), b.cleanup()))
    const port = a.store.portsOnHost('az1-h01')[0]!
    a.movePort(port.id, {host: null}).emptyLeaf('az1-leaf01a').fault('agent-down', 'az1-h03')
    expect((await a.cli('port', 'show', port.name, '--json')).json.port.host).toBeNull()
    expect((await b.cli('port', 'show', port.name, '--json')).json.port.host).toBe('az1-h01')
    expect((await a.cli('leaf', 'diff', 'az1-leaf01a')).exitCode).toBe(1)
    expect((await b.cli('leaf', 'diff', 'az1-leaf01a')).exitCode).toBe(0)
    expect((await a.cli('sim', 'fault', 'list', '--json')).json.faults.map((f: any) => [f.kind, f.target])).toEqual([
      ['agent-down', 'az1-h03'],
    ])
    expect(() => a.movePort('no-such-port', {host: null})).toThrow(/no port/)
    expect(() => a.emptyLeaf('no-such-leaf')).toThrow(/no leaf/)
  })
})
