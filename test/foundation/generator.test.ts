import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {openDb} from '../../src/lib/store/db.js'
import {FabricStore} from '../../src/lib/store/fabric-store.js'
import {generateFabric} from '../../src/lib/sim/generator.js'
import {PROFILES} from '../../src/lib/sim/profiles.js'
import {cidrContains, isReserved} from '../../src/lib/model/addressing.js'

async function fabric(profile: 'small' | 'seed', seed = 1, topology: 'spine-leaf' | 'hierarchical' = 'spine-leaf') {
  const store = new FabricStore(await openDb(':memory:'))
  store.tx(() => generateFabric(store, {profile: PROFILES[profile], seed, topology}))
  return store
}

const compareVersions = (a: string, b: string) => {
  const pa = a
    .split(/[^0-9]+/)
    .slice(0, 3)
    .map(Number)
  const pb = b
    .split(/[^0-9]+/)
    .slice(0, 3)
    .map(Number)
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!
  return 0
}

describe('seed profile: the reference deployment', () => {
  let store: FabricStore
  beforeAll(async () => {
    store = await fabric('seed', 7)
  }, 60_000)
  afterAll(() => store.close())

  it('has 4 AZs, 500+ hosts and 20,000+ instances in the largest, and a host with 500+ instances', () => {
    expect(store.azs().map(a => a.name)).toEqual(['az1', 'az2', 'az3', 'az4'])
    const perAz = store.sql('SELECT h.az AS az, count(DISTINCT h.name) AS hosts FROM hosts h GROUP BY h.az').all() as {
      az: string
      hosts: number
    }[]
    const inst = store
      .sql('SELECT h.az AS az, count(*) AS n FROM instances i JOIN hosts h ON h.name = i.host GROUP BY h.az')
      .all() as {az: string; n: number}[]
    expect(Math.max(...perAz.map(r => r.hosts))).toBeGreaterThanOrEqual(500)
    expect(perAz.reduce((s, r) => s + r.hosts, 0)).toBe(2000)
    expect(Math.max(...inst.map(r => r.n))).toBeGreaterThanOrEqual(20_000)
    const dense = store.sql('SELECT max(c) AS m FROM (SELECT count(*) AS c FROM instances GROUP BY host)').get() as {
      m: number
    }
    expect(dense.m).toBeGreaterThanOrEqual(500)
  })

  it('dual-homes every host to the two leaves of one pair', () => {
    const bad = store
      .sql(
        `SELECT c.host FROM cabling c JOIN switches s ON s.name = c.switch GROUP BY c.host
      HAVING count(*) <> 2 OR count(DISTINCT c.switch) <> 2 OR count(DISTINCT s.pair) <> 1`,
      )
      .all()
    expect(bad).toEqual([])
  })

  it('mixes OVS before and after 2.5.6, legacy qbr hosts, kernels 3.10 to 5.x, 1G/10G/25G NICs', () => {
    const ovs = (
      store.sql('SELECT DISTINCT ovs_version AS v FROM hosts WHERE ovs_version IS NOT NULL').all() as {v: string}[]
    ).map(r => r.v)
    expect(ovs.some(v => compareVersions(v, '2.5.6') < 0)).toBe(true)
    expect(ovs.some(v => compareVersions(v, '2.5.6') >= 0)).toBe(true)
    expect(
      (store.sql(`SELECT count(*) AS n FROM hosts WHERE plugging = 'qbr'`).get() as {n: number}).n,
    ).toBeGreaterThan(50)
    const kernels = (store.sql('SELECT DISTINCT kernel_version AS v FROM hosts').all() as {v: string}[]).map(r => r.v)
    expect(kernels.some(k => k.startsWith('3.10'))).toBe(true)
    expect(kernels.some(k => k.startsWith('5.'))).toBe(true)
    const speeds = (store.sql('SELECT DISTINCT speed_mbps AS s FROM cabling ORDER BY s').all() as {s: number}[]).map(
      r => r.s,
    )
    expect(speeds).toEqual([1000, 10_000, 25_000])
    expect(store.hosts({role: 'baremetal'}).length).toBeGreaterThan(0)
  })

  it('has several networks per label and more than one tenant', () => {
    const perLabel = store
      .sql(
        'SELECT label, count(*) AS n FROM network_labels l JOIN networks n ON n.name = l.network WHERE n.az = ? GROUP BY label',
      )
      .all('az1') as {label: string; n: number}[]
    expect(perLabel.find(l => l.label === 'prod-env')!.n).toBeGreaterThan(1)
    expect(perLabel.find(l => l.label === 'test-env')!.n).toBeGreaterThan(1)
    expect(store.tenants().length).toBeGreaterThan(1)
  })

  it('starts every port ACTIVE_ACTIVE with an IP inside its network, never a reserved one, and no duplicates', () => {
    expect(
      store.sql(`SELECT count(*) AS n FROM ports WHERE underlay <> 'ACTIVE' OR overlay <> 'ACTIVE'`).get(),
    ).toEqual({n: 0})
    expect(store.sql('SELECT count(*) AS n FROM (SELECT ip FROM ports GROUP BY ip HAVING count(*) > 1)').get()).toEqual(
      {n: 0},
    )
    const nets = new Map(store.networks().map(n => [n.name, n]))
    const sample = store.sql('SELECT network, ip FROM ports ORDER BY random() LIMIT 2000').all() as {
      network: string
      ip: string
    }[]
    for (const p of sample) {
      const n = nets.get(p.network)!
      expect(cidrContains(n.cidr, p.ip)).toBe(true)
      expect(isReserved(n.cidr, n.gateway, p.ip)).toBe(false)
    }
  })

  it('gives every leaf a running config equal to its desired state, and wires every non-bare-metal port on br-int', () => {
    // The desired state is worked out here from the tables (DESIGN.md §3), not with the generator's
    // own desiredLeafConfig: per interface the VLANs of the networks with a port on the host behind
    // it; per such network its L2 VNI (RT 65000:VNI, anycast gateway in the tenant's VRF); per tenant its L3 VNI.
    const rows = store
      .sql(
        `SELECT c.switch AS leaf, c.interface AS iface, n.name AS network, n.vlan, n.l2_vni AS vni, n.gateway, n.cidr, t.vrf, t.l3_vni AS l3Vni
      FROM cabling c JOIN ports p ON p.host = c.host JOIN networks n ON n.name = p.network JOIN tenants t ON t.name = n.tenant
      WHERE c.switch IN (SELECT name FROM switches WHERE role = 'leaf') AND n.l2_vni IS NOT NULL`,
      )
      .all() as {
      leaf: string
      iface: string
      network: string
      vlan: number
      vni: number
      gateway: string
      cidr: string
      vrf: string
      l3Vni: number
    }[]
    const leaves = store.switches({role: 'leaf'}).map(s => s.name)
    expect(leaves.length).toBeGreaterThan(10)
    let nonEmpty = 0
    for (const leaf of leaves) {
      const want: {
        vnis: Record<string, unknown>
        vrfs: Record<string, unknown>
        interfaces: Record<string, {vlans: number[]}>
      } = {vnis: {}, vrfs: {}, interfaces: {}}
      for (const r of rows.filter(x => x.leaf === leaf)) {
        const vlans = new Set([...(want.interfaces[r.iface]?.vlans ?? []), r.vlan])
        want.interfaces[r.iface] = {vlans: [...vlans].sort((a, b) => a - b)}
        want.vnis[String(r.vni)] = {
          vni: r.vni,
          vlan: r.vlan,
          network: r.network,
          vrf: r.vrf,
          routeTarget: `65000:${r.vni}`,
          gateway: {address: `${r.gateway}/${r.cidr.split('/')[1]}`, mac: '00:00:5e:00:01:01'},
        }
        want.vrfs[r.vrf] = {l3Vni: r.l3Vni}
      }
      if (Object.keys(want.vnis).length > 0) nonEmpty++
      expect(store.leafRunning(leaf), leaf).toEqual(want)
    }
    expect(nonEmpty).toBeGreaterThan(10)
    const unwired = store
      .sql(
        `SELECT count(*) AS n FROM ports p JOIN hosts h ON h.name = p.host
      WHERE h.role <> 'baremetal' AND NOT EXISTS (SELECT 1 FROM ovs_ports o WHERE o.port_id = p.id AND o.host = p.host)`,
      )
      .get()
    expect(unwired).toEqual({n: 0})
    expect(store.sql('SELECT count(*) AS n FROM controller_ports').get()).toEqual(
      store.sql('SELECT count(*) AS n FROM ports').get(),
    )
  })
})

describe('small profile and determinism', () => {
  it('has one AZ, four leaves, about ten hosts and every kind of host', async () => {
    const s = await fabric('small')
    expect(s.azs()).toHaveLength(1)
    expect(s.switches({role: 'leaf'})).toHaveLength(4)
    const hosts = s.hosts()
    expect(hosts).toHaveLength(10)
    expect(new Set(hosts.map(h => h.role))).toEqual(new Set(['hypervisor', 'container', 'baremetal']))
    expect(hosts.some(h => h.plugging === 'qbr')).toBe(true)
    expect(hosts.some(h => h.ovsVersion !== null && compareVersions(h.ovsVersion, '2.5.6') < 0)).toBe(true)
    expect(hosts.some(h => h.kernel.config === null)).toBe(true)
    expect(hosts.some(h => h.kernel.bpffsMounted)).toBe(true)
    expect(hosts.some(h => h.nics.some(n => n.speedMbps === 1000))).toBe(true)
    s.close()
  })

  it('same seed, same fabric; another seed, another fabric', async () => {
    // A live agent's heartbeat is "now": everything else must be identical.
    const dump = (s: FabricStore) =>
      JSON.stringify([
        s.hosts().map(({agentHeartbeatAt: _now, ...h}) => h),
        s.networks(),
        s.sql('SELECT * FROM ports ORDER BY id').all(),
      ])
    const [a, b, c] = [await fabric('small', 5), await fabric('small', 5), await fabric('small', 6)]
    expect(dump(a)).toBe(dump(b))
    expect(dump(a)).not.toBe(dump(c))
    for (const s of [a, b, c]) s.close()
  })

  it('models the hierarchical generation: access/aggregation/core, VLAN only', async () => {
    const s = await fabric('small', 1, 'hierarchical')
    const roles = new Set(s.switches().map(x => x.role))
    expect(roles).toEqual(new Set(['access', 'aggregation', 'core']))
    expect(s.networks().every(n => n.l2Vni === null)).toBe(true)
    expect(s.sql('SELECT count(*) AS n FROM leaf_configs').get()).toEqual({n: 0})
    s.close()
  })
})
