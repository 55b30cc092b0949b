import {describe, expect, it} from 'vitest'

import type {Fabric} from '../../src/lib/fabric.js'
import {cidrContains} from '../../src/lib/model/addressing.js'
import type {Network} from '../../src/lib/model/types.js'
import {overlayRecordFor} from '../../src/lib/seam/ipam.js'

export interface IpamContractOptions {
  open: () => Promise<Fabric>
  /** A host of the fabric ports may be bound to (Neutron only records the binding; no leaf is pushed here). */
  bindHost: (f: Fabric) => Promise<string>
  /**
   * Whether `ipam.createBatch` creates ports (Neutron's bulk POST). The sim creates ports only through its
   * port engine (`port allocate`, which also runs the simulated agents and controller) and refuses with
   * NOT_SUPPORTED: the contract checks that refusal there, and atomicity where it is supported.
   */
  createBatch: boolean
  /** A unique prefix for what the contract creates (cleaned up by the contract). */
  prefix: string
}

/**
 * The IPAM member of the seam (`fabric.ipam`), written once as a function of a `Fabric`: the unit tier runs
 * it against the sim (seam.contract.test.ts), the live tier against each lab profile's Neutron
 * (test/live/contract.test.ts). Ports are created through the port engine (`ipam.portService().allocate`)
 * and by `createBatch` where supported; everything created is deleted again.
 */
export function ipamContract(name: string, o: IpamContractOptions): void {
  describe(`IPAM contract: ${name}`, () => {
    let seq = 0
    const fresh = () => `${o.prefix}-${++seq}-${Math.random().toString(36).slice(2, 7)}`
    const withFabric = async (fn: (f: Fabric, cleanup: string[]) => Promise<void>) => {
      const fabric = await o.open()
      const created: string[] = []
      try {
        await fn(fabric, created)
      } finally {
        for (const id of created) await fabric.ipam.delete(id).catch(() => {})
        fabric.close()
      }
    }
    /** A network with an address range and room for a few ports. */
    const network = async (f: Fabric): Promise<Network> => {
      const nets = (await f.inventory.networks()).filter(n => n.cidr && n.gateway)
      if (nets.length === 0) throw new Error('the fabric has no network with a subnet')
      return nets[0]!
    }
    const allocate = async (f: Fabric, net: Network, portName: string) => {
      const svc = await f.ipam.portService()
      const r = await svc.allocate({network: net.name, name: portName, count: 1, failIfExists: true, dryRun: false})
      expect(r.ports).toHaveLength(1)
      return r.ports[0]!
    }

    it('capabilities(): the extensions read, and the overlay record they imply', () =>
      withFabric(async f => {
        const c = await f.ipam.capabilities()
        expect(Array.isArray(c.extensions)).toBe(true)
        expect(typeof c.revisionIfMatch).toBe('boolean')
        expect(['store', 'data_plane_status', 'port-tag', 'none']).toContain(c.overlayRecord)
        // A Neutron's record follows from its extensions; the sim keeps its own column.
        if (c.overlayRecord !== 'store') expect(c.overlayRecord).toBe(overlayRecordFor(c.extensions))
        expect(c.revisionIfMatch).toBe(c.extensions.includes('revision-if-match'))
      }))

    it('a created port is found by name, id and IP, on its network, with an address inside the network', () =>
      withFabric(async (f, cleanup) => {
        const net = await network(f)
        const portName = fresh()
        const a = await allocate(f, net, portName)
        cleanup.push(a.id!)
        const [byName, byId, byIp] = await Promise.all([
          f.ipam.findPorts(portName),
          f.ipam.findPorts(a.id!),
          f.ipam.findPorts(a.ip!),
        ])
        expect(byName).toHaveLength(1)
        const p = byName[0]!
        expect(p).toMatchObject({id: a.id, name: portName, ip: a.ip, mac: a.mac, host: null})
        expect(p.networkId).toBe(net.id)
        expect(byId).toEqual([p])
        expect(byIp.map(x => x.id)).toContain(p.id)
        expect(await f.ipam.port(p.id)).toEqual(p)
        expect(cidrContains(net.cidr, p.ip), `${p.ip} in ${net.cidr}`).toBe(true)
        expect(p.ip).not.toBe(net.gateway)
        expect(p.mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/)
        expect(await f.ipam.findPorts(`${portName}-no-such`)).toEqual([])
      }))

    it('bind sets the host, unbind clears it; address and MAC stay', () =>
      withFabric(async (f, cleanup) => {
        const net = await network(f)
        const a = await allocate(f, net, fresh())
        cleanup.push(a.id!)
        const host = await o.bindHost(f)
        const bound = await f.ipam.bind(a.id!, host)
        expect(bound).toMatchObject({id: a.id, host, ip: a.ip, mac: a.mac})
        expect((await f.ipam.port(a.id!)).host).toBe(host)
        const unbound = await f.ipam.unbind(a.id!)
        expect(unbound).toMatchObject({id: a.id, host: null, ip: a.ip, mac: a.mac})
      }))

    it('a stale revision with a changed basis is refused as a concurrent change (where revisions exist)', () =>
      withFabric(async (f, cleanup) => {
        const net = await network(f)
        const a = await allocate(f, net, fresh())
        cleanup.push(a.id!)
        const p = await f.ipam.port(a.id!)
        const host = await o.bindHost(f)
        if (p.revision === null) {
          // No revisions (the sim: its changes are serialised by one transaction): the option is ignored.
          expect((await f.ipam.bind(p.id, host, {ifRevision: 1})).host).toBe(host)
          return
        }
        await f.ipam.bind(p.id, host)
        // The caller planned on the unbound port at its old revision: someone bound it meanwhile.
        const err = await f.ipam
          .unbind(p.id, {ifRevision: p.revision, basis: {host: null, ips: [p.ip], mac: p.mac, deviceId: ''}})
          .then(
            () => null,
            (e: unknown) => e as {code?: string},
          )
        expect(err?.code).toBe('PORT_CHANGED_CONCURRENTLY')
        expect((await f.ipam.port(p.id)).host).toBe(host)
      }))

    it('delete removes the port; deleting it again is not an error', () =>
      withFabric(async (f, cleanup) => {
        const net = await network(f)
        const portName = fresh()
        const a = await allocate(f, net, portName)
        cleanup.push(a.id!)
        await f.ipam.delete(a.id!)
        expect(await f.ipam.findPorts(portName)).toEqual([])
        expect(await f.ipam.findPorts(a.id!)).toEqual([])
        await expect(f.ipam.port(a.id!)).rejects.toMatchObject({code: expect.stringMatching(/NOT_FOUND/)})
        await f.ipam.delete(a.id!)
      }))

    it('tagNetwork add/remove shows in the inventory’s labels', () =>
      withFabric(async f => {
        const net = await network(f)
        const tag = fresh()
        await f.ipam.tagNetwork(net.id, tag, 'add')
        try {
          expect((await f.inventory.networks({label: tag})).map(n => n.id)).toEqual([net.id])
        } finally {
          await f.ipam.tagNetwork(net.id, tag, 'remove')
        }
        expect(await f.inventory.networks({label: tag})).toEqual([])
      }))

    it('recordOverlay writes where the capabilities say, and the port engine reads it back', () =>
      withFabric(async (f, cleanup) => {
        const net = await network(f)
        const a = await allocate(f, net, fresh())
        cleanup.push(a.id!)
        const {overlayRecord} = await f.ipam.capabilities()
        const w = await f.ipam.recordOverlay(a.id!, 'ACTIVE')
        expect(w.record).toBe(overlayRecord)
        expect(w.value).toBe(overlayRecord === 'none' ? null : 'ACTIVE')
        const shown = await (await f.ipam.portService()).show(a.id!)
        expect(shown.overlayRecord).toBe(overlayRecord)
      }))

    it('createBatch is all or nothing (a batch with one bad address creates none)', () =>
      withFabric(async (f, cleanup) => {
        const net = await network(f)
        const good = fresh()
        // An address outside every subnet of the network: Neutron refuses the whole bulk.
        const outside = ['192.0.2.77', '198.51.100.77'].find(ip => !cidrContains(net.cidr, ip))!
        const bodies = [
          {networkId: net.id, name: good},
          {networkId: net.id, name: fresh(), ip: outside},
        ]
        if (!o.createBatch) {
          await expect(f.ipam.createBatch(bodies)).rejects.toMatchObject({code: 'NOT_SUPPORTED'})
          expect(await f.ipam.findPorts(good)).toEqual([])
          return
        }
        const err = await f.ipam.createBatch(bodies).then(
          made => {
            cleanup.push(...made.map(p => p.id))
            return null
          },
          (e: unknown) => e,
        )
        expect(err, `a bulk with ${outside} (outside ${net.cidr}) was accepted`).not.toBeNull()
        expect(await f.ipam.findPorts(good)).toEqual([])
        const ok = await f.ipam.createBatch([
          {networkId: net.id, name: good},
          {networkId: net.id, name: fresh()},
        ])
        cleanup.push(...ok.map(p => p.id))
        expect(ok).toHaveLength(2)
        expect(new Set(ok.map(p => p.ip)).size).toBe(2)
        for (const p of ok) expect(p.networkId).toBe(net.id)
      }))
  })
}
