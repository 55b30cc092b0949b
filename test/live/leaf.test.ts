// Live leaf configuration against each lab's FRR leaves (test/lab): a Neutron port bound to a host
// cabled to both leaves makes them carry the VNI and the host port's bridge membership; migrate
// moves it; rollback restores the previous running state byte for byte; a bad candidate is
// rejected before anything is applied. Everything changed is put back in afterAll.
// - native: fabricctl's own lab leaves; the context declares the overlay (VNI base, anycast MAC).
// - prod: leaves laid out by hand, with configuration no Neutron network backs (a bridge named by VLAN
//   with another server's port, a VNI of its own). The context declares no VTEPs, no anycast MAC (both
//   are read from the leaves) and no `manage`: the hand-made VNIs that Neutron's ports need are carried as
//   they are (in sync, not touched); what fabricctl adds it creates and marks; everything hand-made stays
//   byte for byte as it was after every push, and a push that needs to change it is refused. Neutron has no data_plane_status,
//   so the overlay is recorded in a port tag.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, expect, it} from 'vitest'

import {loadConfig} from '../../src/lib/context/config.js'
import type {LiveContext} from '../../src/lib/context/schema.js'
import {LeafDriverError} from '../../src/lib/leaf/driver.js'
import type {FrrRaw} from '../../src/lib/leaf/frr/driver.js'
import {configurePortLeaves} from '../../src/lib/leaf/overlay.js'
import {liveLeafService} from '../../src/lib/backends/live/leaf-service.js'
import {liveFabric} from '../../src/lib/backends/live/index.js'
import {runCli} from '../helpers/cli.js'
import {assertMatchesSchema} from '../helpers/schema.js'
import {describeOnLabs, type LabInventory, type MatrixLab, run, useLabMatrix} from './lab.js'

type HandMade = {
  leaf: string
  bridges: {name: string; ports: string[]}[]
  vnis: {vni: number; bridge: string; vxlan: string}[]
}
type Inv = LabInventory & {handMade?: HandMade[]}
const labs = await useLabMatrix<Inv>(['native', 'prod'], 'leaf tests on hand-made leaves')
afterAll(async () => {
  for (const l of labs) await l.release()
}, 300_000)
const HOSTS = [
  {name: 'lab-h9', iface: 'swp9'},
  {name: 'lab-h8', iface: 'swp8'},
] as const

describeOnLabs(labs, "leaf config on the lab's FRR leaves", (m: MatrixLab<Inv>) => {
  const lab = m.inv
  const labSsh = (node: string, command: string, timeoutMs = 30_000) =>
    run('ssh', ['-n', '-F', m.paths.sshConfig, node, command], {timeoutMs})
  // created only when the tests run (a skipped file must not leave an empty directory behind)
  const dir = lab ? fs.mkdtempSync(path.join(os.tmpdir(), 'fabricctl-leaf-live-')) : ''
  const env = {
    FABRICCTL_HOME: dir,
    FABRICCTL_CONFIG: path.join(dir, 'config.yaml'),
    FABRICCTL_CONTEXT: m.paths.context,
    NO_COLOR: '1',
  }
  const cli = async (...args: string[]) => {
    const r = await runCli(args, {env, timeoutMs: 180_000})
    if (r.json) assertMatchesSchema(r.json)
    return r
  }
  const leaves = () => lab!.leaves.map(l => l.name)
  const handMade = lab?.handMade ?? []
  /** The hand-made devices as the kernel and FRR hold them (prod): every push must leave them byte for byte. */
  const handMadeState = async () => {
    const out: Record<string, string> = {}
    for (const h of handMade) {
      const devs = [...h.bridges.flatMap(b => [b.name, ...b.ports]), ...h.vnis.flatMap(v => [v.bridge, v.vxlan])]
      for (const d of devs) {
        out[`${h.leaf} ${d} link`] = stable(await sh(h.leaf, `ip -d -j link show dev ${d}`))
        out[`${h.leaf} ${d} bridge`] = stable(await sh(h.leaf, `bridge -j link show dev ${d}`))
      }
      const running = await sh(h.leaf, `vtysh -c 'show running-config'`)
      for (const v of h.vnis) out[`${h.leaf} frr vni ${v.vni}`] = frrVniBlock(running, v.vni)
    }
    return out
  }
  /** Kernel JSON with every attribute but the bridges' running timers (gc_timer, hello_timer, ...), which tick. */
  const stable = (json: string) => JSON.stringify(JSON.parse(json), (k, v) => (/_timer$/.test(k) ? undefined : v))
  let handMadeBefore: Record<string, string> = {}
  /** The `vni N` … `exit-vni` lines of an FRR running configuration. */
  const frrVniBlock = (running: string, vni: number) => {
    const lines = running.split('\n')
    const from = lines.findIndex(l => l.trim() === `vni ${vni}`)
    if (from < 0) return `no vni ${vni} block`
    return lines.slice(from, lines.findIndex((l, k) => k > from && l.trim() === 'exit-vni') + 1).join('\n')
  }
  const expectHandMadeIntact = async () => expect(await handMadeState()).toEqual(handMadeBefore)
  /** The overlay plane as recorded on the Neutron port: data_plane_status where Neutron has it, else fabricctl's port tag. */
  const recordedOverlay = async (id: string) => {
    const port = (await neutron('GET', `/v2.0/ports/${id}`)).port
    if ('data_plane_status' in port) return port.data_plane_status as string | null
    return ((port.tags ?? []) as string[]).find(t => t.startsWith('fabricctl-overlay:'))?.slice(18) ?? null
  }
  const ns = (leaf: string) => lab!.nodes.find(n => n.name === leaf)!.ns
  const sh = async (leaf: string, cmd: string) => {
    const r = await labSsh(leaf, cmd)
    expect(r.exitCode, `${leaf}: ${cmd}: ${r.stderr}`).toBe(0)
    return r.stdout
  }
  const neutron = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${lab!.neutron.url}${p}`, {
      method,
      headers: {'content-type': 'application/json', 'x-project-id': lab!.neutron.projectId},
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`neutron ${method} ${p}: ${res.status} ${text.slice(0, 300)}`)
    return text ? JSON.parse(text) : null
  }
  const evpnVnis = async (leaf: string) =>
    JSON.parse(await sh(leaf, `vtysh -c 'show evpn vni json'`)) as Record<
      string,
      {vni: number; type: string; vxlanIf: string}
    >
  const masterOf = async (leaf: string, iface: string) =>
    (JSON.parse(await sh(leaf, 'bridge -j link')) as {ifname: string; master?: string}[]).find(l => l.ifname === iface)
      ?.master ?? null

  const orig = new Map<string, {file: string; running: string; hadSav: boolean}>()
  let ctx: LiveContext
  let portId: string | undefined
  const net3 = () => lab!.networks.find(n => n.name === 'lab-net3')!

  beforeAll(async () => {
    // A context like the lab's, with two extra hosts cabled to swp8/swp9 of both leaves. Native declares the
    // lab's anycast MAC; on prod it is read from the leaves, and the VNIs of Neutron's networks are adopted.
    const cfg = await loadConfig(m.paths.config)
    const labCtx = cfg.contexts.find(c => c.name === m.paths.context) as LiveContext
    ctx = {
      ...labCtx,
      overlay: {
        ...labCtx.overlay,
        // prod declares nothing: VTEPs and the anycast MAC are read from the leaves, and what they carry by hand
        // (the Neutron VNIs among it) is left as it is
        ...(handMade.length ? {} : {anycastMac: lab!.networks[0]!.anycastMac}),
        vniBase: net3().vni - net3().vlan,
      },
      inventory: {
        ...labCtx.inventory,
        hosts: [
          ...labCtx.inventory.hosts,
          ...HOSTS.map(h => ({
            name: h.name,
            az: lab!.azs[0]!.name,
            address: '198.18.0.250',
            port: 22,
            role: 'container' as const,
            plugging: 'direct' as const,
            nics: lab!.leaves.map((l, i) => ({name: `eth${i}`, leaf: l.name, interface: h.iface, speedMbps: 10_000})),
          })),
          // prod: a host cabled to the port of the hand-made bridge (another server's): fabricctl may not take it
          ...handMade.slice(0, 1).map(h => ({
            name: 'lab-h7',
            az: lab!.azs[0]!.name,
            address: '198.18.0.251',
            port: 22,
            role: 'container' as const,
            plugging: 'direct' as const,
            nics: [{name: 'eth0', leaf: h.leaf, interface: h.bridges[0]!.ports[0]!, speedMbps: 10_000}],
          })),
        ],
      },
    }
    fs.writeFileSync(
      env.FABRICCTL_CONFIG,
      JSON.stringify({apiVersion: 'fabricctl/v1', kind: 'Config', 'current-context': 'lab', contexts: [ctx]}),
    )
    for (const leaf of leaves()) {
      orig.set(leaf, {
        file: await sh(leaf, 'cat /etc/frr/frr.conf'),
        running: await sh(leaf, `vtysh -c 'show running-config'`),
        hadSav: (await labSsh(leaf, 'test -e /etc/frr/frr.conf.sav')).exitCode === 0,
      })
      for (const h of HOSTS) {
        const r = await run('ip', [
          '-n',
          ns(leaf),
          'link',
          'add',
          h.iface,
          'type',
          'veth',
          'peer',
          'name',
          `${h.iface}p`,
        ])
        expect(r.exitCode, r.stderr).toBe(0)
        await run('ip', ['-n', ns(leaf), 'link', 'set', `${h.iface}p`, 'up'])
      }
    }
    // Other live tests bind ports to lab hosts for a while: wait (bounded) until the leaves match Neutron.
    let d = await cli('leaf', 'diff', '--all', '--json')
    for (let i = 0; i < 36 && d.exitCode !== 0; i++) {
      await new Promise(r => setTimeout(r, 5000))
      d = await cli('leaf', 'diff', '--all', '--json')
    }
    expect(d.exitCode, `the lab's leaves must start in sync with Neutron: ${d.stdout.slice(0, 1500)}`).toBe(0)
    handMadeBefore = await handMadeState()
  }, 300_000)

  afterAll(async () => {
    if (!lab) return
    try {
      if (portId) await neutron('DELETE', `/v2.0/ports/${portId}`).catch(() => undefined)
      await cli('leaf', 'push', '--all')
    } finally {
      for (const leaf of leaves()) {
        const o = orig.get(leaf)
        if (o) {
          await labSsh(
            leaf,
            `printf %s '${Buffer.from(o.file).toString('base64')}' | base64 -d >/etc/frr/frr.conf${o.hadSav ? '' : '; rm -f /etc/frr/frr.conf.sav'}`,
          )
          const now = (await labSsh(leaf, `vtysh -c 'show running-config'`)).stdout
          if (now !== o.running)
            process.stderr.write(`leaf test: ${leaf} running-config differs from before the test\n`)
        }
        for (const h of HOSTS) await run('ip', ['-n', ns(leaf), 'link', 'del', h.iface])
      }
      fs.rmSync(dir, {recursive: true, force: true})
    }
  }, 180_000)

  it('a port bound to a host makes both of its leaves carry the VNI and the host port in its bridge (show evpn vni, bridge -j)', async () => {
    const {port} = await neutron('POST', '/v2.0/ports', {
      port: {
        name: 'fabricctl-leaf-test',
        network_id: net3().id,
        project_id: lab!.neutron.projectId,
        'binding:host_id': 'lab-h9',
      },
    })
    portId = port.id as string
    const diff = await cli('leaf', 'diff', '--all')
    expect(diff.exitCode).toBe(1)
    expect(diff.stdout).toContain(`+vni ${net3().vni}`)
    expect(diff.stdout).toContain(`+interface swp9`)
    const p = await cli('leaf', 'push', '--port', portId, '--json')
    expect(p.exitCode, p.stdout).toBe(0)
    expect(p.json.leaves.map((l: any) => [l.leaf, l.status])).toEqual(leaves().map(l => [l, 'applied']))
    for (const leaf of leaves()) {
      const vnis = await evpnVnis(leaf)
      expect(vnis[String(net3().vni)]).toMatchObject({vni: net3().vni, type: 'L2', vxlanIf: `vxlan${net3().vni}`})
      expect(await masterOf(leaf, 'swp9')).toBe(`br${net3().vni}`)
      expect(await sh(leaf, `ip -br addr show br${net3().vni}`)).toContain(`${net3().gateway}/24`)
    }
    const again = await cli('leaf', 'push', '--all', '--json')
    expect(again.json.totals.unchanged).toBe(leaves().length)
    expect((await cli('leaf', 'verify', '--all')).exitCode).toBe(0)
    // the port bind path: push the port's leaves and record the overlay state on the Neutron port
    const out = await configurePortLeaves({leafDrivers: liveFabric(ctx).leafDrivers}, {portId, host: 'lab-h9'})
    expect(out.overlay).toBe('ACTIVE')
    expect(out.dataPlaneStatus).toBe('ACTIVE')
    expect(await recordedOverlay(portId)).toBe('ACTIVE')
    await expectHandMadeIntact()
  }, 690_000) // 8 CLI runs, ~18 ssh/HTTP/process calls

  it('migrate moves the host port; rollback --to previous restores the previous running state byte for byte', async () => {
    expect(portId).toBeDefined()
    const before = new Map<string, {running: string; file: string}>()
    for (const leaf of leaves())
      before.set(leaf, {
        running: await sh(leaf, `vtysh -c 'show running-config'`),
        file: await sh(leaf, 'cat /etc/frr/frr.conf'),
      })
    await neutron('PUT', `/v2.0/ports/${portId}`, {port: {'binding:host_id': 'lab-h8'}})
    const p = await cli('leaf', 'push', '--all', '--json')
    expect(p.exitCode, p.stdout).toBe(0)
    for (const l of p.json.leaves)
      expect(l.summary).toEqual([`allow VLAN ${net3().vlan} on swp8`, `remove VLAN ${net3().vlan} from swp9`])
    for (const leaf of leaves()) {
      expect(await masterOf(leaf, 'swp8')).toBe(`br${net3().vni}`)
      expect(await masterOf(leaf, 'swp9')).toBeNull()
      expect((await evpnVnis(leaf))[String(net3().vni)]).toBeDefined()
    }
    const leaf = leaves()[0]!
    const rb = await cli('leaf', 'rollback', leaf, '--to', 'previous', '--json')
    expect(rb.exitCode, rb.stdout).toBe(0)
    expect(rb.json.status).toBe('restored')
    expect(await sh(leaf, `vtysh -c 'show running-config'`)).toBe(before.get(leaf)!.running)
    expect(await sh(leaf, 'cat /etc/frr/frr.conf')).toBe(before.get(leaf)!.file)
    expect(await masterOf(leaf, 'swp9')).toBe(`br${net3().vni}`)
    expect(await masterOf(leaf, 'swp8')).toBeNull()
    expect((await cli('leaf', 'diff', leaf)).exitCode).toBe(1) // back to before the migrate: differs from Neutron
    expect((await cli('leaf', 'push', leaf, '--json')).json.leaves[0].status).toBe('applied')
    expect((await cli('leaf', 'verify', '--all')).exitCode).toBe(0)
    await expectHandMadeIntact()
  }, 930_000) // 10 CLI runs, ~30 ssh/HTTP/process calls

  it("`port migrate` pushes the new and old hosts' leaves and records the overlay (data_plane_status, or a port tag where Neutron has none)", async () => {
    expect(portId).toBeDefined()
    // lab-h8 and lab-h9 exist only as cabling (no machine answers at their address): the old host cannot be
    // read, so the migrate is fenced only with --fence-unreachable (without it: OLD_HOST_UNREACHABLE, exit 4).
    const refused = await cli('port', 'migrate', portId!, '--to-host', 'lab-h9', '--json')
    expect([refused.exitCode, refused.json.error?.code], refused.stdout).toEqual([4, 'OLD_HOST_UNREACHABLE'])
    const m = await cli(
      'port',
      'migrate',
      portId!,
      '--to-host',
      'lab-h9',
      '--fence-unreachable',
      '--fence-wait',
      '0',
      '--json',
    )
    // The lab's Neutron has no L2 agent, so the underlay is binding_failed (exit 1); the overlay is proven on the leaves.
    expect([0, 1], m.stdout).toContain(m.exitCode)
    expect(m.json).toMatchObject({changed: true, before: {host: 'lab-h8'}, after: {host: 'lab-h9'}})
    expect(m.json.leaves.map((l: any) => [l.leaf, l.ok, l.changed])).toEqual(leaves().map(l => [l, true, true]))
    expect(m.json.port.overlay).toBe('ACTIVE')
    for (const leaf of leaves()) {
      expect(await masterOf(leaf, 'swp9')).toBe(`br${net3().vni}`)
      expect(await masterOf(leaf, 'swp8')).toBeNull()
    }
    expect(await recordedOverlay(portId!)).toBe('ACTIVE')
    expect((await cli('leaf', 'verify', '--all')).exitCode).toBe(0)
    await expectHandMadeIntact()
    const again = await cli('port', 'bind', portId!, '--host', 'lab-h9', '--json')
    expect(again.json.leaves, again.stdout).toBeDefined()
    expect(again.json.leaves.map((l: any) => [l.leaf, l.ok, l.changed])).toEqual(leaves().map(l => [l, true, false]))
  }, 450_000) // 6 CLI runs, ~6 ssh/HTTP/process calls

  it('a bad candidate is rejected by vtysh --dryrun before anything is applied', async () => {
    const svc = liveLeafService(ctx, {snapshotsRoot: path.join(dir, 'leaf')})
    const d = await svc.openDriver(leaves()[0]!)
    try {
      const running = await d.read()
      const desired = structuredClone(running.config)
      desired.vnis['10199'] = {
        vni: 10_199,
        vlan: 199,
        network: 'bogus',
        vrf: 'default',
        routeTarget: '65000:10199\n  this-is-not-a-command',
        gateway: {address: '198.19.99.1/24', mac: lab!.networks[0]!.anycastMac},
      }
      const err = await Promise.resolve(d.prepare(desired, running, [])).then(
        () => null,
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(LeafDriverError)
      expect((err as LeafDriverError).code).toBe('LEAF_CANDIDATE_INVALID')
      expect((err as LeafDriverError).step).toBe('vtysh --dryrun')
      const after = await d.read()
      const [a, b] = [running.snapshot.raw as FrrRaw, after.snapshot.raw as FrrRaw]
      expect(b.runningB64).toBe(a.runningB64)
      expect(b.fileB64).toBe(a.fileB64)
      expect(b.kernel).toEqual(a.kernel)
      expect((await labSsh(leaves()[0]!, 'ls /tmp/fabricctl-candidate.* 2>/dev/null | wc -l')).stdout.trim()).toBe('0')
    } finally {
      d.close()
    }
  }, 60_000) // ~1 ssh/HTTP/process call

  if (handMade.length)
    it('a push that needs a port of a hand-made bridge is refused (LEAF_UNMANAGED, exit 4) and changes nothing', async () => {
      const h = handMade[0]!
      const leafState = async () => [
        await sh(h.leaf, `vtysh -c 'show running-config'; cat /etc/frr/frr.conf`),
        stable(await sh(h.leaf, 'ip -d -j link show')),
        stable(await sh(h.leaf, 'bridge -j link show')),
      ]
      const before = await leafState()
      const {port} = await neutron('POST', '/v2.0/ports', {
        port: {
          name: 'fabricctl-leaf-test-h7',
          network_id: net3().id,
          project_id: lab!.neutron.projectId,
          'binding:host_id': 'lab-h7',
        },
      })
      try {
        const p = await cli('leaf', 'push', h.leaf, '--json')
        expect(p.exitCode, p.stdout).toBe(4)
        expect(p.json.leaves[0]).toMatchObject({leaf: h.leaf, status: 'refused'})
        expect(JSON.stringify(p.json.leaves[0])).toContain('LEAF_UNMANAGED')
        expect(JSON.stringify(p.json.leaves[0])).toContain(h.bridges[0]!.ports[0]!)
        expect(await leafState()).toEqual(before)
        await expectHandMadeIntact()
      } finally {
        await neutron('DELETE', `/v2.0/ports/${port.id}`)
      }
    }, 150_000) // 1 CLI run, ~6 ssh/HTTP calls
})
