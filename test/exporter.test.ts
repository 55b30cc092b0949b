import fs from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {loadProm, FabricSeries, exposition} from '../src/lib/metrics/series.js'
import {isLoopback, parseDuration, parseListen} from '../src/lib/metrics/exporter.js'
import type {Snapshot} from '../src/lib/metrics/gather.js'
import os from 'node:os'
import {render} from 'ink-testing-library'
import {createElement} from 'react'

import {simReader, type FabricHandle} from '../src/lib/fabric.js'
import {simLeafDrivers} from '../src/lib/backends/sim/leaf-drivers.js'
import {StatesView} from '../src/lib/diagnose/watch.js'
import {verifiedPortStates} from '../src/lib/metrics/verified.js'
import {injectFault} from '../src/lib/sim/faults.js'
import {generateFabric} from '../src/lib/sim/generator.js'
import {PROFILES} from '../src/lib/sim/profiles.js'
import {openDb} from '../src/lib/store/db.js'
import {FabricStore} from '../src/lib/store/fabric-store.js'
import {makeHome, ROOT, runCli, type TestHome} from './helpers/cli.js'
import {
  ensurePrometheus,
  fetchText,
  promtoolCheck,
  startExporter,
  startPrometheus,
  waitFor,
  type PromServer,
  type PromTools,
  type Proc,
} from './helpers/prometheus.js'
import {assertMatchesSchema} from './helpers/schema.js'

// The exporter and --output prometheus against the simulated fabric, checked with Debian's
// promtool and scraped by a real Prometheus on loopback (installed with apt-get when root on
// Debian; skipped with the reason elsewhere, a failure under FABRICCTL_REQUIRE_LIVE=1).
const tools = ensurePrometheus()
const skip = 'skip' in tools ? tools.skip : null
const T = tools as PromTools
const fig = (line: string) => process.stderr.write(`[exporter figures] ${line}\n`)

let home: TestHome
beforeAll(async () => {
  home = makeHome('fabricctl-exporter-')
  const r = await runCli(['sim', 'init'], {home})
  expect(r.exitCode, r.stderr).toBe(0)
})
afterAll(() => home?.cleanup())

const snap = (over: Partial<Snapshot>): Snapshot => ({
  context: 'sim',
  backend: 'sim',
  at: '2026-01-01T00:00:00.000Z',
  ...over,
})
const counts = (ok: number, notActive: number, causes: Record<string, number> = {}) => ({
  ACTIVE_ACTIVE: ok,
  NOT_ACTIVE: notActive,
  UNKNOWN: 0,
  activeButBroken: notActive,
  causes,
})

describe('series (shared by the exporter and --output prometheus)', () => {
  it('a failed part drops its series (stale) and sets its success gauge to 0; the other parts are still served', async () => {
    const prom = await loadProm()
    const registry = new prom.Registry()
    const s = new FabricSeries(prom, registry)
    const ports = {
      ok: true,
      durationMs: 5,
      data: {
        byAz: [
          {az: 'az1', state: 'ACTIVE_ACTIVE', count: 9},
          {az: 'az1', state: 'ACTIVE_ERROR', count: 1},
        ],
        byLeaf: [],
      },
    }
    s.apply(
      snap({
        ports,
        verify: {
          ok: true,
          durationMs: 20,
          data: {byAz: [{az: 'az1', counts: counts(7, 3, {'config-drift': 3})}], byLeaf: []},
        },
      }),
    )
    let text = await registry.metrics()
    expect(text).toContain('fabricctl_ports_verified{az="az1",state="NOT_ACTIVE"} 3')
    expect(text).toContain('fabricctl_ports_broken{az="az1",cause="config-drift"} 3')
    expect(text).toContain('fabricctl_gather_success{part="verify"} 1')
    expect(text).toContain('fabricctl_gather_last_success_timestamp_seconds{part="verify"} 1767225600')
    s.apply(
      snap({
        at: '2026-01-01T00:00:30.000Z',
        ports,
        verify: {ok: false, durationMs: 40, error: 'leaf az1-leaf01a timed out'},
      }),
    )
    text = await registry.metrics()
    expect(text).not.toMatch(/^fabricctl_ports_verified\{/m)
    expect(text).not.toMatch(/^fabricctl_ports_broken\{/m)
    expect(text).toContain('fabricctl_gather_success{part="verify"} 0')
    expect(text).toContain('fabricctl_gather_duration_seconds{part="verify"} 0.04')
    // The last success stays at the earlier gather; ports kept its series (0 for a state seen elsewhere).
    expect(text).toContain('fabricctl_gather_last_success_timestamp_seconds{part="verify"} 1767225600')
    expect(text).toContain('fabricctl_gather_last_success_timestamp_seconds{part="ports"} 1767225630')
    expect(text).toContain('fabricctl_ports_recorded{az="az1",state="ACTIVE_ERROR"} 1')
    // A part that is not gathered at all is not exposed.
    expect(text).not.toContain('part="audit"')
  })

  it('the textfile exposition only carries the families of the parts it gathered', async () => {
    const text = await exposition(
      snap({
        audit: {
          ok: true,
          durationMs: 1,
          data: {
            hosts: 2,
            findings: [{check: 'ovs', severity: 'error', count: 1}],
            verdicts: [{verdict: 'error', count: 1}],
          },
        },
      }),
    )
    expect(text).toContain('fabricctl_audit_findings{check="ovs",severity="error"} 1')
    expect(text).not.toContain('fabricctl_ports_recorded')
    expect(text).not.toContain('fabricctl_leaves')
  })

  it('validates --listen and --interval', () => {
    expect(parseListen('127.0.0.1:9469')).toEqual({host: '127.0.0.1', port: 9469})
    expect(parseListen('[::1]:0')).toEqual({host: '::1', port: 0})
    expect(parseListen(':9469')).toEqual({host: '127.0.0.1', port: 9469})
    for (const bad of ['9469', '127.0.0.1', '127.0.0.1:99999', 'example.com:9469', '[127.0.0.1]:1', '1.2.3.4:x'])
      expect(() => parseListen(bad), bad).toThrow(/not a listen address/)
    expect([
      isLoopback('127.0.0.2'),
      isLoopback('::1'),
      isLoopback('localhost'),
      isLoopback('0.0.0.0'),
      isLoopback('10.0.0.1'),
    ]).toEqual([true, true, true, false, false])
    const lim = {minMs: 1000, maxMs: 86_400_000}
    expect([
      parseDuration('30s', 'x', lim),
      parseDuration('1m', 'x', lim),
      parseDuration('1500ms', 'x', lim),
      parseDuration('2', 'x', lim),
    ]).toEqual([30_000, 60_000, 1500, 2000])
    for (const bad of ['0s', '500ms', '30 sec', '-1s', '2d', ''])
      expect(() => parseDuration(bad, '--interval', lim), bad).toThrow(/not a duration/)
  })
})

describe('port states --verify (sim)', () => {
  it('counts from evidence beside the records: recorded ACTIVE_ACTIVE but broken, by cause, for every --by', async () => {
    const h = makeHome('fabricctl-verify-')
    try {
      expect((await runCli(['sim', 'init'], {home: h})).exitCode).toBe(0)
      const before = await runCli(['port', 'states', '--verify', '--json'], {home: h})
      expect(before.exitCode, before.stderr).toBe(0)
      assertMatchesSchema(before.json)
      expect(before.json.verified).toMatchObject({NOT_ACTIVE: 0, UNKNOWN: 0, activeButBroken: 0, causes: {}})
      expect(before.json.verified.ACTIVE_ACTIVE).toBe(before.json.total)
      expect(
        (await runCli(['sim', 'fault', 'inject', 'config-drift', '--target', 'az1-leaf01a'], {home: h})).exitCode,
      ).toBe(0)
      const all = await runCli(['port', 'diagnose', '--all', '--json'], {home: h})
      for (const by of ['az', 'host', 'leaf', 'network']) {
        const r = await runCli(['port', 'states', '--verify', '--by', by, '--json'], {home: h})
        expect(r.exitCode, r.stderr).toBe(0)
        assertMatchesSchema(r.json)
        // The records still say every port is fine; the evidence does not — the same count diagnose --all finds.
        expect(r.json.unhealthy).toBe(0)
        expect(r.json.verified.NOT_ACTIVE).toBe(all.json.notActive)
        expect(r.json.verified.activeButBroken).toBe(all.json.staleRecords)
        expect(r.json.verified.causes).toEqual(Object.fromEntries(all.json.groups.map((g: any) => [g.cause, g.count])))
        expect(r.json.verified.NOT_ACTIVE).toBeGreaterThan(0)
        for (const g of r.json.groups)
          expect(g.verified.ACTIVE_ACTIVE + g.verified.NOT_ACTIVE + g.verified.UNKNOWN).toBe(g.total)
        const sum = r.json.groups.reduce((a: number, g: any) => a + g.verified.NOT_ACTIVE, 0)
        if (by === 'leaf')
          expect(sum).toBe(2 * r.json.verified.NOT_ACTIVE) // both leaves of the pair
        else expect(sum).toBe(r.json.verified.NOT_ACTIVE)
        expect(r.json.groups[0].verified.NOT_ACTIVE).toBeGreaterThan(0) // the most broken group first
      }
      const human = await runCli(['port', 'states', '--verify', '--by', 'leaf'], {home: h})
      expect(human.stdout).toMatch(/REC\. ACTIVE_ACTIVE BUT BROKEN/)
      expect(human.stdout).toMatch(/^config-drift\s+\d+\s+leaf-config/m)
      expect(human.stdout.split('\n')[1]).toMatch(/^az1-leaf01[ab]\s/)
    } finally {
      h.cleanup()
    }
  }, 240_000)

  it('--watch --verify: the live panel shows the verified columns and the broken causes, refreshed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabricctl-verify-watch-'))
    const store = new FabricStore(await openDb(path.join(dir, 'f.db')))
    try {
      store.tx(() => generateFabric(store, {profile: PROFILES.small, seed: 1, topology: 'spine-leaf'}))
      const fabric: FabricHandle = {
        backend: 'sim',
        context: {name: 'sim', backend: 'sim'} as never,
        store,
        reader: simReader(store),
        leafDrivers: simLeafDrivers(store),
        close: () => {},
      }
      let calls = 0
      const load = async () => {
        calls++
        return verifiedPortStates(fabric, 'leaf')
      }
      const app = render(
        createElement(StatesView, {load, intervalMs: 100, title: 'Port states by leaf, verified (test)'}),
      )
      const until = async (pred: () => boolean, ms = 10_000) => {
        const end = Date.now() + ms
        while (!pred() && Date.now() < end) await new Promise(r => setTimeout(r, 20))
        return pred()
      }
      expect(await until(() => /no broken ports/.test(app.lastFrame() ?? ''))).toBe(true)
      injectFault(store, 'config-drift', 'az1-leaf01a')
      expect(await until(() => /broken by cause: config-drift \d+/.test(app.lastFrame() ?? ''))).toBe(true)
      const frame = app.lastFrame()!
      const header = frame.split('\n').find(l => l.startsWith('LEAF'))!
      expect(header).toMatch(/VERIFIED-OK\s+NOT-ACTIVE\s+UNKNOWN\s+REC-AA-BROKEN$/)
      const broken = Number(/broken by cause: config-drift (\d+)/.exec(frame)![1])
      // The most broken leaf first; its NOT-ACTIVE and REC-AA-BROKEN columns are the drifted ports.
      expect(frame.split('\n').find(l => /^az1-leaf01[ab]/.test(l))).toMatch(
        new RegExp(`\\s${broken}\\s+0\\s+${broken}$`),
      )
      expect(calls).toBeGreaterThan(1)
      app.stdin.write('q')
      app.cleanup()
    } finally {
      store.close()
      fs.rmSync(dir, {recursive: true, force: true})
    }
  }, 60_000)

  it('--output prometheus refuses --json and --watch (exit 2)', async () => {
    for (const extra of ['--json', '--watch']) {
      const r = await runCli(['port', 'states', '--output', 'prometheus', extra], {home})
      expect(r.exitCode, r.stderr).toBe(2)
    }
  })
})

describe.skipIf(skip !== null)(
  `Prometheus exposition checked by promtool and scraped by a real Prometheus${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    it('promtool check metrics passes on port states and audit hosts --output prometheus', async () => {
      const ports = await runCli(['port', 'states', '--verify', '--output', 'prometheus'], {home})
      expect(ports.exitCode, ports.stderr).toBe(0)
      expect(ports.stdout).toMatch(/^fabricctl_ports_verified\{az="az1",state="ACTIVE_ACTIVE"\} \d+$/m)
      expect(ports.stdout).toMatch(
        /^fabricctl_leaf_ports_recorded\{az="az1",leaf="az1-leaf01a",state="ACTIVE_ACTIVE"\} \d+$/m,
      )
      const audit = await runCli(['audit', 'hosts', '--output', 'prometheus'], {home})
      expect([0, 1]).toContain(audit.exitCode) // 1: a finding at --fail-on error (the sim has old kernels)
      expect(audit.stdout).toMatch(/^fabricctl_audit_findings\{check="bpf",severity="error"\} \d+$/m)
      for (const text of [ports.stdout, audit.stdout]) {
        const c = promtoolCheck(T, `${text}\n`) // runCli strips the final newline the exposition ends with
        expect(c, c.output).toEqual({status: 0, output: ''})
      }
    }, 120_000)

    describe('fabricctl exporter scraped every second', () => {
      let exporter: Proc & {url: string}
      let prom: PromServer
      beforeAll(async () => {
        const t0 = performance.now()
        exporter = await startExporter(home.env, ['--interval', '1s'])
        prom = await startPrometheus(T, [exporter.url.replace('http://', '')])
        fig(`exporter + Prometheus ready in ${Math.round(performance.now() - t0)} ms`)
      })
      afterAll(async () => {
        await prom?.stop()
        await exporter?.stop()
      })

      const value = async (expr: string) => {
        const r = await prom.query(expr)
        return r.length === 1 ? Number(r[0]!.value[1]) : undefined
      }

      it('serves the cached gather; promtool accepts it; non-metrics paths answer 404/405', async () => {
        await waitFor('a first gather', 30_000, async () =>
          (await fetchText(`${exporter.url}/metrics`)).text.includes('fabricctl_gather_success{part="leaves"} 1')
            ? true
            : undefined,
        )
        const m = await fetchText(`${exporter.url}/metrics`)
        expect(m.status).toBe(200)
        expect(m.type).toMatch(/^text\/plain; version=0\.0\.4/)
        const c = promtoolCheck(T, m.text)
        expect(c, c.output).toEqual({status: 0, output: ''})
        for (const part of ['ports', 'verify', 'audit', 'leaves'])
          expect(m.text).toContain(`fabricctl_gather_success{part="${part}"} 1`)
        expect((await fetchText(`${exporter.url}/nope`)).status).toBe(404)
        expect(
          (await fetch(`${exporter.url}/metrics`, {method: 'POST', signal: AbortSignal.timeout(5000)})).status,
        ).toBe(405)
      })

      it('Prometheus scrapes the expected series and values, and sees a fault injected into the sim', async () => {
        const total = (await runCli(['port', 'states', '--json'], {home})).json.total as number
        await waitFor('up == 1 and the verified series in Prometheus', 30_000, async () =>
          (await value('up{job="fabricctl"}')) === 1 &&
          (await value('sum(fabricctl_ports_verified{state="ACTIVE_ACTIVE"})')) === total
            ? true
            : undefined,
        )
        expect(await value('sum(fabricctl_ports_recorded)')).toBe(total)
        expect(await value('sum(fabricctl_ports_verified{state="NOT_ACTIVE"})')).toBe(0)
        expect(await value('count(fabricctl_gather_success == 1)')).toBe(4)
        expect(await value('sum(fabricctl_leaves{status="drift"})')).toBe(0)
        expect(await value('sum(fabricctl_audit_hosts)')).toBe(
          (await runCli(['host', 'list', '--json'], {home})).json.hosts.length,
        )
        const dur = await value('scrape_duration_seconds{job="fabricctl"}')
        const samples = await value('scrape_samples_scraped{job="fabricctl"}')
        fig(
          `small sim (${total} ports): Prometheus scrape_duration_seconds ${dur?.toFixed(4)} s, scrape_samples_scraped ${samples}`,
        )

        const t0 = performance.now()
        const inject = await runCli(['sim', 'fault', 'inject', 'config-drift', '--target', 'az1-leaf01a', '--json'], {
          home,
        })
        expect(inject.exitCode, inject.stderr).toBe(0)
        const t1 = performance.now()
        try {
          await waitFor(
            'the fault in Prometheus',
            30_000,
            async () => ((await value('sum(fabricctl_ports_verified{state="NOT_ACTIVE"})'))! > 0 ? true : undefined),
            100,
          )
          const t2 = performance.now()
          fig(
            `config-drift: \`sim fault inject\` took ${Math.round(t1 - t0)} ms; visible in Prometheus ${Math.round(t2 - t1)} ms after it returned, ${Math.round(t2 - t0)} ms after it started (exporter --interval 1s, scrape_interval 1s)`,
          )
          const expected = (await runCli(['port', 'states', '--verify', '--json'], {home})).json.verified
          expect(expected.NOT_ACTIVE).toBeGreaterThan(0)
          expect(await value('sum(fabricctl_ports_verified{state="NOT_ACTIVE"})')).toBe(expected.NOT_ACTIVE)
          expect(await value('fabricctl_ports_broken{az="az1",cause="config-drift"}')).toBe(
            expected.causes['config-drift'],
          )
          expect(await value('fabricctl_ports_recorded_active_broken{az="az1"}')).toBe(expected.activeButBroken)
          expect(await value('sum(fabricctl_ports_recorded{state!="ACTIVE_ACTIVE"}) or vector(0)')).toBe(0) // the records still lie
          expect(await value('fabricctl_leaf_status{leaf="az1-leaf01a",status="drift"}')).toBe(1)
          expect(await value('fabricctl_leaf_ports_verified{leaf="az1-leaf01a",state="NOT_ACTIVE"}')).toBe(
            expected.NOT_ACTIVE,
          )
          expect(await value('fabricctl_leaf_ports_verified{leaf="az1-leaf02a",state="NOT_ACTIVE"}')).toBe(0)
        } finally {
          expect((await runCli(['sim', 'fault', 'clear', String(inject.json.fault.id)], {home})).exitCode).toBe(0)
        }
        await waitFor('the repair in Prometheus', 30_000, async () =>
          (await value('sum(fabricctl_ports_verified{state="NOT_ACTIVE"})')) === 0 ? true : undefined,
        )
      }, 180_000)

      it('a failed gather drops the series (stale), sets fabricctl_gather_success 0, and the exporter keeps serving and recovers', async () => {
        const db = fs.readdirSync(home.dir).find(f => f.endsWith('.db'))!
        const file = path.join(home.dir, db)
        fs.renameSync(file, `${file}.away`)
        fs.writeFileSync(file, 'this is not a SQLite database\n'.repeat(200))
        try {
          await waitFor('success 0 in Prometheus', 30_000, async () =>
            (await value('max(fabricctl_gather_success)')) === 0 ? true : undefined,
          )
          // Stale: the port series are gone from the instant vector, not frozen at their last value.
          await waitFor('stale port series', 10_000, async () =>
            (await prom.query('fabricctl_ports_verified')).length === 0 ? true : undefined,
          )
          expect(await value('up{job="fabricctl"}')).toBe(1)
          expect(exporter.child.exitCode).toBeNull()
          expect(exporter.stderr()).toMatch(/gather #\d+ (error|failed)/)
        } finally {
          fs.rmSync(file)
          fs.renameSync(`${file}.away`, file)
        }
        await waitFor('recovery in Prometheus', 30_000, async () =>
          (await value('min(fabricctl_gather_success)')) === 1 &&
          (await prom.query('fabricctl_ports_verified')).length > 0
            ? true
            : undefined,
        )
      }, 120_000)

      it('every query of the Grafana dashboard runs on Prometheus; the Fig 8 and broken-by-cause panels have data', async () => {
        const dash = JSON.parse(
          fs.readFileSync(path.join(ROOT, 'docs', 'grafana', 'fabricctl-port-states.json'), 'utf8'),
        )
        const exprs: {title: string; expr: string}[] = dash.panels.flatMap((p: any) =>
          (p.targets ?? []).map((t: any) => ({title: p.title, expr: t.expr})),
        )
        expect(exprs.length).toBeGreaterThan(10)
        const inject = await runCli(['sim', 'fault', 'inject', 'agent-down', '--target', 'az1-h01', '--json'], {home})
        expect(inject.exitCode, inject.stderr).toBe(0)
        try {
          await waitFor('agent-down in Prometheus', 30_000, async () =>
            ((await value('sum(fabricctl_ports_broken{cause="agent-down"})')) ?? 0) > 0 ? true : undefined,
          )
          const empty: string[] = []
          for (const {title, expr} of exprs) {
            const q = expr.replaceAll('$az', '.*').replaceAll('$leaf', '.*')
            const r = await prom.query(q) // throws on a PromQL error
            if (r.length === 0) empty.push(title)
          }
          // With one fault injected every panel has data (the drift stat is 0, not empty).
          expect(empty).toEqual([])
          const byCause = exprs.find(e => e.title === 'Broken ports by cause')!
          expect((await prom.query(byCause.expr.replaceAll('$az', '.*'))).map(r => r.metric.cause)).toEqual([
            'agent-down',
          ])
        } finally {
          expect((await runCli(['sim', 'fault', 'clear', String(inject.json.fault.id)], {home})).exitCode).toBe(0)
        }
      }, 120_000)

      it('stops cleanly on SIGTERM (exit 0, port closed)', async () => {
        const code = await exporter.stop()
        expect(code).toBe(0)
        expect(exporter.stderr()).toContain('SIGTERM, stopping')
        await expect(fetchText(`${exporter.url}/metrics`, 2000)).rejects.toThrow()
      })
    })
  },
)

describe('fabricctl exporter input (exit 2 / 4, nothing started)', () => {
  it('refuses a bad --listen or --interval with exit 2 and a non-loopback address without --allow-remote with exit 4', async () => {
    for (const [args, code, msg] of [
      [['--listen', 'localhost'], 2, /not a listen address/],
      [['--listen', '127.0.0.1:70000'], 2, /out of range/],
      [['--interval', '0s'], 2, /not a duration/],
      [['--interval', 'soon'], 2, /not a duration/],
      [['--gather', 'ports,bogus'], 2, /Unknown gather part/],
      [['--listen', '0.0.0.0:9469'], 4, /not a loopback address/],
    ] as const) {
      const r = await runCli(['exporter', ...args], {home, timeoutMs: 30_000})
      expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(code)
      expect(r.stderr).toMatch(msg)
      expect(r.stderr).toMatch(/What to do:/)
    }
  }, 180_000)
})
