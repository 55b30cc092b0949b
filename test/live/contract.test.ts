import {afterAll, describe, it} from 'vitest'

import {openFabric} from '../../src/lib/backends/open.js'
import {resolveContext} from '../../src/lib/context/config.js'
import type {Fabric} from '../../src/lib/fabric.js'
import {hostProbeContract} from '../contract/host-probe.contract.js'
import {inventoryContract} from '../contract/inventory.contract.js'
import {ipamContract} from '../contract/ipam.contract.js'
import {leafDriverContract} from '../contract/leaf-driver.contract.js'
import {type LabInventory, useLabMatrix} from './lab.js'

/**
 * The seam's contracts (test/contract/*.contract.ts, run against the sim in the unit tier) against each lab
 * profile: a real Neutron (with data_plane_status on native and full, without on prod), real hosts over SSH
 * (OVS in namespaces; prod with the real OVS agents) and real FRR leaves (namespaces; UML guests on full).
 * The fabric is opened in-process from the lab's context, as a command opens it. Read-only on hosts and
 * leaves; the Neutron ports and tags the IPAM contract creates are deleted again.
 */
const labs = await useLabMatrix<LabInventory>(['native', 'full', 'prod'], 'seam contracts against the lab')
afterAll(async () => {
  for (const l of labs) await l.release()
}, 300_000)

for (const lab of labs) {
  const title = `${lab.profile} lab`
  if (lab.skip) {
    describe.skip(`seam contracts [${title}] (skipped: ${lab.skip})`, () => it('runs', () => {}))
    continue
  }
  const inv = lab.inv!
  const open = async (): Promise<Fabric> => {
    const {context} = await resolveContext(lab.paths.context, {...process.env, ...lab.env})
    return openFabric(context, () => {})
  }
  const wired = async () => {
    const i = inv.instances[0]
    if (!i) throw new Error(`the ${lab.profile} lab has no instance`)
    return {host: i.host, portId: i.portId}
  }
  inventoryContract(title, open)
  ipamContract(title, {
    open,
    bindHost: async () => inv.hosts[0]!.name,
    createBatch: true,
    prefix: `contract-${lab.profile}`,
  })
  hostProbeContract(title, {open, wired, timeoutMs: 90_000})
  leafDriverContract(title, {open})
}
