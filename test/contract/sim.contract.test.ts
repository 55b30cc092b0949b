import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll} from 'vitest'

import {simFabric} from '../../src/lib/backends/sim/index.js'
import type {Fabric} from '../../src/lib/fabric.js'
import {generateFabric} from '../../src/lib/sim/generator.js'
import {PROFILES} from '../../src/lib/sim/profiles.js'
import {openDb} from '../../src/lib/store/db.js'
import {FabricStore} from '../../src/lib/store/fabric-store.js'
import {hostProbeContract} from './host-probe.contract.js'
import {inventoryContract} from './inventory.contract.js'
import {ipamContract} from './ipam.contract.js'
import {leafDriverContract} from './leaf-driver.contract.js'

/**
 * The seam's contracts against the sim backend (unit tier): a small fabric generated once, then copied per
 * open. The live tier runs the same contracts against each lab profile (test/live/contract.test.ts).
 */
let dir: string
let template: string

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabricctl-contract-'))
  template = path.join(dir, 'template.db')
  const store = new FabricStore(await openDb(template))
  store.tx(() => generateFabric(store, {profile: PROFILES.small, seed: 1, topology: 'spine-leaf'}))
  store.close()
})
afterAll(() => fs.rmSync(dir, {recursive: true, force: true}))

let n = 0
const open = async (): Promise<Fabric> => {
  const file = path.join(dir, `f${++n}.db`)
  fs.copyFileSync(template, file)
  return simFabric({name: 'sim', backend: 'sim'}, new FabricStore(await openDb(file)))
}

/** A hypervisor of the fabric with a port bound to it (the simulated agent plugged it). */
async function boundPort(f: Fabric): Promise<{host: string; portId: string}> {
  const svc = await f.ipam.portService()
  for (const h of await f.inventory.hosts({role: 'hypervisor'})) {
    const page = await svc.list({host: h.name, limit: 1})
    if (page.ports[0]?.id) return {host: h.name, portId: page.ports[0].id}
  }
  throw new Error('no bound port in the sim fabric')
}

inventoryContract('sim', open)
ipamContract('sim', {
  open,
  bindHost: async f => (await f.inventory.hosts({role: 'hypervisor'}))[0]!.name,
  createBatch: false,
  prefix: 'contract',
})
hostProbeContract('sim', {open, wired: boundPort, timeoutMs: 30_000})
leafDriverContract('sim', {open})
