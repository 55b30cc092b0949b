#!/usr/bin/env node
// Floor for bulk allocation (issue 16): the least a process can do to allocate COUNT ports from a label's networks
// in the fabric store. Same database, so same schema and indexes; one IMMEDIATE transaction. It reads the used
// addresses of the label's networks, takes the lowest free ones (network order, no policy), and inserts the same
// rows `port allocate` writes: ports + controller_ports. No validation, no output beyond a count.
// usage: node bench/floor-allocate.mjs DB LABEL COUNT NAME_PREFIX
import {randomUUID} from 'node:crypto'

import Database from 'better-sqlite3'

const [file, label, countArg, prefix] = process.argv.slice(2)
const count = Number(countArg)
const db = new Database(file)
db.pragma('busy_timeout = 15000')
db.pragma('synchronous = NORMAL')
db.pragma('foreign_keys = ON')
const ipNum = ip => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0)
const ipStr = n => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')
const fmtMac = k =>
  `fa:16:3e:${[(k >> 16) & 255, (k >> 8) & 255, k & 255].map(b => b.toString(16).padStart(2, '0')).join(':')}`

const made = db
  .transaction(() => {
    const nets = db
      .prepare(
        'SELECT n.name, n.cidr, n.gateway FROM networks n JOIN network_labels l ON l.network = n.name WHERE l.label = ? ORDER BY n.name',
      )
      .all(label)
    const used = db.prepare('SELECT ip_num FROM ports WHERE network = ?').raw()
    const maxMac = db.prepare(`SELECT max(mac) AS m FROM ports WHERE mac LIKE 'fa:16:3e:%'`).get().m
    let mac = maxMac ? Number.parseInt(maxMac.slice(9).replaceAll(':', ''), 16) : 0
    const now = new Date().toISOString()
    const insPort =
      db.prepare(`INSERT INTO ports(id, name, network, ip, ip_num, mac, host, instance, underlay, overlay, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, 'DOWN', 'DOWN', ?, ?)`)
    const insCtl = db.prepare(
      'INSERT OR REPLACE INTO controller_ports(port_id, network, host, ip, mac) VALUES (?, ?, NULL, ?, ?)',
    )
    let i = 0
    for (const net of nets) {
      const [base, bits] = net.cidr.split('/')
      const first = ipNum(base)
      const last = first + 2 ** (32 - Number(bits)) - 1
      const gw = ipNum(net.gateway)
      const taken = new Set(used.all(net.name).map(r => r[0]))
      for (let n = first + 1; n < last && i < count; n++) {
        if (n === gw || taken.has(n)) continue
        const id = randomUUID()
        const ip = ipStr(n)
        const m = fmtMac(++mac)
        insPort.run(id, `${prefix}${i}`, net.name, ip, n, m, now, now)
        insCtl.run(id, net.name, ip, m)
        i++
      }
      if (i >= count) break
    }
    return i
  })
  .immediate()
db.close()
process.stdout.write(`${made}\n`)
