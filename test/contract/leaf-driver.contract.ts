import {describe, expect, it} from 'vitest'

import type {Fabric} from '../../src/lib/fabric.js'
import {fabricRunner} from './with-fabric.js'

export interface LeafDriverContractOptions {
  open: () => Promise<Fabric>
}

/**
 * The leaf-driver registry (`fabric.leafDrivers`), written once as a function of a `Fabric`: the unit tier
 * runs it against the sim (seam.contract.test.ts), the live tier against each lab profile
 * (test/live/contract.test.ts). Read-only: reads, diffs and a prepared (never applied) push; afterwards
 * the leaf reads as before.
 */
export function leafDriverContract(name: string, o: LeafDriverContractOptions): void {
  describe(`leaf driver contract: ${name}`, () => {
    const withFabric = fabricRunner(o.open)
    /** The leaves of the first host that has some (the ones every port operation reaches). */
    const someLeaves = async (f: Fabric) => {
      for (const h of await f.inventory.hosts()) {
        const leaves = await f.leafDrivers.leavesOfHost(h.name)
        if (leaves.length > 0) return {host: h, leaves}
      }
      throw new Error('no host of this fabric is cabled to a leaf')
    }

    it('leavesOfHost: the leaves among the host’s NIC cabling, each a leaf of the inventory', () =>
      withFabric(async f => {
        const leafNames = new Set((await f.inventory.switches({role: 'leaf'})).map(s => s.name))
        const {host, leaves} = await someLeaves(f)
        expect(new Set(leaves).size).toBe(leaves.length)
        for (const l of leaves) expect(leafNames.has(l), l).toBe(true)
        expect([...leaves].sort()).toEqual(
          [...new Set(host.nics.map(n => n.switch).filter(s => leafNames.has(s)))].sort(),
        )
      }))

    it('open(leaf).read(): the leaf named, a snapshot, a VTEP read or unknown with the reason', () =>
      withFabric(async f => {
        const {leaves} = await someLeaves(f)
        for (const leaf of leaves) {
          const d = await f.leafDrivers.open(leaf)
          try {
            expect(d.leaf).toBe(leaf)
            expect(d.driver.length).toBeGreaterThan(0)
            const r = await d.read()
            expect(r.config).toBeTypeOf('object')
            expect(r.config.interfaces).toBeTypeOf('object')
            expect(r.config.vnis).toBeTypeOf('object')
            expect(r.snapshot).toBeDefined()
            const vtep = r.facts?.vtep
            if (vtep) {
              // Read (the address and where it came from) or unknown with the reason: never an empty fact.
              if (vtep.vtep === null) expect((vtep as {reason: string}).reason.length).toBeGreaterThan(0)
              else expect((vtep as {source: string}).source.length).toBeGreaterThan(0)
            }
            // What fabricctl manages is part of what the leaf carries.
            if (r.observed)
              for (const vni of Object.keys(r.config.vnis)) expect(Object.keys(r.observed.vnis)).toContain(vni)
          } finally {
            d.close()
          }
        }
      }))

    it('open() of a leaf the fabric does not have is refused with a code, not a hang or a crash', () =>
      withFabric(async f => {
        const err = await f.leafDrivers.open('no-such-leaf-c0de').then(
          d => {
            d.close()
            return null
          },
          (e: unknown) => e as {code?: unknown; message?: unknown},
        )
        expect(err, 'open(no-such-leaf) resolved').not.toBeNull()
        expect(String(err!.code)).toMatch(/^[A-Z][A-Z0-9_]+$/)
        expect(String(err!.message)).toContain('no-such-leaf-c0de')
      }))

    it('service(): diff says in-sync exactly when it lists no change; prepare (or its refusal) changes nothing on the leaf', () =>
      withFabric(async f => {
        const {leaves} = await someLeaves(f)
        const svc = await f.leafDrivers.service()
        try {
          for (const leaf of leaves) {
            const diff = await svc.diff(leaf)
            expect(diff.leaf).toBe(leaf)
            expect(['in-sync', 'differs', 'unreachable']).toContain(diff.status)
            if (diff.status === 'unreachable') throw new Error(`${leaf} unreachable: ${JSON.stringify(diff.error)}`)
            expect(diff.status === 'in-sync').toBe(diff.changes.length === 0)
            const d = await f.leafDrivers.open(leaf)
            try {
              const before = await d.read()
              // prepare() checks a candidate; it may refuse (e.g. LEAF_UNMANAGED on a leaf shared with hand-made
              // configuration), with a code. Either way the leaf is left as it was.
              await Promise.resolve(d.prepare(await svc.desired(leaf), before, diff.changes)).catch((e: unknown) => {
                expect(String((e as {code?: unknown}).code), String(e)).toMatch(/^LEAF_[A-Z_]+$/)
              })
              const after = await d.read()
              expect(after.config, `${leaf} changed by prepare()`).toEqual(before.config)
            } finally {
              d.close()
            }
          }
        } finally {
          svc.close()
        }
      }))

    it('verify(desired) of an in-sync leaf passes every error-severity check', () =>
      withFabric(async f => {
        const {leaves} = await someLeaves(f)
        const svc = await f.leafDrivers.service()
        try {
          for (const leaf of leaves) {
            if ((await svc.diff(leaf)).status !== 'in-sync') continue
            const d = await f.leafDrivers.open(leaf)
            try {
              const report = await d.verify(await svc.desired(leaf))
              expect(report.checks.length).toBeGreaterThan(0)
              const failed = report.checks.filter(c => !c.ok && c.severity === 'error')
              expect(failed, `${leaf}: ${failed.map(c => `${c.name}: ${c.detail}`).join('; ')}`).toEqual([])
            } finally {
              d.close()
            }
          }
        } finally {
          svc.close()
        }
      }))
  })
}
