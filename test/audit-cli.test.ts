// `fabricctl audit hosts` as a user runs it: the simulated fabric (every check and verdict, faults,
// JSON and NDJSON against their schemas, exit codes, bad usage) and --local on this real machine.
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {makeHome, runCli, type TestHome} from './helpers/cli.js'
import {assertMatchesSchema} from './helpers/schema.js'

let home: TestHome
beforeAll(async () => {
  home = makeHome('fabricctl-audit-cli-')
  const r = await runCli(['sim', 'init', '--json'], {home})
  expect(r.exitCode).toBe(0)
})
afterAll(() => home.cleanup())

describe('audit hosts on the simulated fabric', () => {
  it('audits every host: report matches its schema, every check ran, verdicts ok/warning/error all present', async () => {
    const r = await runCli(['audit', 'hosts', '--json'], {home})
    expect(r.exitCode).toBe(1) // the small fabric has error findings (kernel < 4.8) and --fail-on defaults to error
    assertMatchesSchema(r.json)
    const rep = r.json
    expect(rep.kind).toBe('AuditReport')
    expect(rep.source).toBe('sim')
    expect(rep.hosts).toHaveLength(10)
    expect(rep.summary.hosts).toBe(10)
    for (const v of ['ok', 'warning', 'error']) expect(rep.summary.byVerdict[v]).toBeGreaterThan(0)
    for (const h of rep.hosts) expect(h.checks.map((c: any) => c.check)).toEqual(['ovs', 'bridges', 'bpf', 'nic'])
    const ids = new Set(rep.hosts.flatMap((h: any) => h.findings.map((f: any) => f.id)))
    for (const id of [
      'ovs.known-bug.ovs-mirror-egress-only',
      'bridges.linux-bridge-plugging',
      'bridges.direct-plugging',
      'bpf.kernel-version',
      'bpf.config-unknown',
      'bpf.bpffs-not-mounted',
      'nic.legacy-speed',
    ]) {
      expect(ids, id).toContain(id)
    }
    expect(rep.summary.instances.qbr).toBeGreaterThan(0)
    const qbr = rep.hosts.find((h: any) => h.facts?.instances?.qbr > 0)
    expect(qbr.facts.instances.maxPathHops).toBe(24)
    expect(r.stderr).toBe('') // no TTY: no live view
  })

  it('prints a human summary and per-host detail with --verbose', async () => {
    const r = await runCli(['audit', 'hosts', '--check', 'bridges', '--verbose'], {home})
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toMatch(/^Audited 10 host\(s\) from the simulated fabric/)
    expect(r.stdout).toMatch(/VERDICT\s+HOSTS/)
    expect(r.stdout).toMatch(/CHECK\s+ERROR\s+WARNING\s+UNKNOWN\s+INFO\nbridges/)
    expect(r.stdout).toMatch(/plugged directly \(18-hop paths\), \d+ through a Linux bridge \(24-hop paths\)/)
    expect(r.stdout).toMatch(/\[warning\] bridges\.linux-bridge-plugging: .*\n\s+sim: ovs_ports: qbr-plugged: qvo/)
    expect(r.stdout).toMatch(
      /one end \(12 hops\): vnic \(in the instance\) → tap\S+ → qbr\S+ → qvb\S+ → qvo\S+ → br-int/,
    )
  })

  it('--fail-on warning turns warnings into exit 1; selected hosts only', async () => {
    const all = (await runCli(['audit', 'hosts', '--json'], {home})).json
    const warnOnly = all.hosts.find((h: any) => h.verdict === 'warning').host
    const ok = all.hosts.find((h: any) => h.verdict === 'ok').host
    const a = await runCli(['audit', 'hosts', warnOnly, ok, '--json'], {home})
    expect(a.exitCode).toBe(0)
    expect(a.json.hosts.map((h: any) => h.host)).toEqual([warnOnly, ok])
    expect((await runCli(['audit', 'hosts', warnOnly, '--fail-on', 'warning', '--json'], {home})).exitCode).toBe(1)
    expect((await runCli(['audit', 'hosts', ok, '--fail-on', 'warning', '--json'], {home})).exitCode).toBe(0)
  })

  it('sees injected ovs-down and nic-down faults, and their clearing', async () => {
    const all = (await runCli(['audit', 'hosts', '--json'], {home})).json
    const target = all.hosts.find(
      (h: any) => h.verdict === 'ok' && h.checks.find((c: any) => c.check === 'ovs').status === 'pass',
    ).host
    for (const kind of ['ovs-down', 'nic-down'])
      expect((await runCli(['sim', 'fault', 'inject', kind, '--target', target, '--json'], {home})).exitCode).toBe(0)
    try {
      const r = await runCli(['audit', 'hosts', target, '--json'], {home})
      expect(r.exitCode).toBe(1)
      const h = r.json.hosts[0]
      expect(h.verdict).toBe('error')
      expect(h.findings.find((f: any) => f.id === 'ovs.not-running').severity).toBe('error')
      expect(h.findings.find((f: any) => f.id === 'nic.member-down').title).toMatch(/eth1 is down/)
      expect(h.checks.find((c: any) => c.check === 'bridges').status).toBe('unknown')
    } finally {
      await runCli(['sim', 'fault', 'clear', '--all', '--json'], {home})
    }
    const after = await runCli(['audit', 'hosts', target, '--json'], {home})
    expect(after.json.hosts[0].verdict).toBe('ok')
  })

  it('--output ndjson streams one AuditHost per line', async () => {
    const r = await runCli(['audit', 'hosts', '--az', 'az1', '--output', 'ndjson'], {home})
    const lines = r.stdout.trim().split('\n')
    expect(lines).toHaveLength(10)
    for (const line of lines) {
      const doc = JSON.parse(line)
      expect(doc.kind).toBe('AuditHost')
      assertMatchesSchema(doc)
    }
  })

  it('--catalogue adds a site bug that then flags hosts', async () => {
    const file = path.join(home.dir, 'site.yaml')
    fs.writeFileSync(
      file,
      'kind: OvsKnownBugs\nbugs:\n  - id: site-317\n    title: our 3.1 flow-limit regression\n    severity: error\n    affected: [">=3.1.0 <3.1.5"]\n    references: ["https://example.org/ovs/317"]\n    remediation: Upgrade to 3.1.5.\n',
    )
    const r = await runCli(['audit', 'hosts', '--check', 'ovs', '--catalogue', file, '--json'], {home})
    assertMatchesSchema(r.json)
    const hit = r.json.hosts.filter((h: any) => h.findings.some((f: any) => f.id === 'ovs.known-bug.site-317'))
    expect(hit.length).toBeGreaterThan(0)
    expect(hit.every((h: any) => h.facts.ovsVersion.startsWith('3.1.0'))).toBe(true)
    expect(r.json.catalogue.bugs.map((b: any) => b.id)).toContain('site-317')
  })

  it('rejects bad usage with exit 2 and changes nothing', async () => {
    for (const args of [
      ['nope-host'],
      ['--check', 'cpu'],
      ['--az', 'az9'],
      ['--catalogue', '/nonexistent.yaml'],
      ['--local', 'az1-h01'],
      ['--json', '--output', 'ndjson'],
    ]) {
      const r = await runCli(['audit', 'hosts', ...args, '--json'], {home})
      expect(r.exitCode, args.join(' ')).toBe(2)
      assertMatchesSchema(r.json)
      expect(r.json.error.hint).toBeTruthy()
    }
  })

  it('has --help with examples and the exit codes', async () => {
    const r = await runCli(['audit', 'hosts', '--help'])
    expect(r.stdout).toMatch(/EXAMPLES/)
    expect(r.stdout).toMatch(/--output ndjson/)
    expect(r.stdout).toMatch(/3 {2}partial/)
  })
})

describe('audit hosts --local on this machine', () => {
  it('reads the real kernel config from /proc/config.gz and the real bpffs/JIT/bpftool state', async () => {
    const r = await runCli(['audit', 'hosts', '--local', '--json'], {home})
    assertMatchesSchema(r.json)
    expect([0, 1]).toContain(r.exitCode)
    expect(r.json.source).toBe('local')
    const h = r.json.hosts[0]
    expect(h.facts.kernel).toBe(fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim())
    // What the program reports is checked against this machine's files, read here independently —
    // whatever they say (the test asserts the program, not the machine's kernel configuration).
    const file = fs.existsSync('/proc/config.gz') ? '/proc/config.gz' : `/boot/config-${h.facts.kernel}`
    const text = file.endsWith('.gz')
      ? zlib.gunzipSync(fs.readFileSync(file)).toString('utf8')
      : fs.readFileSync(file, 'utf8')
    const config = new Map<string, string>()
    for (const line of text.split('\n')) {
      const set = /^(CONFIG_\w+)=(.*)$/.exec(line)
      const unset = /^# (CONFIG_\w+) is not set$/.exec(line)
      if (set) config.set(set[1]!, set[2]!)
      else if (unset) config.set(unset[1]!, 'n')
    }
    expect(config.size).toBeGreaterThan(100)
    const value = (flag: string) => config.get(flag) ?? 'n'
    const find = (id: string) => h.findings.find((f: any) => f.id === id)
    expect(find('bpf.config-unknown')).toBeUndefined()
    const cfgFindings = h.findings.filter((f: any) => /^bpf\.config/.test(f.id))
    expect(cfgFindings.map((f: any) => f.id)).toContain(find('bpf.config') ? 'bpf.config' : 'bpf.config-missing')
    // Every FLAG=value the report quotes is what the file says (the not-set ones too).
    const quoted = cfgFindings
      .flatMap((f: any) => f.evidence.map((e: any) => (expect(e.source).toBe(file), e.value as string)))
      .flatMap((v: string) => [...v.matchAll(/(CONFIG_\w+)=(\S+)/g)].map(m => [m[1]!, m[2]!] as const))
    expect(quoted.length).toBeGreaterThanOrEqual(10)
    for (const [flag, v] of quoted) expect(v, flag).toBe(value(flag))
    // Options an eBPF dataplane cannot do without: each one the file lacks is named in bpf.config-missing.
    const required = [
      'CONFIG_BPF',
      'CONFIG_BPF_SYSCALL',
      'CONFIG_BPF_JIT',
      'CONFIG_NET_CLS_BPF',
      'CONFIG_NET_SCH_INGRESS',
      'CONFIG_CGROUP_BPF',
    ]
    const named = (find('bpf.config-missing')?.evidence ?? []).map((e: any) => String(e.value).split('=')[0])
    expect(required.filter(f => !['y', 'm'].includes(value(f)) && !named.includes(f))).toEqual([])
    // A base option, both ways: named as lacking exactly when the file lacks it.
    const hash = ['y', 'm'].includes(value('CONFIG_CRYPTO_USER_API_HASH'))
    expect(String(find('bpf.config-base')?.title ?? '').includes('CONFIG_CRYPTO_USER_API_HASH')).toBe(!hash)
    const mounted = fs
      .readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .some(l => l.split(' ')[1] === '/sys/fs/bpf' && l.split(' ')[2] === 'bpf')
    expect(Boolean(find('bpf.bpffs-not-mounted'))).toBe(!mounted)
    const bpftool = ['/usr/sbin/bpftool', '/usr/bin/bpftool', '/sbin/bpftool'].some(p => fs.existsSync(p))
    expect(Boolean(find('bpf.probe-skipped'))).toBe(!bpftool)
    expect(Boolean(find('bpf.probe') ?? find('bpf.probe-missing'))).toBe(bpftool && process.getuid?.() === 0)
    // no simulated store was created for --local
    expect(fs.existsSync(path.join(home.dir, 'sim-local.db'))).toBe(false)
  })
})
