import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/cli.js'
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
} from '../helpers/prometheus.js'
import {LAB_CONFIG, LAB_SSH_CONFIG, labSkipNote, readLabInventory, useLab} from './lab.js'

// The exporter against the live lab (test/lab): Neutron, OVS hosts over SSH, FRR leaves. A real
// Prometheus (Debian's) on loopback scrapes it every second; a leaf interface taken out of its
// network's bridge (config drift, restored in `finally`) must show in Prometheus, then go away.
const lab = await useLab() // throws instead of skipping under FABRICCTL_REQUIRE_LIVE=1
const tools = ensurePrometheus() // idem
const skipReason = !lab
  ? labSkipNote().replace(/^ \(skipped: |\)$/g, '') || 'the lab is not available'
  : 'skip' in tools
    ? tools.skip
    : null
const T = tools as PromTools

const env = {FABRICCTL_CONFIG: LAB_CONFIG, FABRICCTL_CONTEXT: 'lab', NO_COLOR: '1'}
const ssh = async (node: string, cmd: string) =>
  (await execa('ssh', ['-F', LAB_SSH_CONFIG, node, cmd], {timeout: 30_000})).stdout.trim()
const fig = (line: string) => process.stderr.write(`[exporter figures, lab] ${line}\n`)

describe.skipIf(skipReason !== null)(
  `fabricctl exporter on the live lab, scraped by a real Prometheus${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let exporter: Proc & {url: string}
    let prom: PromServer
    beforeAll(async () => {
      // Live gathers read every host and leaf over SSH: a budget well above the interval.
      exporter = await startExporter(env, ['--interval', '1s', '--timeout', '120s'])
      prom = await startPrometheus(T, [exporter.url.replace('http://', '')])
    })
    afterAll(async () => {
      await prom?.stop()
      await exporter?.stop()
    })

    const value = async (expr: string) => {
      const r = await prom.query(expr)
      return r.length === 1 ? Number(r[0]!.value[1]) : undefined
    }

    it('every part gathers from the lab; promtool accepts the exposition; Prometheus has the series', async () => {
      const t0 = performance.now()
      await waitFor(
        'a first successful gather',
        180_000,
        async () => {
          const m = (await fetchText(`${exporter.url}/metrics`)).text
          return ['ports', 'verify', 'audit', 'leaves'].every(p =>
            m.includes(`fabricctl_gather_success{part="${p}"} 1`),
          )
            ? m
            : undefined
        },
        500,
      )
      const text = (await fetchText(`${exporter.url}/metrics`)).text
      const c = promtoolCheck(T, text)
      expect(c, c.output).toEqual({status: 0, output: ''})
      expect(text).toMatch(/^fabricctl_info\{context="lab",backend="live"\} 1$/m)
      const st = await runCli(['port', 'states', '--json'], {env, timeoutMs: 60_000})
      expect(st.exitCode, st.stderr).toBe(0)
      await waitFor('the lab in Prometheus', 60_000, async () =>
        (await value('up{job="fabricctl"}')) === 1 && (await value('sum(fabricctl_ports_verified)')) !== undefined
          ? true
          : undefined,
      )
      fig(`first gather ok after ${Math.round(performance.now() - t0)} ms`)
      expect(await value('sum(fabricctl_ports_recorded)')).toBeGreaterThanOrEqual(readLabInventory()!.instances.length)
      expect(await value('sum(fabricctl_ports_verified)')).toBeGreaterThanOrEqual(readLabInventory()!.instances.length)
      expect(await value('count(fabricctl_leaf_status == 1)')).toBe(readLabInventory()!.leaves.length)
      expect(await value('sum(fabricctl_audit_hosts)')).toBe(readLabInventory()!.hosts.length)
      for (const p of ['ports', 'verify', 'audit', 'leaves'])
        fig(`gather ${p}: ${(await value(`fabricctl_gather_duration_seconds{part="${p}"}`))?.toFixed(2)} s`)
      fig(
        `scrape_duration_seconds ${(await value('scrape_duration_seconds{job="fabricctl"}'))?.toFixed(4)} s, scrape_samples_scraped ${await value('scrape_samples_scraped{job="fabricctl"}')}`,
      )
    }, 300_000)

    it('a leaf interface out of its bridge (drift) shows as a leaf in drift, then recovers; ports are broken by their true cause', async () => {
      const inv = readLabInventory()!
      const inst = inv.instances.filter(i => i.host === inv.hosts.at(-1)!.name)[0]!
      const nic = inv.hosts.find(h => h.name === inst.host)!.nics[0]!
      const drift = () => value(`fabricctl_leaf_status{leaf="${nic.leaf}",status="drift"}`)
      await waitFor('the leaf in sync', 60_000, async () => ((await drift()) === 0 ? true : undefined))
      // This lab's Neutron has no mechanism driver (DESIGN §5): every bound port is binding_failed, and the
      // exporter says so by cause, rather than counting them healthy.
      expect(await value('sum(fabricctl_ports_broken{cause="binding-failed"})')).toBeGreaterThanOrEqual(
        inv.instances.length,
      )
      const master = JSON.parse(await ssh(nic.leaf, `bridge -j link show dev ${nic.interface}`))[0].master as string
      expect(master).toMatch(/^br\d+$/)
      const t0 = performance.now()
      try {
        await ssh(nic.leaf, `ip link set dev ${nic.interface} nomaster`)
        await waitFor('the drift in Prometheus', 180_000, async () => ((await drift()) === 1 ? true : undefined), 500)
        fig(
          `drift on ${nic.leaf} ${nic.interface} visible in Prometheus after ${Math.round(performance.now() - t0)} ms`,
        )
        expect(
          await value(`fabricctl_leaf_ports_verified{leaf="${nic.leaf}",state="NOT_ACTIVE"}`),
        ).toBeGreaterThanOrEqual(1)
      } finally {
        await ssh(nic.leaf, `ip link set dev ${nic.interface} master ${master}`)
      }
      await waitFor('the repair in Prometheus', 180_000, async () => ((await drift()) === 0 ? true : undefined), 500)
    }, 420_000)

    it('stops cleanly on SIGTERM', async () => {
      expect(await exporter.stop()).toBe(0)
      expect(exporter.stderr()).toContain('SIGTERM, stopping')
    }, 60_000)
  },
)
