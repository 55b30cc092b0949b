import type Database from 'better-sqlite3'

/** The tables a port operation may change; equal fingerprints before and after mean it changed nothing. */
const PORT_STATE_TABLES = ['ports', 'ovs_ports', 'controller_ports', 'leaf_configs', 'network_labels'] as const

/** Every row of the port-state tables of a sim store, in a stable order, as one string. */
export function storeFingerprint(db: Database.Database): string {
  return JSON.stringify(PORT_STATE_TABLES.map(t => db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()))
}
