import {DEAD_VLAN_TAG, deadVlanDevices, PATH_HOPS, untaggedDevices} from '../hops.js'
import type {Finding, HostEvidence} from '../types.js'
import {ev, finding, sample, unknown} from './util.js'

/** Dead-VLAN devices named one per evidence item, up to this many. */
const MAX_DEAD_SHOWN = 20

/**
 * bridges: the host's OVS layout (br-int, br-bond, the int-br-bond/phy-br-bond patch pair, the
 * bond on br-bond) and, per instance, direct (tap → br-int) or Linux-bridge (tap → qbr → qvb ⇄ qvo
 * → br-int) plugging: 18 vs 24 hops per instance-to-instance path, and the iptables rules that
 * the Linux bridges exist for. A br-int device on the Neutron OVS agent's dead VLAN (tag 4095) is no
 * instance: it is reported apart (`bridges.dead-vlan-devices`).
 */
export function checkBridges(e: HostEvidence): Finding[] {
  const o = e.ovs
  const f = e.from
  if (!o.expected)
    return [
      finding(
        'bridges',
        'not-applicable',
        'info',
        'No Open vSwitch on this host (bare metal): no bridges, the instance owns the bond.',
        [ev(f.role, e.role)],
      ),
    ]
  if (o.installed === false)
    return [
      unknown('bridges', 'unknown', 'No Open vSwitch installed: no br-int/br-bond to check.', [
        ev(f.ovsTool, 'not installed'),
      ]),
    ]
  if (!o.bridges || !o.interfaces) {
    return [
      unknown(
        'bridges',
        'unknown',
        'Could not read the OVS bridges (ovsdb not answering): plugging and hop counts unknown.',
        [ev(f.ovsBridges, o.runningDetail ?? 'no answer')],
        'Bring Open vSwitch back (see the ovs check), then audit again.',
      ),
    ]
  }
  const out: Finding[] = []
  const bridges = new Map(o.bridges.map(b => [b.name, b]))
  const iface = (name: string) => o.interfaces!.find(i => i.name === name)
  for (const br of ['br-int', 'br-bond']) {
    if (!bridges.has(br)) {
      out.push(
        finding(
          'bridges',
          `${br}-missing`,
          'error',
          `OVS bridge ${br} does not exist.`,
          [ev(f.ovsBridges, `bridges: ${[...bridges.keys()].join(', ') || '(none)'}`)],
          `Create it as the design expects (\`ovs-vsctl add-br ${br}\`) — or let the OVS agent do it — and re-plug the host's ports.`,
        ),
      )
    }
  }
  const intPatch = iface('int-br-bond')
  const phyPatch = iface('phy-br-bond')
  const patchOk =
    intPatch?.type === 'patch' &&
    phyPatch?.type === 'patch' &&
    intPatch.bridge === 'br-int' &&
    phyPatch.bridge === 'br-bond' &&
    intPatch.peer === 'phy-br-bond' &&
    phyPatch.peer === 'int-br-bond'
  if (!patchOk) {
    out.push(
      finding(
        'bridges',
        'patch-missing',
        'error',
        'The patch pair int-br-bond (br-int) ⇄ phy-br-bond (br-bond) is missing or mis-peered: instances cannot reach the bond.',
        [
          ev(
            f.ovsInterfaces,
            `int-br-bond: ${intPatch ? `${intPatch.bridge}/${intPatch.type}/peer=${intPatch.peer}` : 'absent'}; phy-br-bond: ${phyPatch ? `${phyPatch.bridge}/${phyPatch.type}/peer=${phyPatch.peer}` : 'absent'}`,
          ),
        ],
        'Recreate the pair: `ovs-vsctl add-port br-int int-br-bond -- set Interface int-br-bond type=patch options:peer=phy-br-bond -- add-port br-bond phy-br-bond -- set Interface phy-br-bond type=patch options:peer=int-br-bond`.',
      ),
    )
  }
  const bondOnBrBond =
    e.bond &&
    (e.bond.kind === 'linux'
      ? bridges.get('br-bond')?.ports.includes(e.bond.name)
      : o.bonds?.some(b => b.name === e.bond!.name && b.bridge === 'br-bond'))
  if (!e.bond) {
    out.push(
      finding(
        'bridges',
        'bond-missing',
        'error',
        'No bond found (neither an OVS bond nor /proc/net/bonding): the host is single-homed or unbonded.',
        [ev(f.bond, 'none')],
        'Bond the two NICs (`ovs-vsctl add-bond br-bond bond0 eth0 eth1`) so each leaf of the pair carries the host.',
      ),
    )
  } else if (!bondOnBrBond) {
    out.push(
      finding(
        'bridges',
        'bond-not-on-br-bond',
        'error',
        `Bond ${e.bond.name} is not a port of br-bond.`,
        [ev(f.bond, `${e.bond.kind} bond ${e.bond.name}: ${e.bond.members.join(', ')}`)],
        `Attach it: \`ovs-vsctl add-port br-bond ${e.bond.name}\` (Linux bond) or recreate it with \`ovs-vsctl add-bond br-bond ${e.bond.name} …\`.`,
      ),
    )
  }

  const dead = deadVlanDevices(o.interfaces)
  if (dead.length > 0) {
    const shown = dead.slice(0, MAX_DEAD_SHOWN)
    const first = dead[0]!
    out.push(
      finding(
        'bridges',
        'dead-vlan-devices',
        'warning',
        `${dead.length} device(s) on br-int are on the dead VLAN (tag ${DEAD_VLAN_TAG}): the OVS agent could not bind them and drops their traffic; not counted as instances: ${sample(dead.map(d => d.device))}.`,
        [
          ...shown.map(d => ev(f.ovsPorts, `${d.device}: tag ${DEAD_VLAN_TAG}, iface-id ${d.ifaceId ?? '(none set)'}`)),
          ...(dead.length > shown.length ? [ev(f.ovsPorts, `… and ${dead.length - shown.length} more`)] : []),
        ],
        `The Neutron OVS agent quarantined them (unknown iface-id, or the Neutron port is not bound to this host). Check each port's binding in Neutron (${first.ifaceId ? `\`openstack port show ${first.ifaceId} -c binding:host_id -c binding:vif_type -c status\`` : 'the device has no iface-id: no Neutron port claims it'}) and the agent's log (\`journalctl -u neutron-openvswitch-agent\`); if it is a leftover, unplug it (\`ovs-vsctl del-port br-int ${first.device}\`).`,
      ),
    )
  }

  const untagged = untaggedDevices(o.interfaces)
  if (untagged.length > 0)
    out.push(
      finding(
        'bridges',
        'untagged-devices',
        'warning',
        `${untagged.length} device(s) on br-int carry no VLAN tag while the others carry local VLANs: the OVS agent did not wire them, and OVS makes an untagged port a trunk of every VLAN on br-int: ${sample(untagged.map(d => d.device))}.`,
        untagged
          .slice(0, MAX_DEAD_SHOWN)
          .map(d => ev(f.ovsPorts, `${d.device}: no tag, iface-id ${d.ifaceId ?? '(none set)'}`)),
        `The agent tags each port it wires with its network's local VLAN. Check that Neutron knows the iface-id and binds it to this host (${untagged[0]!.ifaceId ? `\`openstack port show ${untagged[0]!.ifaceId}\`` : 'no iface-id is set: no Neutron port claims it'}) and the agent's log; unplug a leftover (\`ovs-vsctl del-port br-int ${untagged[0]!.device}\`).`,
      ),
    )

  const inst = e.instances ?? []
  const qbr = inst.filter(i => i.plugging === 'qbr')
  const direct = inst.filter(i => i.plugging === 'direct')
  if (inst.length === 0) {
    out.push(
      finding('bridges', 'no-instances', 'info', 'No instance ports on br-int.', [
        ev(
          f.instances,
          dead.length > 0
            ? `br-int has no instance ports (${dead.length} on the dead VLAN)`
            : 'br-int has no tap/qvo ports',
        ),
      ]),
    )
  }
  if (qbr.length > 0) {
    const bare = qbr.filter(i => i.iptablesRules === 0)
    const rules = qbr.reduce((n, i) => n + (i.iptablesRules ?? 0), 0)
    const rulesKnown = qbr.every(i => i.iptablesRules !== null)
    const ex = qbr[0]!
    out.push(
      finding(
        'bridges',
        'linux-bridge-plugging',
        'warning',
        `${qbr.length} of ${inst.length} instance(s) are plugged through a Linux bridge (qbr/qvb/qvo): ${PATH_HOPS.qbr} hops per instance-to-instance path instead of ${PATH_HOPS.direct}` +
          (rulesKnown
            ? `; ${rules} iptables rule(s) on those bridges${bare.length > 0 ? `, ${bare.length} bridge(s) with none (hops for nothing)` : ''}.`
            : '; iptables rules unknown.'),
        [
          ev(f.instances, `qbr-plugged: ${sample(qbr.map(i => i.device))}`),
          ev(f.instances, `one end (${ex.chain.length} hops): ${ex.chain.join(' → ')}`),
          ...(rulesKnown ? [ev(f.iptables, sample(qbr.map(i => `${i.linuxBridge}: ${i.iptablesRules} rule(s)`)))] : []),
        ],
        'The Linux bridges exist only for iptables security groups. Use the OVS-native firewall (`firewall_driver = openvswitch`) or drop security groups as the reference did, then re-plug the instances (live-migrate or hard-reboot) so they attach tap → br-int: 6 hops less per path.',
      ),
    )
  }
  if (direct.length > 0) {
    out.push(
      finding(
        'bridges',
        'direct-plugging',
        'info',
        `${direct.length} of ${inst.length} instance(s) plugged directly (tap → br-int): ${PATH_HOPS.direct} hops per instance-to-instance path.`,
        [ev(f.instances, `one end (${direct[0]!.chain.length} hops): ${direct[0]!.chain.join(' → ')}`)],
      ),
    )
  }
  return out
}
