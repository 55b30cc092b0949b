import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll} from 'vitest'

import {simFabric} from '../../src/lib/backends/sim/index.js'
import {generateFabric} from '../../src/lib/sim/generator.js'
import {PROFILES} from '../../src/lib/sim/profiles.js'
import {openDb} from '../../src/lib/store/db.js'
import {FabricStore} from '../../src/lib/store/fabric-store.js'
import {inventoryContract} from './inventory.contract.js'

/** The inventory contract against the sim backend (unit tier): a small fabric generated once, then copied per open. */
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
inventoryContract('sim', async () => {
  const file = path.join(dir, `f${++n}.db`)
  fs.copyFileSync(template, file)
  return simFabric({name: 'sim', backend: 'sim'}, new FabricStore(await openDb(file)))
})
