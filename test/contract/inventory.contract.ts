import {describe, expect, it} from 'vitest'

import type {Fabric} from '../../src/lib/fabric.js'
import {cidrContains} from '../../src/lib/model/addressing.js'
import {fabricRunner} from './with-fabric.js'

/**
 * The inventory/states/faults part of the seam, written once as a function of a `Fabric`: the unit
 * tier runs it against the sim (inventory.contract.test.ts); a live tier can run the same set against
 * the lab by passing an `open` that opens the lab's context. Every behaviour holds for any backend.
 */
export function inventoryContract(name: string, open: () => Promise<Fabric>): void {
  describe(`inventory contract: ${name}`, () => {
    const withFabric = fabricRunner(open)

    it('AZs, switches, hosts and networks: names unique, every one in a known AZ', () =>
      withFabric(async f => {
        const [azs, switches, hosts, networks] = await Promise.all([
          f.inventory.azs(),
          f.inventory.switches(),
          f.inventory.hosts(),
          f.inventory.networks(),
        ])
        expect(azs.length).toBeGreaterThan(0)
        const azNames = new Set(azs.map(a => a.name))
        expect(azNames.size).toBe(azs.length)
        for (const [what, items] of [
          ['switch', switches],
          ['host', hosts],
          ['network', networks],
        ] as const) {
          expect(items.length, what).toBeGreaterThan(0)
          expect(new Set(items.map(i => i.name)).size, `${what} names unique`).toBe(items.length)
          for (const i of items) expect(azNames.has(i.az), `${what} ${i.name} in AZ ${i.az}`).toBe(true)
        }
        expect(new Set(networks.map(n => n.id)).size).toBe(networks.length)
      }))

    it('filters return exactly the matching subset (az, role, name prefix, leaf, label)', () =>
      withFabric(async f => {
        const inv = f.inventory
        const [switches, hosts, networks] = await Promise.all([inv.switches(), inv.hosts(), inv.networks()])
        const az = switches[0]!.az
        const names = (xs: {name: string}[]) => xs.map(x => x.name).sort()
        expect(names(await inv.switches({role: 'leaf'}))).toEqual(names(switches.filter(s => s.role === 'leaf')))
        expect(names(await inv.switches({az}))).toEqual(names(switches.filter(s => s.az === az)))
        const prefix = hosts[0]!.name.slice(0, Math.max(1, hosts[0]!.name.length - 1))
        expect(names(await inv.hosts({namePrefix: prefix}))).toEqual(
          names(hosts.filter(h => h.name.startsWith(prefix))),
        )
        const leaf = hosts.flatMap(h => h.nics.map(n => n.switch))[0]!
        const underLeaf = await inv.hosts({leaf})
        expect(underLeaf.length).toBeGreaterThan(0)
        expect(names(underLeaf)).toEqual(names(hosts.filter(h => h.nics.some(n => n.switch === leaf))))
        const label = networks.flatMap(n => n.labels)[0]
        if (label !== undefined)
          expect(names(await inv.networks({label}))).toEqual(names(networks.filter(n => n.labels.includes(label))))
        expect(await inv.hosts({namePrefix: '\u0000no-such-host'})).toEqual([])
      }))

    it('cabling: every host NIC lands on a known leaf/access switch', () =>
      withFabric(async f => {
        const [switches, hosts] = await Promise.all([f.inventory.switches(), f.inventory.hosts()])
        const lower = new Set(switches.filter(s => s.role === 'leaf' || s.role === 'access').map(s => s.name))
        const nics = hosts.flatMap(h => h.nics.map(n => ({host: h.name, ...n})))
        expect(nics.length).toBeGreaterThan(0)
        for (const n of nics) expect(lower.has(n.switch), `${n.host}/${n.name} → ${n.switch}`).toBe(true)
      }))

    it('networks: gateway inside the CIDR, labels sorted, a VLAN network has an L2 VNI', () =>
      withFabric(async f => {
        const networks = await f.inventory.networks()
        for (const n of networks) {
          if (n.cidr && n.gateway) expect(cidrContains(n.cidr, n.gateway), `${n.name} gateway`).toBe(true)
          expect(n.labels, n.name).toEqual([...n.labels].sort())
          if (n.vlan > 0) expect(n.l2Vni, `${n.name} (VLAN ${n.vlan}) VNI`).toBeGreaterThan(0)
        }
      }))

    it('host facts a backend did not read are named, with a reason, on facts that exist', () =>
      withFabric(async f => {
        for (const h of await f.inventory.hosts()) {
          for (const [fact, why] of Object.entries(h.unknown ?? {})) {
            expect(why.length, `${h.name} ${fact}`).toBeGreaterThan(0)
            const nic = /^nics\.(.+)\.up$/.exec(fact)?.[1]
            if (nic !== undefined) expect(h.nics.map(n => n.name)).toContain(nic)
            else expect(Object.keys(h)).toContain(fact)
          }
        }
      }))

    it('recorded stats (where the backend records them) agree with the inventory', () =>
      withFabric(async f => {
        const stats = f.inventory.stats?.()
        if (!stats) return
        const [azs, hosts, networks] = await Promise.all([
          f.inventory.azs(),
          f.inventory.hosts(),
          f.inventory.networks(),
        ])
        const netNames = new Set(networks.map(n => n.name))
        for (const [net, used] of stats.networkUsage()) {
          expect(netNames.has(net), net).toBe(true)
          expect(used).toBeGreaterThan(0)
        }
        const perAz = stats.azCounts()
        for (const az of perAz.keys()) expect(azs.map(a => a.name)).toContain(az)
        const totalPorts = [...perAz.values()].reduce(
          (s, c) => s + Object.values(c.ports).reduce((a, b) => a + b, 0),
          0,
        )
        const usedTotal = [...stats.networkUsage().values()].reduce((a, b) => a + b, 0)
        expect(totalPorts).toBe(usedTotal)
        const bound = hosts.reduce((s, h) => s + stats.portsOnHost(h.name), 0)
        expect(bound).toBeLessThanOrEqual(usedTotal)
        expect(stats.portsOnHost('\u0000no-such-host')).toBe(0)
      }))

    it('recorded port states: every port counted once in the totals, groups add up', () =>
      withFabric(async f => {
        expect(Number.isNaN(Date.parse(f.states.now()))).toBe(false)
        const r = await f.states.portStates('network')
        expect(Object.values(r.totals).reduce((a, b) => a + b, 0)).toBe(r.total)
        expect(r.groups.reduce((s, g) => s + g.total, 0)).toBe(r.total)
        for (const s of Object.keys(r.totals))
          expect(s).toMatch(/^(DOWN|BUILD|ACTIVE|ERROR)_(DOWN|BUILD|ACTIVE|ERROR)$/)
      }))

    it('faults (an optional capability): inject, list and clear round-trip', () =>
      withFabric(async f => {
        if (!f.faults) return
        const host = (await f.inventory.hosts({role: 'hypervisor'}))[0]!
        const before = f.faults.list().length
        const fault = f.faults.inject('agent-down', host.name)
        expect(fault).toMatchObject({kind: 'agent-down', target: host.name})
        expect(f.faults.list().map(x => x.id)).toContain(fault.id)
        expect(f.faults.clear(fault.id).map(x => x.id)).toEqual([fault.id])
        expect(f.faults.list().length).toBe(before)
      }))
  })
}
