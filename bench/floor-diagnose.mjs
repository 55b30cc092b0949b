#!/usr/bin/env node
// Floor for `port diagnose --all --az AZ` (issue 16): the same store reads the sim evidence gatherer makes
// (networks, hosts + cabling, OVS devices, controller tables, faults, leaf running configs, per-network usage,
// duplicate IPs, the AZ's ports), kept in the smallest maps, and one plain check per port: broken when its
// recorded state is not ACTIVE_ACTIVE, a fault names it (port, network, host or one of its leaves), its device is
// missing or carries another network's VLAN, the controller's record disagrees, the leaf lacks the VLAN on the
// host's interface, or another port has its IP in the VRF. Prints {ports, broken} as JSON.
// usage: node bench/floor-diagnose.mjs DB AZ
import Database from 'better-sqlite3'

const [file, az] = process.argv.slice(2)
const db = new Database(file, {readonly: true, fileMustExist: true})
const nets = new Map()
for (const n of db
  .prepare(
    `SELECT n.name, n.az, n.vlan, n.l2_vni, t.vrf FROM networks n LEFT JOIN tenants t ON t.name = n.tenant JOIN azs a ON a.name = n.az`,
  )
  .all())
  nets.set(n.name, n)
const hosts = new Map()
for (const h of db.prepare('SELECT name, role, az FROM hosts WHERE az = ?').all(az)) hosts.set(h.name, {...h, nics: []})
for (const c of db
  .prepare(
    'SELECT c.host, c.switch, c.interface FROM cabling c JOIN hosts h ON h.name = c.host WHERE h.az = ? ORDER BY c.host, c.nic',
  )
  .all(az))
  hosts.get(c.host)?.nics.push(c)
const dev = new Map()
for (const o of db
  .prepare(
    'SELECT o.host, o.device, o.port_id, o.local_vlan, p.network FROM ovs_ports o JOIN hosts h ON h.name = o.host LEFT JOIN ports p ON p.id = o.port_id WHERE h.az = ?',
  )
  .all(az))
  dev.set(o.port_id, o)
const ctlMap = new Map()
for (const m of db.prepare('SELECT host, leaf, interface FROM controller_host_map').all())
  if (hosts.has(m.host)) ctlMap.set(m.host, true)
const faulted = new Set(db.prepare('SELECT target FROM faults').pluck().all())
const leafVlans = new Map()
for (const r of db
  .prepare(
    `SELECT s.name, l.running FROM switches s LEFT JOIN leaf_configs l ON l.leaf = s.name WHERE s.role = 'leaf' AND s.az = ?`,
  )
  .all(az)) {
  const running = r.running ? JSON.parse(r.running) : {interfaces: {}}
  for (const [iface, {vlans}] of Object.entries(running.interfaces ?? {}))
    leafVlans.set(`${r.name}\u0000${iface}`, new Set(vlans))
}
db.prepare(
  'SELECT DISTINCT p.host, p.network FROM ports p JOIN networks n ON n.name = p.network WHERE n.az = ? AND p.host IS NOT NULL',
).all(az)
db.prepare('SELECT network, count(*) AS used FROM ports GROUP BY network').all()
const dupes = new Set(
  db
    .prepare(
      `SELECT p.id FROM ports p JOIN networks n ON n.name = p.network LEFT JOIN tenants t ON t.name = n.tenant
  WHERE (p.ip, coalesce(t.vrf, n.name)) IN (SELECT p2.ip, coalesce(t2.vrf, n2.name) FROM ports p2 JOIN networks n2 ON n2.name = p2.network LEFT JOIN tenants t2 ON t2.name = n2.tenant
  GROUP BY p2.ip, coalesce(t2.vrf, n2.name) HAVING count(*) > 1)`,
    )
    .pluck()
    .all(),
)
const ctl = new Map()
for (const c of db
  .prepare(
    'SELECT c.port_id, c.host, c.ip, c.mac FROM controller_ports c JOIN networks n ON n.name = c.network WHERE n.az = ?',
  )
  .all(az))
  ctl.set(c.port_id, c)

let ports = 0
let broken = 0
for (const p of db
  .prepare(
    `SELECT p.id, p.name, p.network, p.ip, p.mac, p.host, p.underlay, p.overlay FROM ports p JOIN networks n ON n.name = p.network
  LEFT JOIN instances i ON i.name = p.instance WHERE n.az = ? ORDER BY p.name`,
  )
  .iterate(az)) {
  ports++
  const h = p.host ? hosts.get(p.host) : undefined
  const d = dev.get(p.id)
  const c = ctl.get(p.id)
  const net = nets.get(p.network)
  const bad =
    p.underlay !== 'ACTIVE' ||
    p.overlay !== 'ACTIVE' ||
    !h ||
    faulted.has(p.id) ||
    faulted.has(p.network) ||
    faulted.has(h.name) ||
    h.nics.some(n => faulted.has(n.switch) || !leafVlans.get(`${n.switch}\u0000${n.interface}`)?.has(net.vlan)) ||
    (h.role !== 'baremetal' && (!d || d.host !== h.name || (d.network !== null && d.network !== p.network))) ||
    !c ||
    c.host !== p.host ||
    c.ip !== p.ip ||
    c.mac !== p.mac ||
    !ctlMap.has(h.name) ||
    dupes.has(p.id)
  if (bad) broken++
}
db.close()
process.stdout.write(`${JSON.stringify({ports, broken})}\n`)
