#!/usr/bin/env node
// The lab's shape: the single source of truth for names, addresses, cabling and numbering.
// Usage: node topology.mjs --hosts N --profile native   (prints JSON on stdout)
// Used by `up` (through jq) and by write-config.mjs.

export const LAB = {
  az: 'lab-az1',
  mgmtBridge: 'fabl-mgmt',
  mgmtGateway: '198.18.0.1',
  mgmtPrefix: 24,
  neutronPort: 19696,
  physnet: 'physnet1',
  fabricAsn: 65000, // the spine's ASN; also the ASN half of every EVPN route target
  anycastMac: '44:38:39:ff:00:01',
  maxHosts: 8,
};

// VLAN segmentation in Neutron; VNI = 10000 + VLAN on the leaves.
export const NETWORKS = [
  { name: 'lab-net1', vlan: 101, cidr: '198.19.1.0/24', gateway: '198.19.1.1', tags: ['prod-env'] },
  { name: 'lab-net2', vlan: 102, cidr: '198.19.2.0/24', gateway: '198.19.2.1', tags: ['prod-env'] },
  { name: 'lab-net3', vlan: 103, cidr: '198.19.3.0/24', gateway: '198.19.3.1', tags: ['test-env'] },
].map((n) => ({ ...n, vni: 10000 + n.vlan, physnet: LAB.physnet, routeTarget: `${LAB.fabricAsn}:${10000 + n.vlan}` }));

export function topology({ hosts = 3, profile = 'native' } = {}) {
  if (!Number.isInteger(hosts) || hosts < 3 || hosts > LAB.maxHosts) {
    throw new Error(`--hosts must be an integer from 3 to ${LAB.maxHosts}, got ${hosts}`);
  }
  const spine = {
    name: 'lab-spine1', id: 'spine1', ns: 'fabl-spine1', mgmt: '198.18.0.10',
    loopback: '198.19.255.10', asn: LAB.fabricAsn, links: [],
  };
  const leaves = [1, 2].map((i) => ({
    name: `lab-leaf${i}`, id: `leaf${i}`, ns: `fabl-leaf${i}`, pair: 'lab-pair1',
    mgmt: `198.18.0.${10 + i}`, vtep: `198.19.255.${10 + i}`, asn: 65010 + i,
    uplinks: [{
      iface: 'swp51', spine: spine.name, spineIface: `swp${i}`,
      ip: `198.19.254.${2 * (i - 1) + 1}`, peerIp: `198.19.254.${2 * (i - 1)}`, prefix: 31,
    }],
    ports: [], // host-facing ports, filled below
    vnis: [],
  }));
  for (const [i, leaf] of leaves.entries()) {
    spine.links.push({
      iface: `swp${i + 1}`, peer: leaf.name, peerIface: 'swp51',
      ip: leaf.uplinks[0].peerIp, peerIp: leaf.uplinks[0].ip, prefix: 31, peerAsn: leaf.asn,
    });
  }
  const hostList = [];
  for (let i = 1; i <= hosts; i++) {
    const network = NETWORKS[(i - 1) % 2]; // lab-net1, lab-net2 alternate; lab-net3 has no ports
    const variant = i === 1 ? { plugging: 'direct', ovs: 'system', bpffs: true }
      : i === 2 ? { plugging: 'qbr', ovs: 'system', bpffs: false }
      : i === 3 ? { plugging: 'direct', ovs: 'debian11', bpffs: false }
      : { plugging: 'direct', ovs: 'system', bpffs: false };
    const nics = leaves.map((leaf, k) => ({
      name: `eth${k}`, leaf: leaf.name, interface: `swp${i}`, speedMbps: 10000,
    }));
    const host = {
      name: `lab-h${i}`, id: `h${i}`, ns: `fabl-h${i}`, mgmt: `198.18.0.${20 + i}`,
      ...variant, network: network.name, localVlan: 1,
      nics, bondActive: nics[Math.floor((i - 1) / 2) % 2].name,
      instances: [1, 2].map((k) => ({ name: `lab-h${i}-i${k}`, ns: `fabl-h${i}-i${k}`, network: network.name })),
    };
    hostList.push(host);
    for (const nic of nics) {
      const leaf = leaves.find((l) => l.name === nic.leaf);
      leaf.ports.push({ iface: nic.interface, host: host.name, hostNic: nic.name, vni: network.vni });
      if (!leaf.vnis.includes(network.vni)) leaf.vnis.push(network.vni);
    }
  }
  return {
    profile, az: LAB.az, lab: LAB, networks: NETWORKS, spines: [spine], leaves, hosts: hostList,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const get = (flag, dflt) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : dflt;
  };
  try {
    process.stdout.write(JSON.stringify(topology({ hosts: Number(get('--hosts', '3')), profile: get('--profile', 'native') }), null, 2) + '\n');
  } catch (e) {
    process.stderr.write(`topology: ${e.message}\n`);
    process.exit(2);
  }
}
