// A host for the audit collector whose commands print outputs recorded from a real Open vSwitch
// (test/fixtures/ovs): the probes a test names get its outputs, the rest the recorded defaults, and
// a probe neither knows fails, as a command that is not there would.
import fs from 'node:fs'
import path from 'node:path'

import type {ProbeResult, Runner} from '../../src/lib/audit/collect.js'

export const ovsFixture = (name: string) =>
  fs.readFileSync(path.join(import.meta.dirname, '../fixtures/ovs', name), 'utf8')
export const ok = (stdout: string): ProbeResult => ({stdout, stderr: '', code: 0, raw: Buffer.from(stdout)})
export const failed = (stderr: string): ProbeResult => ({stdout: '', stderr, code: 1, raw: Buffer.alloc(0)})

/** Probe id → output; `ovsBridges`/`ovsPorts`/`ovsInterfaces` default to the recorded vsctl-list-*.json. */
export function recordedHost(probes: Record<string, ProbeResult>): Runner {
  const defaults: Record<string, ProbeResult> = {
    ovsTool: ok('ovs-vsctl (Open vSwitch) 3.1.0\n'),
    ovsDb: ok('"3.1.0"\n'),
    ovsDaemon: ok('ovs-vswitchd (Open vSwitch) 3.1.0\n'),
    ovsBridges: ok(ovsFixture('vsctl-list-bridge.json')),
    ovsPorts: ok(ovsFixture('vsctl-list-port.json')),
    ovsInterfaces: ok(ovsFixture('vsctl-list-interface.json')),
    speeds: ok('eth0 10000\neth1 10000\n'),
  }
  return {
    batch: async cmds =>
      new Map(Object.keys(cmds).map(id => [id, probes[id] ?? defaults[id] ?? failed(`${id}: not in this test`)])),
  }
}

/** The inventory's view of a dual-homed hypervisor `name`, cabled to leaf-a and leaf-b. */
export const dualHomed = (name: string) => ({
  name,
  az: 'az1',
  address: '127.0.0.1',
  role: 'hypervisor' as const,
  cabling: [
    {nic: 'eth0', switch: 'leaf-a', interface: 'swp1'},
    {nic: 'eth1', switch: 'leaf-b', interface: 'swp1'},
  ],
})
