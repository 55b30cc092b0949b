import type {Statement} from 'better-sqlite3'

import type {
  Az,
  ControllerPort,
  Host,
  HostLeafMapping,
  LeafConfig,
  Network,
  OvsPort,
  Port,
  Switch,
  Tenant,
} from '../model/types.js'
import {withBusyRetry} from './busy.js'
import {type Db, writeTx} from './db.js'
import {
  type CablingRow,
  type HostRow,
  type NetworkRow,
  type PortRow,
  type SwitchRow,
  toHost,
  toNetwork,
  toPort,
  toSwitch,
} from './rows.js'

export interface HostFilter {
  az?: string
  role?: string
  leaf?: string
  namePrefix?: string
}
export interface NetworkFilter {
  az?: string
  label?: string
  tenant?: string
  namePrefix?: string
}
export interface SwitchFilter {
  az?: string
  role?: string
  namePrefix?: string
}

const NETWORK_SELECT = `SELECT n.*, (SELECT group_concat(label) FROM network_labels l WHERE l.network = n.name) AS labels FROM networks n`

/**
 * Typed access to the simulated fabric's store. Read methods return domain objects; mutations go
 * through `tx` so each command's change is one transaction.
 */
export class FabricStore {
  private readonly stmts = new Map<string, Statement>()

  constructor(
    readonly db: Db,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  now(): string {
    return this.clock().toISOString()
  }

  /** A cached prepared statement. */
  sql(text: string): Statement {
    let s = this.stmts.get(text)
    if (!s) {
      s = this.db.prepare(text)
      this.stmts.set(text, s)
    }
    return s
  }

  /** One IMMEDIATE transaction; a store locked by another writer is retried a bounded number of times (busy.ts). */
  tx<T>(fn: () => T): T {
    return withBusyRetry(this.db, () => writeTx(this.db, fn))
  }

  close(): void {
    this.db.close()
  }

  // --- meta -------------------------------------------------------------------------------
  meta(key: string): string | undefined {
    return (this.sql('SELECT value FROM meta WHERE key = ?').get(key) as {value: string} | undefined)?.value
  }

  setMeta(key: string, value: string): void {
    this.sql('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(
      key,
      value,
    )
  }

  isInitialised(): boolean {
    return this.meta('generator') !== undefined
  }

  // --- topology ---------------------------------------------------------------------------
  azs(): Az[] {
    return this.sql('SELECT name, topology FROM azs ORDER BY name').all() as Az[]
  }

  az(name: string): Az | undefined {
    return this.sql('SELECT name, topology FROM azs WHERE name = ?').get(name) as Az | undefined
  }

  tenants(): Tenant[] {
    return (
      this.sql('SELECT name, vrf, l3_vni FROM tenants ORDER BY name').all() as {
        name: string
        vrf: string
        l3_vni: number
      }[]
    ).map(t => ({name: t.name, vrf: t.vrf, l3Vni: t.l3_vni}))
  }

  switches(filter: SwitchFilter = {}): Switch[] {
    const rows = this.sql(
      `SELECT * FROM switches
      WHERE (@az IS NULL OR az = @az) AND (@role IS NULL OR role = @role) AND (@prefix IS NULL OR substr(name, 1, length(@prefix)) = @prefix)
      ORDER BY az, name`,
    ).all({az: filter.az ?? null, role: filter.role ?? null, prefix: filter.namePrefix ?? null}) as SwitchRow[]
    return rows.map(toSwitch)
  }

  switch(name: string): Switch | undefined {
    const r = this.sql('SELECT * FROM switches WHERE name = ?').get(name) as SwitchRow | undefined
    return r && toSwitch(r)
  }

  // --- hosts ------------------------------------------------------------------------------
  hosts(filter: HostFilter = {}): Host[] {
    const rows = this.sql(
      `SELECT h.* FROM hosts h
      WHERE (@az IS NULL OR h.az = @az) AND (@role IS NULL OR h.role = @role)
        AND (@prefix IS NULL OR substr(h.name, 1, length(@prefix)) = @prefix)
        AND (@leaf IS NULL OR EXISTS (SELECT 1 FROM cabling c WHERE c.host = h.name AND c.switch = @leaf))
      ORDER BY h.az, h.name`,
    ).all({
      az: filter.az ?? null,
      role: filter.role ?? null,
      prefix: filter.namePrefix ?? null,
      leaf: filter.leaf ?? null,
    }) as HostRow[]
    const cabling = this.cablingByHost()
    const now = this.now()
    return rows.map(r => toHost(r, cabling.get(r.name) ?? [], now))
  }

  host(name: string): Host | undefined {
    const r = this.sql('SELECT * FROM hosts WHERE name = ?').get(name) as HostRow | undefined
    if (!r) return undefined
    const cabling = this.sql('SELECT * FROM cabling WHERE host = ? ORDER BY nic').all(name) as CablingRow[]
    return toHost(r, cabling, this.now())
  }

  private cablingByHost(): Map<string, CablingRow[]> {
    const map = new Map<string, CablingRow[]>()
    for (const c of this.sql('SELECT * FROM cabling ORDER BY host, nic').all() as CablingRow[]) {
      let list = map.get(c.host)
      if (!list) map.set(c.host, (list = []))
      list.push(c)
    }
    return map
  }

  /** Hosts cabled to a switch, with the switch-side interface. */
  hostsOnSwitch(sw: string): {host: string; nic: string; interface: string}[] {
    return this.sql('SELECT host, nic, interface FROM cabling WHERE switch = ? ORDER BY interface').all(sw) as {
      host: string
      nic: string
      interface: string
    }[]
  }

  // --- networks ---------------------------------------------------------------------------
  networks(filter: NetworkFilter = {}): Network[] {
    const rows = this.sql(
      `${NETWORK_SELECT}
      WHERE (@az IS NULL OR n.az = @az) AND (@tenant IS NULL OR n.tenant = @tenant)
        AND (@prefix IS NULL OR substr(n.name, 1, length(@prefix)) = @prefix)
        AND (@label IS NULL OR EXISTS (SELECT 1 FROM network_labels l WHERE l.network = n.name AND l.label = @label))
      ORDER BY n.az, n.name`,
    ).all({
      az: filter.az ?? null,
      tenant: filter.tenant ?? null,
      prefix: filter.namePrefix ?? null,
      label: filter.label ?? null,
    }) as NetworkRow[]
    return rows.map(toNetwork)
  }

  /** A network by name or id. */
  network(nameOrId: string): Network | undefined {
    const r = this.sql(`${NETWORK_SELECT} WHERE n.name = ? OR n.id = ?`).get(nameOrId, nameOrId) as
      NetworkRow | undefined
    return r && toNetwork(r)
  }

  networkUsage(): Map<string, number> {
    const rows = this.sql('SELECT network, count(*) AS used FROM ports GROUP BY network').all() as {
      network: string
      used: number
    }[]
    return new Map(rows.map(r => [r.network, r.used]))
  }

  // --- ports ------------------------------------------------------------------------------
  /** A port by name, id or IP (an IP may be ambiguous across networks: all matches are returned). */
  findPorts(ref: string): Port[] {
    const rows = this.sql('SELECT * FROM ports WHERE name = ? OR id = ? OR ip = ? ORDER BY name').all(
      ref,
      ref,
      ref,
    ) as PortRow[]
    return rows.map(toPort)
  }

  port(id: string): Port | undefined {
    const r = this.sql('SELECT * FROM ports WHERE id = ?').get(id) as PortRow | undefined
    return r && toPort(r)
  }

  portsOnHost(host: string): Port[] {
    return (this.sql('SELECT * FROM ports WHERE host = ? ORDER BY name').all(host) as PortRow[]).map(toPort)
  }

  setPortState(id: string, underlay: Port['underlay'] | null, overlay: Port['overlay'] | null): void {
    this.sql(
      `UPDATE ports SET underlay = coalesce(?, underlay), overlay = coalesce(?, overlay), updated_at = ? WHERE id = ?`,
    ).run(underlay, overlay, this.now(), id)
  }

  // --- evidence: OVS, controller, leaves ----------------------------------------------------
  ovsPortsOnHost(host: string): OvsPort[] {
    return (
      this.sql('SELECT host, device, port_id, local_vlan, ofport FROM ovs_ports WHERE host = ? ORDER BY ofport').all(
        host,
      ) as {host: string; device: string; port_id: string; local_vlan: number; ofport: number}[]
    ).map(r => ({host: r.host, device: r.device, portId: r.port_id, localVlan: r.local_vlan, ofport: r.ofport}))
  }

  ovsPortOf(portId: string): OvsPort | undefined {
    const r = this.sql('SELECT host, device, port_id, local_vlan, ofport FROM ovs_ports WHERE port_id = ?').get(
      portId,
    ) as {host: string; device: string; port_id: string; local_vlan: number; ofport: number} | undefined
    return r && {host: r.host, device: r.device, portId: r.port_id, localVlan: r.local_vlan, ofport: r.ofport}
  }

  controllerPort(portId: string): ControllerPort | undefined {
    const r = this.sql('SELECT * FROM controller_ports WHERE port_id = ?').get(portId) as
      {port_id: string; network: string; host: string | null; ip: string; mac: string} | undefined
    return r && {portId: r.port_id, network: r.network, host: r.host, ip: r.ip, mac: r.mac}
  }

  controllerHostMap(host: string): HostLeafMapping[] {
    return this.sql('SELECT host, leaf, interface FROM controller_host_map WHERE host = ? ORDER BY leaf').all(
      host,
    ) as HostLeafMapping[]
  }

  leafRunning(leaf: string): LeafConfig | undefined {
    const r = this.sql('SELECT running FROM leaf_configs WHERE leaf = ?').get(leaf) as {running: string} | undefined
    return r && (JSON.parse(r.running) as LeafConfig)
  }

  leafLastKnownGood(leaf: string): LeafConfig | undefined {
    const r = this.sql('SELECT last_known_good FROM leaf_configs WHERE leaf = ?').get(leaf) as
      {last_known_good: string | null} | undefined
    return r?.last_known_good ? (JSON.parse(r.last_known_good) as LeafConfig) : undefined
  }
}
