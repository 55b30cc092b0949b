#!/usr/bin/env node
// The lab's shape: the single source of truth for names, addresses, cabling and numbering.
// Usage: node topology.mjs --hosts N --profile native|full   (prints JSON on stdout)
// The full profile (leaves in User-Mode-Linux guests) coexists with the native lab: its own
// namespace prefix (fabf-), management subnet (198.18.1.0/24), Neutron port and context name.
// The prod profile (production-shaped: the real Neutron OVS agent on every host, RabbitMQ, a
// shared leaf with hand-made configuration, the host shapes operators meet) is a third lab:
// prefix fabp-, management 198.18.2.0/24, Neutron on 19698, context "lab" in its own state dir.
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
}

// VLAN segmentation in Neutron; VNI = 10000 + VLAN on the leaves.
export const NETWORKS = [
  {name: 'lab-net1', vlan: 101, cidr: '198.19.1.0/24', gateway: '198.19.1.1', tags: ['prod-env']},
  {name: 'lab-net2', vlan: 102, cidr: '198.19.2.0/24', gateway: '198.19.2.1', tags: ['prod-env']},
  {name: 'lab-net3', vlan: 103, cidr: '198.19.3.0/24', gateway: '198.19.3.1', tags: ['test-env']},
].map(n => ({...n, vni: 10000 + n.vlan, physnet: LAB.physnet, routeTarget: `${LAB.fabricAsn}:${10000 + n.vlan}`}))

// Full profile: one VRF per tenant, each with its L3 VNI (VLAN on the leaves' VLAN-aware bridge
// 4000 + n, SVI vlan<4000+n> in the VRF); the tenant's networks' SVIs sit in that VRF.
export const TENANTS = [
  {name: 'prod', vrf: 'vrf-prod', table: 1001, l3vni: 19001, l3vlan: 4001, tag: 'prod-env'},
  {name: 'test', vrf: 'vrf-test', table: 1002, l3vni: 19002, l3vlan: 4002, tag: 'test-env'},
].map(t => ({...t, routeTarget: `${LAB.fabricAsn}:${t.l3vni}`}))

export function topology({hosts = 3, profile = 'native'} = {}) {
  if (!['native', 'full', 'prod'].includes(profile))
    throw new Error(`--profile must be native, full or prod, got ${profile}`)
  const full = profile === 'full'
  const prod = profile === 'prod'
  const P = full ? 'fabf' : prod ? 'fabp' : 'fabl'
  const m = full ? '198.18.1' : prod ? '198.18.2' : '198.18.0'
  const lab = full
    ? {...LAB, mgmtBridge: 'fabf-mgmt', mgmtGateway: `${m}.1`, neutronPort: 19697, context: 'lab-full'}
    : prod
      ? {...LAB, mgmtBridge: 'fabp-mgmt', mgmtGateway: `${m}.1`, neutronPort: 19698, rabbitPort: 5673, context: 'lab'}
      : {...LAB, context: 'lab'}
  if (!Number.isInteger(hosts) || hosts < 3 || hosts > LAB.maxHosts) {
    throw new Error(`--hosts must be an integer from 3 to ${LAB.maxHosts}, got ${hosts}`)
  }
  const spine = {
    name: 'lab-spine1',
    id: 'spine1',
    ns: `${P}-spine1`,
    mgmt: `${m}.10`,
    loopback: '198.19.255.10',
    asn: LAB.fabricAsn,
    links: [],
  }
  const leaves = [1, 2].map(i => ({
    name: `lab-leaf${i}`,
    id: `leaf${i}`,
    ns: `${P}-leaf${i}`,
    pair: 'lab-pair1',
    mgmt: `${m}.${10 + i}`,
    vtep: `198.19.255.${10 + i}`,
    asn: 65010 + i,
    uplinks: [
      {
        iface: 'swp51',
        spine: spine.name,
        spineIface: `swp${i}`,
        ip: `198.19.254.${2 * (i - 1) + 1}`,
        peerIp: `198.19.254.${2 * (i - 1)}`,
        prefix: 31,
      },
    ],
    ports: [], // host-facing ports, filled below
    vnis: [],
    ...(full ? {uml: true, vrfs: []} : {}),
  }))
  for (const [i, leaf] of leaves.entries()) {
    spine.links.push({
      iface: `swp${i + 1}`,
      peer: leaf.name,
      peerIface: 'swp51',
      ip: leaf.uplinks[0].peerIp,
      peerIp: leaf.uplinks[0].ip,
      prefix: 31,
      peerAsn: leaf.asn,
    })
  }
  const hostList = []
  for (let i = 1; i <= hosts; i++) {
    // native: lab-net1, lab-net2 alternate (one untagged network per host); full: every host
    // carries lab-net1 and lab-net2 (802.1Q tagged, VLAN 101/102), instance k on network k.
    // lab-net3 has no ports.
    const network = NETWORKS[(i - 1) % 2]
    const netOf = k => (full ? NETWORKS[k - 1] : network)
    // prod: the host shapes operators meet (README "Prod profile"); every host runs the real OVS agent
    const prodVariant =
      i === 1
        ? {plugging: 'direct', ovs: 'system', bpffs: false, bond: {mode: 'balance-tcp', lacp: 'active'}}
        : i === 2
          ? {plugging: 'mixed', ovs: 'system', bpffs: false, bond: {mode: 'active-backup'}, unknownDevices: true}
          : i === 3
            ? {plugging: 'direct', ovs: 'system', bpffs: false, bond: {mode: 'active-backup'}, sameLeaf: true}
            : {plugging: 'direct', ovs: 'system', bpffs: false, bond: {mode: 'active-backup'}}
    const variant = prod
      ? prodVariant
      : i === 1
        ? {plugging: 'direct', ovs: 'system', bpffs: true}
        : i === 2
          ? {plugging: 'qbr', ovs: 'system', bpffs: false}
          : i === 3
            ? {plugging: 'direct', ovs: 'debian11', bpffs: false}
            : {plugging: 'direct', ovs: 'system', bpffs: false}
    const nics = leaves.map((leaf, k) => ({
      name: `eth${k}`,
      leaf: leaf.name,
      interface: `swp${i}`,
      speedMbps: 10000,
    }))
    // prod h3: both NICs on the same leaf (lab-leaf1 swp3 and swp13)
    if (prod && variant.sameLeaf) nics[1] = {...nics[1], leaf: leaves[0].name, interface: `swp${i + 10}`}
    const host = {
      name: `lab-h${i}`,
      id: `h${i}`,
      ns: `${P}-h${i}`,
      mgmt: `${m}.${20 + i}`,
      ...variant,
      network: network.name,
      localVlan: 1,
      ...(full ? {networks: [NETWORKS[0].name, NETWORKS[1].name], tagged: true} : {}),
      nics,
      bondActive: nics[Math.floor((i - 1) / 2) % 2].name,
      // localVlan: the instance port's tag on br-int (the OVS agent's local VLAN of its network)
      instances: [1, 2].map(k => ({
        name: `lab-h${i}-i${k}`,
        ns: `${P}-h${i}-i${k}`,
        network: netOf(k).name,
        // prod: the OVS agent picks the local VLAN (up records it once the agent has wired the port)
        ...(prod ? {} : {localVlan: full ? k : 1}),
        // prod mixed plugging: the first instance through qbr (legacy), the second direct
        ...(prod ? {plugging: variant.plugging === 'mixed' ? (k === 1 ? 'qbr' : 'direct') : variant.plugging} : {}),
      })),
    }
    if (prod) delete host.localVlan
    hostList.push(host)
    for (const nic of nics) {
      const leaf = leaves.find(l => l.name === nic.leaf)
      if (full) {
        const nets = [NETWORKS[0], NETWORKS[1]]
        leaf.ports.push({
          iface: nic.interface,
          host: host.name,
          hostNic: nic.name,
          vni: nets[0].vni,
          vlans: nets.map(n => n.vlan),
          vnis: nets.map(n => n.vni),
          tagged: true,
        })
        for (const n of nets) if (!leaf.vnis.includes(n.vni)) leaf.vnis.push(n.vni)
      } else {
        leaf.ports.push({iface: nic.interface, host: host.name, hostNic: nic.name, vni: network.vni})
        if (!leaf.vnis.includes(network.vni)) leaf.vnis.push(network.vni)
      }
    }
  }
  // prod: a leaf shared with hand-made configuration that no Neutron network backs (fabricctl
  // must leave it alone): on lab-leaf1 a bridge named by VLAN, br100, with another (non-fabric)
  // server's port swp20 in it, and VNI 10150 (br10150 + vxlan10150, an FRR vni stanza with RTs).
  if (prod) {
    leaves[0].handMade = {
      bridges: [
        {
          name: 'br100',
          vlan: 100,
          ports: ['swp20'],
          server: {name: 'lab-srv1', ns: `${P}-srv1`, nic: 'eth0', ip: '198.19.100.20/24'},
        },
      ],
      vnis: [{vni: 10150, bridge: 'br10150', vxlan: 'vxlan10150', routeTarget: `${LAB.fabricAsn}:10150`}],
    }
  }
  const networks = full ? NETWORKS.map(n => ({...n, vrf: TENANTS.find(t => n.tags.includes(t.tag)).vrf})) : NETWORKS
  if (full) {
    for (const leaf of leaves) {
      leaf.vnis.sort((a, b) => a - b)
      const vrfs = new Set(leaf.vnis.map(v => networks.find(n => n.vni === v).vrf))
      leaf.vrfs = TENANTS.filter(t => vrfs.has(t.vrf))
      leaf.routerMac = `44:38:39:ff:01:${String(10 + Number(leaf.id.slice(4))).padStart(2, '0')}`
    }
  }
  return {
    profile,
    az: LAB.az,
    lab,
    networks,
    ...(full ? {tenants: TENANTS} : {}),
    spines: [spine],
    leaves,
    hosts: hostList,
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2)
  const get = (flag, dflt) => {
    const i = args.indexOf(flag)
    return i >= 0 ? args[i + 1] : dflt
  }
  try {
    process.stdout.write(
      JSON.stringify(topology({hosts: Number(get('--hosts', '3')), profile: get('--profile', 'native')}), null, 2) +
        '\n',
    )
  } catch (e) {
    process.stderr.write(`topology: ${e.message}\n`)
    process.exit(2)
  }
}
