import type {Host} from '../../model/types.js'
import type {HostFactSelection} from '../../seam/host-probe.js'
import type {FabricStore} from '../../store/fabric-store.js'
import {deriveInstances} from '../hops.js'
import type {HostEvidence, LinkInfo, OvsInterface} from '../types.js'

/** Neutron's iptables_hybrid firewall rules for one port, as iptables-save prints them. */
export function simSecurityGroupRules(tap: string): string[] {
  const stem = tap.slice(3, 13)
  return [
    `-A neutron-openvswi-FORWARD -m physdev --physdev-out ${tap} --physdev-is-bridged -m comment --comment "Direct traffic from the VM interface to the security group chain." -j neutron-openvswi-sg-chain`,
    `-A neutron-openvswi-FORWARD -m physdev --physdev-in ${tap} --physdev-is-bridged -m comment --comment "Direct traffic from the VM interface to the security group chain." -j neutron-openvswi-sg-chain`,
    `-A neutron-openvswi-INPUT -m physdev --physdev-in ${tap} --physdev-is-bridged -j neutron-openvswi-o${stem}`,
    `-A neutron-openvswi-sg-chain -m physdev --physdev-out ${tap} --physdev-is-bridged -j neutron-openvswi-i${stem}`,
    `-A neutron-openvswi-sg-chain -m physdev --physdev-in ${tap} --physdev-is-bridged -j neutron-openvswi-o${stem}`,
    `-A neutron-openvswi-i${stem} -m state --state RELATED,ESTABLISHED -j RETURN`,
    `-A neutron-openvswi-i${stem} -m state --state INVALID -j DROP`,
    `-A neutron-openvswi-o${stem} -j neutron-openvswi-s${stem}`,
    `-A neutron-openvswi-o${stem} -m state --state RELATED,ESTABLISHED -j RETURN`,
  ]
}

/**
 * The simulated fabric's hosts as evidence: host rows (OVS version and running state, kernel,
 * config, bpffs, JIT), cabling (NICs, speed, link, switch) and the OVS agents' wiring (ovs_ports),
 * with the faults already applied to them (ovs-down, nic-down, device-missing).
 */
/** The trace-only facts the store does not model (copied into each host's list). */
const SIM_UNMODELLED: HostEvidence['probeErrors'] = [
  {probe: 'ovsDpif', message: 'the simulated fabric has no datapath (dpif/show is not modelled)'},
  {probe: 'brIntFlows', message: 'the simulated fabric has no flow table (dump-flows is not modelled)'},
]

export function simEvidence(store: FabricStore, hosts: Host[], facts: SimFacts = 'all'): HostEvidence[] {
  // One indexed lookup per host (primary key host, device): cheap for a batch of a large fabric.
  const stmt = store.sql('SELECT device, ofport, port_id, local_vlan FROM ovs_ports WHERE host = ? ORDER BY ofport')
  const portsBy = new Map(hosts.map(h => [h.name, stmt.all(h.name) as SimOvsPort[]]))
  return hosts.map(h => hostEvidence(h, portsBy.get(h.name) ?? [], facts))
}

/**
 * Which facts to build, as the host probe's `facts` selection: `ovs`/`bond` leave the links, the iptables
 * rules and the instances derived from them unread (null, with the reason, as a live probe that did not
 * run them), `wiring` and `trace` leave the rules; on a large fabric those are most of the cost and memory. The
 * trace-only facts (dpif, br-int's flows) are never modelled (SIM_UNMODELLED).
 */
export type SimFacts = HostFactSelection
const NOT_READ = 'not read (this command reads fewer facts)'

/** One row of the simulated agents' ovs_ports: local_vlan is the device's Port tag (4095 when br-int is full). */
interface SimOvsPort {
  device: string
  ofport: number
  port_id?: string
  local_vlan: number
}

function hostEvidence(h: Host, ports: SimOvsPort[], facts: SimFacts): HostEvidence {
  const readLinks = facts === 'all' || facts === 'wiring' || facts === 'trace'
  const readRules = facts === 'all'
  const hasOvs = h.ovsVersion !== null
  const running = hasOvs && h.ovsRunning
  const from = {
    role: 'sim: hosts.role',
    ovsTool: 'sim: hosts.ovs_version',
    ovsDb: 'sim: hosts.ovs_version',
    ovsDaemon: 'sim: hosts.ovs_version + ovs_running',
    ovsRunning: 'sim: hosts.ovs_running',
    ovsBridges: 'sim: ovs_ports',
    ovsPorts: 'sim: ovs_ports.local_vlan',
    ovsInterfaces: 'sim: ovs_ports',
    instances: 'sim: ovs_ports',
    iptables: 'sim: Neutron iptables_hybrid rules for qbr ports',
    kernel: 'sim: hosts.kernel_version',
    kernelConfig: 'sim: hosts.kernel_config',
    bpffs: 'sim: hosts.bpffs_mounted',
    jit: 'sim: hosts.jit_enabled',
    bond: 'sim: hosts.bond + cabling',
    nics: 'sim: cabling',
    cabling: 'sim: cabling',
  }
  let interfaces: OvsInterface[] | null = null
  let links: LinkInfo[] | null = null
  let rules: string[] | null = null
  if (running) {
    const bond = h.bond
    interfaces = [
      {name: 'br-int', type: 'internal', ofport: 65534, error: null, bridge: 'br-int', port: 'br-int', peer: null},
      {name: 'br-bond', type: 'internal', ofport: 65534, error: null, bridge: 'br-bond', port: 'br-bond', peer: null},
      {
        name: 'int-br-bond',
        type: 'patch',
        ofport: 1,
        error: null,
        bridge: 'br-int',
        port: 'int-br-bond',
        peer: 'phy-br-bond',
      },
      {
        name: 'phy-br-bond',
        type: 'patch',
        ofport: 1,
        error: null,
        bridge: 'br-bond',
        port: 'phy-br-bond',
        peer: 'int-br-bond',
      },
      ...h.nics.map((n, i) => ({
        name: n.name,
        type: '',
        ofport: i + 2,
        error: null,
        bridge: 'br-bond',
        port: bond,
        peer: null,
      })),
      ...ports.map(p => ({
        // A plain property, not a conditional spread: on 218,000 devices the spread cost 1.4 s of a 3.7 s audit (x5).
        ifaceId: p.port_id ?? undefined,
        // The agent's local VLAN is the Port tag (sim/agents.ts gives 4095, the dead VLAN, when br-int is full).
        tag: p.local_vlan,
        name: p.device,
        type: '',
        ofport: p.ofport,
        error: null,
        bridge: 'br-int',
        port: p.device,
        peer: null,
      })),
    ]
    if (readLinks) {
      links = []
      rules = readRules ? [] : null
      for (const p of ports) {
        if (!p.device.startsWith('qvo')) {
          links.push({name: p.device, kind: 'veth', master: 'ovs-system', peer: null, up: true, operstate: 'UP'})
          continue
        }
        const id = p.device.slice(3)
        links.push(
          {name: `tap${id}`, kind: 'tun', master: `qbr${id}`, peer: null, up: true, operstate: 'UP'},
          {name: `qbr${id}`, kind: 'bridge', master: null, peer: null, up: true, operstate: 'UP'},
          {name: `qvb${id}`, kind: 'veth', master: `qbr${id}`, peer: `qvo${id}`, up: true, operstate: 'UP'},
          {name: `qvo${id}`, kind: 'veth', master: 'ovs-system', peer: `qvb${id}`, up: true, operstate: 'UP'},
        )
        rules?.push(...simSecurityGroupRules(`tap${id}`))
      }
    }
  }
  const probeErrors: HostEvidence['probeErrors'] = [
    ...SIM_UNMODELLED,
    ...(readLinks ? [] : [{probe: 'links', message: NOT_READ}]),
    ...(readRules ? [] : [{probe: 'iptables', message: NOT_READ}]),
  ]
  const active = h.nics.find(n => n.up) ?? h.nics[0]
  const instances =
    interfaces && readLinks
      ? deriveInstances(interfaces, links, rules, {
          bond: h.bond,
          nic: active?.name,
          switchPort: active ? `${active.switch}:${active.interface}` : undefined,
        })
      : null
  const bareMetal = h.role === 'baremetal'
  return {
    host: h.name,
    az: h.az,
    role: h.role,
    address: h.address,
    source: 'sim',
    from,
    probeErrors,
    ovs: {
      expected: !bareMetal,
      installed: hasOvs,
      toolVersion: h.ovsVersion,
      dbVersion: running ? h.ovsVersion : null,
      daemonVersion: running ? h.ovsVersion : null,
      dbReachable: hasOvs ? running : false,
      vswitchdRunning: hasOvs ? running : false,
      runningDetail:
        hasOvs && !running
          ? 'ovs-vswitchd and ovsdb-server are not running (sim fault ovs-down)'
          : !hasOvs
            ? 'ovs-vsctl: command not found'
            : null,
      bridges: running
        ? [
            {name: 'br-bond', ports: ['br-bond', h.bond, 'phy-br-bond'].sort()},
            {name: 'br-int', ports: ['br-int', 'int-br-bond', ...ports.map(p => p.device)].sort()},
          ]
        : null,
      interfaces,
      bonds: running
        ? [{name: h.bond, bridge: 'br-bond', members: h.nics.map(n => ({name: n.name, enabled: n.up}))}]
        : null,
    },
    links,
    instances,
    kernel: {
      release: h.kernel.version,
      config: h.kernel.config,
      configSource: h.kernel.config ? 'sim: hosts.kernel_config' : null,
      configError: h.kernel.config
        ? null
        : 'kernel config unreadable on this host (neither /proc/config.gz nor /boot/config-*)',
      bpffsMounted: h.kernel.bpffsMounted,
      jitEnable: h.kernel.jitEnabled === null ? null : h.kernel.jitEnabled ? 1 : 0,
      bpftool: null,
    },
    // A bare-metal host's bond belongs to its instance; the host's NICs are still cabled and audited.
    bond: h.nics.length
      ? {
          name: h.bond,
          kind: bareMetal ? 'linux' : 'ovs',
          members: h.nics.map(n => n.name),
          mode: null,
          lacp: null,
          lacpFallbackAb: null,
          lacpDefaulted: null,
          activeMember: null,
          unknown: {
            mode: 'the simulated fabric does not model bond modes',
            lacp: 'the simulated fabric does not model LACP',
            activeMember: 'the simulated fabric does not model an active member',
          },
        }
      : null,
    nics: h.nics.map(n => ({name: n.name, speedMbps: n.speedMbps, up: n.up, switch: n.switch, interface: n.interface})),
    // No datapath and no flow table in the store (the sim's trace computes from the store: trace/sim.ts).
    dpif: null,
    brIntTranslations: null,
  }
}
