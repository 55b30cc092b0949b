/**
 * Versioned schema migrations for the embedded store. Append only: a released migration is never
 * edited; a change is a new entry. `PRAGMA user_version` records how far a database has got.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the fabric model
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE azs (name TEXT PRIMARY KEY, topology TEXT NOT NULL CHECK (topology IN ('spine-leaf','hierarchical')));
  CREATE TABLE switches (
    name TEXT PRIMARY KEY, az TEXT NOT NULL REFERENCES azs(name),
    role TEXT NOT NULL CHECK (role IN ('spine','leaf','access','aggregation','core')),
    pair TEXT, asn INTEGER, vtep TEXT, address TEXT, driver TEXT NOT NULL DEFAULT 'sim'
  );
  CREATE INDEX switches_az ON switches(az, role);
  CREATE TABLE hosts (
    name TEXT PRIMARY KEY, az TEXT NOT NULL REFERENCES azs(name),
    role TEXT NOT NULL CHECK (role IN ('hypervisor','container','baremetal')),
    address TEXT, ovs_version TEXT, ovs_running INTEGER NOT NULL DEFAULT 1,
    plugging TEXT NOT NULL CHECK (plugging IN ('direct','qbr')), bond TEXT NOT NULL DEFAULT 'bond0',
    kernel_version TEXT NOT NULL, kernel_config TEXT, bpffs_mounted INTEGER, jit_enabled INTEGER,
    agent_alive INTEGER NOT NULL DEFAULT 1, agent_heartbeat_at TEXT NOT NULL
  );
  CREATE INDEX hosts_az ON hosts(az);
  CREATE TABLE cabling (
    host TEXT NOT NULL REFERENCES hosts(name) ON DELETE CASCADE, nic TEXT NOT NULL,
    switch TEXT NOT NULL REFERENCES switches(name), interface TEXT NOT NULL,
    speed_mbps INTEGER NOT NULL, up INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (host, nic), UNIQUE (switch, interface)
  );
  CREATE TABLE tenants (name TEXT PRIMARY KEY, vrf TEXT NOT NULL UNIQUE, l3_vni INTEGER NOT NULL UNIQUE);
  CREATE TABLE networks (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, az TEXT NOT NULL REFERENCES azs(name),
    tenant TEXT NOT NULL REFERENCES tenants(name), cidr TEXT NOT NULL, gateway TEXT NOT NULL,
    vlan INTEGER NOT NULL, l2_vni INTEGER UNIQUE,
    UNIQUE (az, vlan)
  );
  CREATE TABLE network_labels (
    network TEXT NOT NULL REFERENCES networks(name) ON DELETE CASCADE ON UPDATE CASCADE, label TEXT NOT NULL,
    PRIMARY KEY (network, label)
  );
  CREATE INDEX network_labels_label ON network_labels(label);
  CREATE TABLE instances (
    name TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('vm','container','baremetal')),
    host TEXT REFERENCES hosts(name)
  );
  CREATE INDEX instances_host ON instances(host);
  CREATE TABLE ports (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,
    network TEXT NOT NULL REFERENCES networks(name) ON UPDATE CASCADE,
    ip TEXT NOT NULL, ip_num INTEGER NOT NULL, mac TEXT NOT NULL UNIQUE,
    host TEXT REFERENCES hosts(name), instance TEXT REFERENCES instances(name) ON DELETE SET NULL,
    underlay TEXT NOT NULL DEFAULT 'DOWN', overlay TEXT NOT NULL DEFAULT 'DOWN',
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    UNIQUE (network, ip_num)
  );
  CREATE INDEX ports_host ON ports(host);
  CREATE INDEX ports_state ON ports(underlay, overlay);
  CREATE TABLE ovs_ports (
    host TEXT NOT NULL REFERENCES hosts(name) ON DELETE CASCADE, device TEXT NOT NULL,
    port_id TEXT NOT NULL, local_vlan INTEGER NOT NULL, ofport INTEGER NOT NULL,
    PRIMARY KEY (host, device)
  );
  CREATE INDEX ovs_ports_port ON ovs_ports(port_id);
  CREATE TABLE controller_ports (
    port_id TEXT PRIMARY KEY, network TEXT NOT NULL, host TEXT, ip TEXT NOT NULL, mac TEXT NOT NULL
  );
  CREATE INDEX controller_ports_host ON controller_ports(host);
  CREATE TABLE controller_host_map (
    host TEXT NOT NULL, leaf TEXT NOT NULL, interface TEXT NOT NULL, PRIMARY KEY (host, leaf)
  );
  CREATE TABLE leaf_configs (
    leaf TEXT PRIMARY KEY REFERENCES switches(name), running TEXT NOT NULL,
    last_known_good TEXT, updated_at TEXT NOT NULL
  );
  CREATE TABLE faults (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, target TEXT NOT NULL,
    params TEXT NOT NULL DEFAULT '{}', created_at TEXT NOT NULL
  );
  CREATE INDEX faults_kind ON faults(kind, target);
  `,
  // 2: look ports up by IP or instance without a table scan (PORT may be an IP everywhere)
  `
  CREATE INDEX ports_ip ON ports(ip);
  CREATE INDEX ports_instance ON ports(instance);
  `,
]
