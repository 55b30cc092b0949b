import {describe, expect, it} from 'vitest'

import type {Fabric} from '../../src/lib/fabric.js'
import {fabricRunner} from './with-fabric.js'
import {
  type HostFactSelection,
  type HostProbeResult,
  openHostSession,
  type ProbeTarget,
} from '../../src/lib/seam/host-probe.js'

/** A port the runner knows is plugged on a host (a device carrying its iface-id), for the wiring reads. */
export interface WiredPort {
  host: string
  portId: string
}

export interface HostProbeContractOptions {
  open: () => Promise<Fabric>
  /** A port plugged on a host of this fabric. */
  wired: (f: Fabric) => Promise<WiredPort>
  /** Per-host budget for one probe (live hosts over SSH on a loaded machine need more). */
  timeoutMs: number
}

const OPTS = (timeoutMs: number) => ({concurrency: 4, timeoutMs})

/**
 * The host probe (`fabric.hostProbe`), written once as a function of a `Fabric`: the unit tier runs it
 * against the sim (seam.contract.test.ts), the live tier against each lab profile (test/live/contract.test.ts).
 * Read-only: nothing here changes a host.
 */
export function hostProbeContract(name: string, o: HostProbeContractOptions): void {
  describe(`host probe contract: ${name}`, () => {
    const withFabric = fabricRunner(o.open)
    const probeAll = async (f: Fabric, targets: ProbeTarget[], facts?: HostFactSelection) => {
      const results: {r: HostProbeResult; i: number}[] = []
      await f.hostProbe.facts(targets, {...OPTS(o.timeoutMs), facts}, (r, i) => {
        results.push({r, i})
      })
      return results
    }

    it('hosts(): unique names, each one a host of the inventory', () =>
      withFabric(async f => {
        const targets = await f.hostProbe.hosts()
        expect(targets.length).toBeGreaterThan(0)
        expect(new Set(targets.map(t => t.name)).size).toBe(targets.length)
        const inventory = new Set((await f.inventory.hosts()).map(h => h.name))
        for (const t of targets) expect(inventory.has(t.name), t.name).toBe(true)
        expect(f.hostProbe.unknownHostHint.length).toBeGreaterThan(0)
      }))

    it('facts(): exactly one result per host, at its index; facts name their host, failures say why', () =>
      withFabric(async f => {
        const targets = (await f.hostProbe.hosts()).slice(0, 6)
        const results = await probeAll(f, targets)
        expect(results.map(x => x.i).sort((a, b) => a - b)).toEqual(targets.map((_, i) => i))
        for (const {r, i} of results) {
          expect(r.host).toEqual(targets[i])
          if ('failure' in r) {
            expect(r.failure.code).toMatch(/^[A-Z][A-Z0-9_]+$/)
            expect(r.failure.message.length).toBeGreaterThan(0)
          } else {
            expect(r.facts.host).toBe(targets[i]!.name)
            expect(r.facts.source).toBe(f.hostProbe.source)
          }
        }
        // The runner's fabric is healthy: at least one host is read.
        expect(results.some(x => 'facts' in x.r)).toBe(true)
      }))

    it('every fact is read or unknown with a reason: a null group has a failed probe behind it', () =>
      withFabric(async f => {
        const targets = (await f.hostProbe.hosts()).slice(0, 6)
        for (const sel of ['all', 'ovs', 'bond', 'trace'] as const) {
          for (const {r} of await probeAll(f, targets, sel)) {
            if ('failure' in r) continue
            const e = r.facts
            const failed = new Set(e.probeErrors.map(p => p.probe))
            for (const p of e.probeErrors) expect(p.message.length, `${e.host} ${p.probe}`).toBeGreaterThan(0)
            // No default stands in for a fact that was not read.
            if (e.links === null)
              expect(failed.has('links'), `${e.host} (${sel}): links null without a reason`).toBe(true)
            if (e.dpif === null)
              expect(failed.has('ovsDpif'), `${e.host} (${sel}): dpif null without a reason`).toBe(true)
            if (e.brIntTranslations === null)
              expect(failed.has('brIntFlows'), `${e.host} (${sel}): br-int flows null without a reason`).toBe(true)
            if (e.ovs.expected && e.ovs.interfaces === null)
              expect(
                e.probeErrors.length > 0 || e.ovs.installed === false || e.ovs.dbReachable === false,
                `${e.host} (${sel}): OVS interfaces null without a reason`,
              ).toBe(true)
            if (e.bond) {
              for (const k of ['mode', 'lacp', 'activeMember'] as const)
                if (e.bond[k] === null)
                  expect(
                    e.bond.unknown[k]?.length ?? 0,
                    `${e.host} (${sel}): bond ${k} null without a reason`,
                  ).toBeGreaterThan(0)
              if (e.bond.activeMember !== null) expect(e.bond.members).toContain(e.bond.activeMember)
            }
          }
        }
      }))

    it('the OVS facts are consistent: each interface on a bridge is one of that bridge’s ports', () =>
      withFabric(async f => {
        const targets = (await f.hostProbe.hosts()).slice(0, 6)
        for (const {r} of await probeAll(f, targets, 'ovs')) {
          if ('failure' in r || !r.facts.ovs.bridges || !r.facts.ovs.interfaces) continue
          const ports = new Map(r.facts.ovs.bridges.map(b => [b.name, new Set(b.ports)]))
          for (const i of r.facts.ovs.interfaces)
            if (i.bridge !== null)
              expect(ports.get(i.bridge)?.has(i.port ?? i.name), `${r.facts.host}: ${i.name} on ${i.bridge}`).toBe(true)
        }
      }))

    it('open(): a host opened for a flow trace has its trace facts and runs ofproto/trace on the session; or says it cannot', () =>
      withFabric(async f => {
        const w = await o.wired(f)
        const target = (await f.hostProbe.hosts()).find(t => t.name === w.host)!
        if (!f.hostProbe.open) {
          // No datapath to trace (the sim): a FabricError saying so, not a pretended session.
          await expect(
            openHostSession(f.hostProbe, target, {facts: 'trace', timeoutMs: o.timeoutMs}),
          ).rejects.toMatchObject({code: 'HOST_SESSION_UNSUPPORTED'})
          return
        }
        const s = await openHostSession(f.hostProbe, target, {facts: 'trace', timeoutMs: o.timeoutMs})
        try {
          expect(s.facts.host).toBe(w.host)
          expect(s.facts.dpif, JSON.stringify(s.facts.probeErrors)).not.toBeNull()
          expect(s.facts.brIntTranslations, JSON.stringify(s.facts.probeErrors)).not.toBeNull()
          const dev = s.facts.ovs.interfaces?.find(i => i.ifaceId === w.portId && i.bridge === 'br-int')
          expect(dev?.ofport, `${w.host}: the device of ${w.portId} on br-int`).toBeGreaterThan(0)
          const t = await s.ofprotoTrace(
            'br-int',
            `in_port=${dev!.ofport},dl_src=fa:16:3e:00:00:01,dl_dst=fa:16:3e:00:00:02`,
          )
          expect(t.code, t.text).toBe(0)
          expect(t.text).toMatch(/^Datapath actions: /m)
          expect(t.command).toBe(
            `ovs-appctl ofproto/trace br-int in_port=${dev!.ofport},dl_src=fa:16:3e:00:00:01,dl_dst=fa:16:3e:00:00:02`,
          )
          // Shell syntax never reaches the host.
          await expect(s.ofprotoTrace('br-int', 'in_port=1;id')).rejects.toMatchObject({
            code: 'OFPROTO_TRACE_MATCH_INVALID',
          })
        } finally {
          s.close()
        }
      }))

    it('wiring: a plugged port’s devices carry its iface-id; an unknown port has none', () =>
      withFabric(async f => {
        const w = await o.wired(f)
        const target = (await f.hostProbe.hosts()).find(t => t.name === w.host)!
        expect(target, w.host).toBeDefined()
        const r = await f.hostProbe.wiring.portDevices(target, w.portId, OPTS(o.timeoutMs))
        if ('failure' in r) throw new Error(`${w.host}: ${r.failure.code} ${r.failure.message}`)
        expect(r.devices.length).toBeGreaterThan(0)
        for (const d of r.devices) {
          expect(d.host).toBe(w.host)
          expect(d.externalIds['iface-id']).toBe(w.portId)
        }
        const none = await f.hostProbe.wiring.portDevices(
          target,
          '00000000-0000-4000-8000-00000000c0de',
          OPTS(o.timeoutMs),
        )
        expect('devices' in none ? none.devices : none.failure).toEqual([])
      }))
  })
}
