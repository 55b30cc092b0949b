import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {execa} from 'execa'
import {parse, stringify} from 'yaml'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ROOT, runCli} from '../helpers/cli.js'
import {assertMatchesSchema} from '../helpers/schema.js'
import {describeOnLabs, useLabMatrix, type MatrixLab} from './lab.js'

// Live audit over SSH, on each lab it applies to (test/lab):
// - native: hosts with their own sshd and OVS in network namespaces; lab-h2 plugs through qbr/qvb/qvo,
//   lab-h3 runs Debian 11's OVS 2.15.0; fabricctl's lab wires the devices.
// - prod: the real neutron-openvswitch-agent wired every device, as Nova or a CNI would plug it; lab-h1's
//   bond is balance-tcp with LACP configured but not negotiated, lab-h3 has both NICs on one leaf, lab-h2
//   mixes qbr and direct plugging and carries devices on br-int that Neutron does not know (one of them
//   quarantined by the agent on the dead VLAN 4095).
// Every expectation is read from the host itself (ovs-vsctl, ovs-appctl, iptables-save, /proc), not from the lab's plan.
type Host = {name: string; address: string; port: number; plugging: string; nics: {leaf: string; interface: string}[]}
type Inv = {
  hosts: Host[]
  instances: {name: string; host: string; device: string; portId: string}[]
  unknownDevices?: {host: string; device: string; ifaceId: string | null}[]
}
const labs = await useLabMatrix<Inv>(['native', 'prod'], 'audit tests on real OVS agents')
afterAll(async () => {
  for (const l of labs) await l.release()
}, 300_000)

describeOnLabs(labs, 'fabricctl audit hosts on the live lab', (lab: MatrixLab<Inv>) => {
  const CONFIG = lab.paths.config
  const CTX = lab.paths.context
  const env = {...lab.env, NO_COLOR: '1'}
  const ssh = async (node: string, cmd: string) =>
    (await execa('ssh', ['-F', lab.paths.sshConfig, node, cmd], {timeout: 30_000})).stdout
  const labHosts = () => lab.inv!.hosts
  let tmp: string
  let report: any
  const labConfig = () => parse(fs.readFileSync(CONFIG, 'utf8'))
  const hostsOf = (cfg: any) =>
    cfg.contexts.find((c: any) => c.name === CTX).inventory.hosts as {name: string; address: string; port: number}[]
  /** A copy of the lab's context file, changed by `edit`: the lab itself is never modified. */
  const variant = (name: string, edit: (lab: any) => void) => {
    const cfg = labConfig()
    edit(cfg.contexts.find((c: any) => c.name === CTX))
    const file = path.join(tmp, `${name}.yaml`)
    fs.writeFileSync(file, stringify(cfg))
    return {FABRICCTL_CONFIG: file, FABRICCTL_CONTEXT: CTX, NO_COLOR: '1'}
  }

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fabricctl-live-audit-'))
    const r = await runCli(['audit', 'hosts', '--json'], {env})
    expect([0, 1], r.stderr).toContain(r.exitCode)
    assertMatchesSchema(r.json)
    report = r.json
  })
  afterAll(() => fs.rmSync(tmp, {recursive: true, force: true}))

  it('audits every inventory host over SSH', () => {
    const names = hostsOf(labConfig()).map(h => h.name)
    expect(report.source).toBe('ssh')
    expect(report.hosts.map((h: any) => h.host)).toEqual(names)
    expect(report.hosts.every((h: any) => h.verdict !== 'unreachable')).toBe(true)
  }, 60_000) // file reads

  it("reads each host's OVS version as its ovs-vswitchd reports it (native: one host runs Debian 11's 2.15.0)", async () => {
    for (const h of report.hosts) {
      const real = /\(Open vSwitch\) (\S+)/.exec(await ssh(h.host, 'ovs-vswitchd --version'))![1]
      expect(h.facts.ovsVersion, h.host).toBe(real)
      expect(h.facts.ovsRunning).toBe(true)
      const f = h.findings.find((x: any) => x.id === 'ovs.version')
      expect(f.evidence[0].source).toMatch(/ovs-appctl --timeout=5 version$/)
    }
    if (lab.profile === 'native')
      expect(
        report.hosts.find((h: any) => h.facts.ovsVersion === '2.15.0'),
        "one lab host runs Debian 11's OVS 2.15.0",
      ).toBeDefined()
  }, 90_000) // ~6 ssh/HTTP/process calls

  it('counts as instances the Neutron devices on br-int, as plugged: 24 hops through qbr (with its iptables rules), 18 direct', async () => {
    let untaggedSeen = 0
    for (const host of labHosts()) {
      const h = report.hosts.find((x: any) => x.host === host.name)
      // every br-int port with its OVSDB tag and iface-id, as the host's OVSDB holds them
      const rows = (
        await ssh(
          host.name,
          'for p in $(ovs-vsctl list-ports br-int); do echo "$p|$(ovs-vsctl get Port $p tag)|$(ovs-vsctl get Interface $p type)|$(ovs-vsctl --if-exists get Interface $p external_ids:iface-id)"; done',
        )
      )
        .split('\n')
        .filter(Boolean)
        .map(l => l.split('|'))
      // an instance: a device with an iface-id that the agent did not quarantine on the dead VLAN 4095
      const inst = rows.filter(([, tag, , id]) => id && tag !== '4095').map(([name]) => name!)
      const devices = rows.filter(([, , type]) => type !== 'patch' && type !== 'internal')
      expect(
        h.facts.deadVlanDevices.map((d: any) => d.device),
        host.name,
      ).toEqual(devices.filter(([, tag]) => tag === '4095').map(([n]) => n))
      // untagged beside tagged ones: the agent did not wire it (OVS: a trunk of every VLAN on br-int)
      const tagged = devices.some(([, tag]) => /^\d+$/.test(tag!) && tag !== '4095')
      const untagged = tagged ? devices.filter(([, tag]) => tag === '[]').map(([n]) => n!) : []
      const untaggedFinding = h.findings.find((f: any) => f.id === 'bridges.untagged-devices')
      expect(untaggedFinding?.evidence.map((e: any) => e.value.split(':')[0]) ?? [], host.name).toEqual(untagged.sort())
      untaggedSeen += untagged.length
      const qvo = inst.filter(p => p.startsWith('qvo'))
      expect(h.facts.instances, host.name).toMatchObject({
        total: inst.length,
        qbr: qvo.length,
        direct: inst.length - qvo.length,
        maxPathHops: qvo.length ? 24 : 18,
      })
      expect(h.instances.map((i: any) => i.device).sort(), host.name).toEqual([...inst].sort())
      const rules = qvo.length
        ? (await ssh(host.name, 'iptables-save')).split('\n').filter(l => l.startsWith('-A '))
        : []
      for (const i of h.instances) {
        const viaQbr = i.device.startsWith('qvo')
        expect(i.pathHops, i.device).toBe(viaQbr ? 24 : 18)
        if (!viaQbr) continue
        expect(i.iptablesRules).toBe(rules.filter(r => r.includes(`tap${i.device.slice(3)}`)).length)
        expect(i.iptablesRules).toBeGreaterThan(0)
      }
      if (qvo.length)
        expect(h.findings.find((f: any) => f.id === 'bridges.linux-bridge-plugging').evidence[1].value).toMatch(
          /one end \(12 hops\): .*→ qbr\S+ → qvb\S+ → qvo\S+ → br-int → int-br-bond → phy-br-bond → br-bond → bond0 → eth\d → lab-leaf\d:swp\d+$/,
        )
    }
    // prod plugs a device with an iface-id Neutron does not know: the agent leaves it untagged
    if (lab.inv!.unknownDevices?.some(d => d.ifaceId)) expect(untaggedSeen).toBeGreaterThan(0)
    expect(
      labHosts().some(h => h.plugging !== 'direct'),
      'each lab has a host plugging through qbr',
    ).toBe(true)
  }, 150_000) // ~12 ssh/HTTP/process calls

  it('reads bond mode and LACP from ovs-appctl on each host; the cabling of both members to one leaf is an error', async () => {
    for (const host of labHosts()) {
      const h = report.hosts.find((x: any) => x.host === host.name)
      const show = await ssh(host.name, 'ovs-appctl --timeout=5 bond/show bond0')
      const mode = /^bond_mode: (\S+)/m.exec(show)![1]
      const lacp = /^lacp_status: (\S+)/m.exec(show)![1]
      expect(h.facts.bond.mode, host.name).toBe(mode)
      const ids = h.findings.map((f: any) => f.id)
      // LACP asked for but never agreed with the switches: the bond runs on one member (fallback)
      expect(ids.includes('nic.lacp-not-negotiated'), `${host.name}: lacp_status ${lacp}`).toBe(lacp === 'configured')
      const leaves = new Set(host.nics.map(n => n.leaf))
      expect(ids.includes('nic.same-switch'), host.name).toBe(host.nics.length > 1 && leaves.size === 1)
    }
  }, 90_000) // ~6 ssh calls

  it("reads the real kernel config (this machine's kernel, /proc/config.gz) and bpffs per host", async () => {
    const release = fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()
    for (const h of report.hosts) {
      expect(h.facts.kernel).toBe(release)
      const cfg = h.findings.find((f: any) => f.id === 'bpf.config' || f.id === 'bpf.config-missing')
      expect(cfg.evidence[0].source).toBe('/proc/config.gz')
      expect(h.findings.some((f: any) => f.id === 'bpf.config-unknown')).toBe(false)
      const mounted = (await ssh(h.host, 'cat /proc/mounts'))
        .split('\n')
        .some(l => l.split(' ')[1] === '/sys/fs/bpf' && l.split(' ')[2] === 'bpf')
      expect(
        h.findings.some((f: any) => f.id === 'bpf.bpffs-not-mounted'),
        h.host,
      ).toBe(!mounted)
    }
    if (lab.profile === 'native')
      expect(
        report.hosts.some((h: any) => !h.findings.some((f: any) => f.id === 'bpf.bpffs-not-mounted')),
        'lab-h1 mounts bpffs',
      ).toBe(true)
  }, 90_000) // ~6 ssh/HTTP/process calls

  it('a host unreachable mid-run is reported with its reason; the others are still audited (exit 3)', async () => {
    const victim = hostsOf(labConfig())[1]!
    const e = variant('unreachable', lab => {
      // the same host, but a port where nothing listens: the connection is refused
      lab.inventory.hosts.find((h: any) => h.name === victim.name).port = 2
    })
    const r = await runCli(['audit', 'hosts', '--json', '--concurrency', '2'], {env: e})
    expect(r.exitCode).toBe(3)
    assertMatchesSchema(r.json)
    const bad = r.json.hosts.find((h: any) => h.host === victim.name)
    expect(bad.verdict).toBe('unreachable')
    expect(bad.failure.code).toBe('SSH_UNREACHABLE')
    expect(bad.failure.message).toMatch(/ECONNREFUSED/)
    const rest = r.json.hosts.filter((h: any) => h.host !== victim.name)
    expect(rest.length).toBeGreaterThan(1)
    for (const h of rest) expect(h.findings.length, h.host).toBeGreaterThan(0)
    expect(r.json.summary.byVerdict.unreachable).toBe(1)
    // human output names it too, and ndjson streams every host
    const human = await runCli(['audit', 'hosts'], {env: e})
    expect(human.exitCode).toBe(3)
    expect(human.stdout).toMatch(new RegExp(`Not audited \\(1\\):[\\s\\S]*${victim.name}\\s+\\S+\\s+SSH_UNREACHABLE`))
    const nd = await runCli(['audit', 'hosts', '--output', 'ndjson'], {env: e})
    expect(
      nd.stdout
        .trim()
        .split('\n')
        .map(l => JSON.parse(l).host)
        .sort(),
    ).toEqual(
      hostsOf(labConfig())
        .map(h => h.name)
        .sort(),
    )
  }, 390_000) // 6 CLI runs

  it('refuses unknown and mismatched host keys unless the context opts in', async () => {
    const hosts = hostsOf(labConfig())
    const empty = path.join(tmp, 'known_hosts.empty')
    fs.writeFileSync(empty, '')
    const unknown = await runCli(['audit', 'hosts', hosts[0]!.name, '--json'], {
      env: variant('unknown-key', lab => (lab.ssh.knownHostsFile = empty)),
    })
    expect(unknown.exitCode).toBe(3)
    expect(unknown.json.hosts[0].failure.code).toBe('SSH_HOSTKEY_UNKNOWN')
    const optIn = await runCli(['audit', 'hosts', hosts[0]!.name, '--json'], {
      env: variant('opt-in', lab => {
        lab.ssh.knownHostsFile = empty
        lab.ssh.strictHostKeyChecking = false
      }),
    })
    expect(optIn.json.hosts[0].verdict).not.toBe('unreachable')
    // known_hosts that pins host 1's key on host 2's address: someone else answers there
    const realKnown = fs.readFileSync(labConfig().contexts.find((c: any) => c.name === CTX).ssh.knownHostsFile, 'utf8')
    const key1 = realKnown
      .split('\n')
      .find(l => l.split(/[ ,]/).includes(hosts[0]!.address))!
      .split(' ')
      .slice(1)
      .join(' ')
    const wrong = path.join(tmp, 'known_hosts.wrong')
    fs.writeFileSync(wrong, `${hosts[1]!.address} ${key1}\n`)
    const mismatch = await runCli(['audit', 'hosts', hosts[1]!.name, '--json'], {
      env: variant('mismatch', lab => (lab.ssh.knownHostsFile = wrong)),
    })
    expect(mismatch.exitCode).toBe(3)
    expect(mismatch.json.hosts[0].failure.code).toBe('SSH_HOSTKEY_MISMATCH')
  }, 210_000) // 3 CLI runs

  it('gives up on a host past --timeout and says so', async () => {
    const r = await runCli(['audit', 'hosts', '--json', '--timeout', '100'], {env})
    expect(r.exitCode).toBe(3)
    for (const h of r.json.hosts) {
      expect(h.verdict).toBe('unreachable')
      expect(h.failure.code).toBe('SSH_HOST_TIMEOUT')
      expect(h.elapsedMs).toBeLessThan(3000)
    }
  }, 90_000) // 1 CLI run
})
