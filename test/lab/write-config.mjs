#!/usr/bin/env node
// Writes STATE/inventory.json and STATE/fabricctl.yaml (docs/contexts.md format, context "lab").
// Usage: node write-config.mjs TOPOLOGY.json SEED.json STATE_DIR RUN_DIR
import {existsSync, readFileSync, writeFileSync, renameSync} from 'node:fs'
import {join} from 'node:path'

const [topoFile, seedFile, stateDir, runDir] = process.argv.slice(2)
const topo = JSON.parse(readFileSync(topoFile, 'utf8'))
const seed = JSON.parse(readFileSync(seedFile, 'utf8'))
const ssh = {
  user: 'root',
  identityFile: join(runDir, 'ssh', 'id_ed25519'),
  knownHostsFile: join(runDir, 'ssh', 'known_hosts'),
  strictHostKeyChecking: true,
  connectTimeoutMs: 10000,
}
const neutronUrl = `http://127.0.0.1:${topo.lab.neutronPort}`
const prod = topo.profile === 'prod'
// prod: what up read back from the hosts once the agents had wired the ports (RUN/local-vlans:
// "PORT_ID TAG"), and the devices on br-int that Neutron does not know (RUN/unknown-devices)
const readLines = f =>
  existsSync(join(runDir, f)) ? readFileSync(join(runDir, f), 'utf8').trim().split('\n').filter(Boolean) : []
const localVlans = Object.fromEntries(
  readLines('local-vlans')
    .map(l => l.split(' '))
    .map(([id, t]) => [id, Number(t)]),
)
const unknownDevices = readLines('unknown-devices').map(l => {
  const [hid, device, ifaceId] = l.split(' ')
  return {host: topo.hosts.find(h => h.id === hid).name, device, ifaceId: ifaceId === '-' ? null : ifaceId}
})

const portOf = inst => seed.ports.find(p => p.instance === inst)
const inventory = {
  azs: [{name: topo.az, topology: 'spine-leaf'}],
  spines: topo.spines.map(s => ({name: s.name, az: topo.az, address: s.mgmt, vtep: s.loopback, asn: s.asn})),
  leaves: topo.leaves.map(l => ({
    name: l.name,
    az: topo.az,
    pair: l.pair,
    address: l.mgmt,
    port: 22,
    driver: 'frr',
    vtep: l.vtep,
    asn: l.asn,
  })),
  // (full profile: the same leaf entries; the driver detects the profile from the guest kernel)
  hosts: topo.hosts.map(h => ({
    name: h.name,
    az: topo.az,
    address: h.mgmt,
    port: 22,
    plugging: h.plugging,
    nics: h.nics.map(n => ({name: n.name, leaf: n.leaf, interface: n.interface, speedMbps: n.speedMbps})),
  })),
  instances: topo.hosts.flatMap(h =>
    h.instances.map(i => {
      const p = portOf(i.name)
      const short = p.id.slice(0, 11)
      return {
        name: i.name,
        host: h.name,
        kind: 'container',
        portId: p.id,
        device: (i.plugging ?? h.plugging) === 'qbr' ? `qvo${short}` : `tap${short}`,
        ip: p.ip,
        network: i.network,
      }
    }),
  ),
}

// inventory.json: the context's inventory plus lab facts (namespaces, Neutron ids, numbering)
const full = {
  kind: 'LabInventory',
  schemaVersion: 1,
  profile: topo.profile,
  generatedAt: new Date().toISOString(),
  stateDir,
  runDir,
  configFile: join(stateDir, 'fabricctl.yaml'),
  sshConfigFile: join(runDir, 'ssh', 'ssh_config'),
  neutron: {url: neutronUrl, projectId: 'fake_project_id'},
  ssh,
  mgmt: {bridge: topo.lab.mgmtBridge, gateway: topo.lab.mgmtGateway, prefix: topo.lab.mgmtPrefix},
  networks: seed.networks.map(n => ({
    ...n,
    physnet: topo.lab.physnet,
    routeTarget: `${topo.lab.fabricAsn}:${n.vni}`,
    anycastMac: topo.lab.anycastMac,
    ...(topo.tenants ? {vrf: topo.networks.find(t => t.name === n.name).vrf} : {}),
  })),
  ...(topo.tenants ? {tenants: topo.tenants} : {}),
  ...(prod
    ? {
        rabbitmq: {
          url: `rabbit://guest:guest@127.0.0.1:${topo.lab.rabbitPort}/`,
          relaySocket: join(runDir, 'rabbitmq', 'amqp.sock'),
        },
        agents: {type: 'Open vSwitch agent', agentDownTime: 20, reportInterval: 5},
        // hand-made configuration on the shared leaf: not fabricctl's; tests check that it survives
        handMade: topo.leaves
          .filter(l => l.handMade)
          .map(l => ({leaf: l.name, bridges: l.handMade.bridges, vnis: l.handMade.vnis})),
        unknownDevices,
      }
    : {}),
  ...inventory,
  nodes: [
    ...topo.spines.map(s => ({name: s.name, role: 'spine', ns: s.ns, address: s.mgmt, links: s.links})),
    ...topo.leaves.map(l => ({
      name: l.name,
      role: 'leaf',
      ns: l.ns,
      address: l.mgmt,
      uplinks: l.uplinks,
      ports: l.ports,
      vnis: l.vnis,
      frrConf: '/etc/frr/frr.conf',
      ...(l.uml
        ? {
            uml: true,
            vrfs: l.vrfs,
            routerMac: l.routerMac,
            bridge: 'br0',
            guestDir: join(runDir, 'nodes', l.id, 'guest'),
          }
        : {}),
    })),
    ...topo.hosts.map(h => ({
      name: h.name,
      role: 'host',
      ns: h.ns,
      address: h.mgmt,
      plugging: h.plugging,
      ovs: h.ovs,
      bpffs: h.bpffs,
      network: h.network,
      localVlan: h.localVlan,
      bondActive: h.bondActive,
      ...(h.networks ? {networks: h.networks, tagged: true} : {}),
      ...(prod ? {bond: h.bond, nics: h.nics, sameLeaf: !!h.sameLeaf} : {}),
      instances: h.instances.map(i => {
        const p = portOf(i.name)
        return {...i, ...p, ...(prod ? {localVlan: localVlans[p.id] ?? null} : {})}
      }),
    })),
  ],
}

// ---- YAML (hand-written emitter: plain scalars are safe here, strings that need it are quoted)
const q = v => {
  if (typeof v !== 'string') return String(v)
  const plain =
    /^[A-Za-z0-9_./@-][A-Za-z0-9_./:@-]*$/.test(v) &&
    !/^(true|false|null|yes|no|on|off|~|[-+]?[0-9]+(\.[0-9]+)?)$/i.test(v)
  return plain ? v : JSON.stringify(v)
}
const flow = o =>
  `{ ${Object.entries(o)
    .map(([k, v]) => `${k}: ${q(v)}`)
    .join(', ')} }`
// prod: the context declares only what no device can tell (names, addresses, AZ, cabling, the
// leaf driver); no vtep/asn (FRR knows), no plugging (OVS shows it), no NIC speeds (made up for
// veths), no instances (Neutron's ports), no anycast MAC (the leaves' bridges carry it)
const pick = (o, keys) => Object.fromEntries(keys.filter(k => o[k] !== undefined).map(k => [k, o[k]]))
const prodLines = () => [
  'apiVersion: fabricctl/v1',
  'kind: Config',
  `current-context: ${topo.lab.context}`,
  'contexts:',
  `  - name: ${topo.lab.context}`,
  '    backend: live',
  '    neutron:',
  `      url: ${neutronUrl}`,
  '      auth:',
  '        type: noauth',
  '        projectId: fake_project_id',
  '      timeoutMs: 30000',
  '    ssh:',
  `      user: ${ssh.user}`,
  `      identityFile: ${q(ssh.identityFile)}`,
  `      knownHostsFile: ${q(ssh.knownHostsFile)}`,
  '      strictHostKeyChecking: true',
  `      connectTimeoutMs: ${ssh.connectTimeoutMs}`,
  '    inventory:',
  '      azs:',
  ...inventory.azs.map(a => `        - ${flow(a)}`),
  '      spines:',
  ...inventory.spines.map(s => `        - ${flow(pick(s, ['name', 'az', 'address']))}`),
  '      leaves:',
  ...inventory.leaves.map(l => `        - ${flow(pick(l, ['name', 'az', 'pair', 'address', 'port', 'driver']))}`),
  '      hosts:',
  ...inventory.hosts.flatMap(h => [
    `        - name: ${h.name}`,
    `          az: ${h.az}`,
    `          address: ${h.address}`,
    `          port: ${h.port}`,
    '          nics:',
    ...h.nics.map(n => `            - ${flow(pick(n, ['name', 'leaf', 'interface']))}`),
  ]),
]
const lines = prod
  ? prodLines()
  : [
      'apiVersion: fabricctl/v1',
      'kind: Config',
      `current-context: ${topo.lab.context ?? 'lab'}`,
      'contexts:',
      `  - name: ${topo.lab.context ?? 'lab'}`,
      '    backend: live',
      '    neutron:',
      `      url: ${neutronUrl}`,
      '      auth:',
      '        type: noauth',
      '        projectId: fake_project_id',
      '      timeoutMs: 30000',
      '    ssh:',
      `      user: ${ssh.user}`,
      `      identityFile: ${q(ssh.identityFile)}`,
      `      knownHostsFile: ${q(ssh.knownHostsFile)}`,
      '      strictHostKeyChecking: true',
      `      connectTimeoutMs: ${ssh.connectTimeoutMs}`,
      // The leaves' bridges already carry this anycast MAC: a push must keep it, not rewrite it.
      '    overlay:',
      `      anycastMac: "${topo.lab.anycastMac}"`,
      // The lab's VNIs are the controller's (fabricctl's) own: declare them managed (issue 13), since the lab
      // creates them unmarked. Hand-made configuration a test adds uses VNIs outside this range.
      '      manage:',
      '        vnis: ["10000-19999"]',
      // full profile: the tenant VRFs (a network's Neutron tag picks its VRF and L3 VNI)
      ...(topo.tenants
        ? [
            '      tenants:',
            ...topo.tenants.map(
              t => `        - ${flow({tag: t.tag, vrf: t.vrf, table: t.table, l3Vni: t.l3vni, l3Vlan: t.l3vlan})}`,
            ),
          ]
        : []),
      '    inventory:',
      '      azs:',
      ...inventory.azs.map(a => `        - ${flow(a)}`),
      '      spines:',
      ...inventory.spines.map(s => `        - ${flow(s)}`),
      '      leaves:',
      ...inventory.leaves.map(l => `        - ${flow(l)}`),
      '      hosts:',
      ...inventory.hosts.flatMap(h => [
        `        - name: ${h.name}`,
        `          az: ${h.az}`,
        `          address: ${h.address}`,
        `          port: ${h.port}`,
        `          plugging: ${h.plugging}`,
        '          nics:',
        ...h.nics.map(n => `            - ${flow(n)}`),
      ]),
      '      instances:',
      ...inventory.instances.map(i => `        - ${flow(i)}`),
    ]

const write = (file, text) => {
  writeFileSync(file + '.tmp', text)
  renameSync(file + '.tmp', file)
}
write(join(stateDir, 'inventory.json'), JSON.stringify(full, null, 2) + '\n')
write(join(stateDir, 'fabricctl.yaml'), lines.join('\n') + '\n')
