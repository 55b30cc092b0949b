import type {Finding, HostEvidence} from '../types.js'
import {ev, finding, unknown} from './util.js'

const LEGACY_MBPS = 1000

/** nic: the bond's members — link up, speed (1G is legacy), each cabled to a different switch of the pair. */
export function checkNic(e: HostEvidence): Finding[] {
  const f = e.from
  const out: Finding[] = []
  if (!e.bond && !e.nics) {
    return [unknown('nic', 'unknown', 'Could not read the bond or the NICs.', [ev(f.bond, 'no answer')])]
  }
  if (!e.bond) {
    out.push(
      finding(
        'nic',
        'no-bond',
        'error',
        'No bond: the host is not dual-homed to the leaf pair.',
        [ev(f.bond, 'no OVS bond, no /proc/net/bonding/*')],
        'Bond two NICs, one cabled to each leaf of the pair (`ovs-vsctl add-bond br-bond bond0 eth0 eth1`).',
      ),
    )
  }
  const nics = e.nics ?? []
  out.push(...bondMode(e))
  if (e.bond && e.bond.members.length < 2) {
    out.push(
      finding(
        'nic',
        'single-member',
        'error',
        `Bond ${e.bond.name} has ${e.bond.members.length} member(s): no redundancy.`,
        [ev(f.bond, `${e.bond.name}: ${e.bond.members.join(', ') || '(none)'}`)],
        'Add the second NIC to the bond, cabled to the other leaf of the pair.',
      ),
    )
  }
  if (nics.length === 0) return out
  const down = nics.filter(n => n.up === false)
  for (const n of down) {
    out.push(
      finding(
        'nic',
        'member-down',
        'error',
        `Bond member ${n.name} is down: the host runs on one leaf.`,
        [ev(f.nics, `${n.name}: link down${n.switch ? ` (cabled to ${n.switch}:${n.interface})` : ''}`)],
        `Check the cable and ${n.switch ? `${n.switch} port ${n.interface}` : 'the switch port'} (\`ip link show ${n.name}\`, \`ovs-appctl bond/show\`); the bond carries no redundancy until it is back.`,
      ),
    )
  }
  if (nics.some(n => n.up === null))
    out.push(
      unknown('nic', 'link-unknown', 'Could not read the link state of every bond member.', [
        ev(
          f.nics,
          nics
            .filter(n => n.up === null)
            .map(n => n.name)
            .join(', '),
        ),
      ]),
    )
  const legacy = nics.filter(n => n.speedMbps !== null && n.speedMbps > 0 && n.speedMbps <= LEGACY_MBPS)
  if (legacy.length > 0) {
    out.push(
      finding(
        'nic',
        'legacy-speed',
        'warning',
        `Legacy 1G NIC(s): ${legacy.map(n => `${n.name} ${n.speedMbps} Mb/s`).join(', ')}.`,
        legacy.map(n => ev(f.nics, `${n.name}: ${n.speedMbps} Mb/s`)),
        'Move the host to 10G/25G NICs (the reference fabric retired 2×1G blades when it moved to spine-leaf).',
      ),
    )
  }
  const speeds = [...new Set(nics.filter(n => n.up !== false).map(n => n.speedMbps))]
  if (nics.some(n => n.up !== false && (n.speedMbps === null || n.speedMbps <= 0))) {
    out.push(
      unknown(
        'nic',
        'speed-unknown',
        'Could not read the speed of every bond member.',
        nics
          .filter(n => n.speedMbps === null || n.speedMbps <= 0)
          .map(n => ev(f.nics, `${n.name}: ${n.speedMbps ?? 'unreadable'}`)),
      ),
    )
  } else if (speeds.length > 1) {
    out.push(
      finding(
        'nic',
        'speed-mismatch',
        'warning',
        `Bond members run at different speeds: ${nics.map(n => `${n.name} ${n.speedMbps} Mb/s`).join(', ')}.`,
        nics.map(n => ev(f.nics, `${n.name}: ${n.speedMbps} Mb/s`)),
        "Check autonegotiation on both ends (`ethtool NIC`); a failover to the slower member halves the host's bandwidth.",
      ),
    )
  }
  const cabled = nics.filter(n => n.switch)
  if (cabled.length < nics.length) {
    out.push(
      unknown(
        'nic',
        'cabling-unknown',
        'Could not tell which switch each NIC is cabled to.',
        [ev(f.cabling, nics.map(n => `${n.name}: ${n.switch ?? '?'}`).join(', '))],
        'Record the cabling in the context inventory (hosts[].nics[].leaf), or run lldpd on the hosts.',
      ),
    )
  } else if (nics.length >= 2 && new Set(cabled.map(n => n.switch)).size < 2) {
    out.push(
      finding(
        'nic',
        'same-switch',
        'error',
        `Both bond members are cabled to the same switch (${cabled[0]!.switch}): a single switch failure takes the host down.`,
        cabled.map(n => ev(f.cabling, `${n.name} → ${n.switch}:${n.interface}`)),
        'Recable one NIC to the other leaf of the pair.',
      ),
    )
  }
  if (out.length === 0) {
    out.push(
      finding(
        'nic',
        'ok',
        'info',
        `Bond ${e.bond?.name}${e.bond?.mode ? ` (${e.bond.mode}${e.bond.lacp && e.bond.lacp !== 'off' ? `, LACP ${e.bond.lacp}` : ''}${e.bond.activeMember ? `, active ${e.bond.activeMember}` : ''})` : ''}: ${nics.map(n => `${n.name} ${n.speedMbps! / 1000}G up → ${n.switch}${n.interface ? `:${n.interface}` : ''}`).join(', ')}.`,
        nics.map(n => ev(f.nics, `${n.name}: up, ${n.speedMbps} Mb/s, ${n.switch}:${n.interface}`)),
      ),
    )
  }
  return out
}

/**
 * The OVS bond's own state (ovs-appctl bond/show, lacp/show): LACP configured but never negotiated
 * with the switches (the leaf pair's MLAG/EVPN-MH port-channel is missing or misconfigured), and a
 * bond that fell back to active-backup because of it.
 */
function bondMode(e: HostEvidence): Finding[] {
  const b = e.bond
  if (!b || b.kind !== 'ovs') return []
  const f = e.from
  const out: Finding[] = []
  const shown = `${b.name}: bond_mode ${b.mode ?? '?'}, lacp_status ${b.lacp ?? '?'}, lacp_fallback_ab ${b.lacpFallbackAb ?? '?'}, active member ${b.activeMember ?? 'none'}`
  if (b.lacp === 'configured') {
    const defaulted = b.lacpDefaulted?.length ? ` (lacp/show: ${b.lacpDefaulted.join(', ')} defaulted, no partner)` : ''
    out.push(
      finding(
        'nic',
        'lacp-not-negotiated',
        'error',
        `Bond ${b.name} has LACP configured but not negotiated with the switches${defaulted}.`,
        [
          ev(f.bond, shown),
          ...(b.lacpDefaulted?.length ? [ev(f.ovsLacp ?? f.bond, `defaulted: ${b.lacpDefaulted.join(', ')}`)] : []),
        ],
        `Configure the LACP port-channel on ${uplinks(e)} (LACP active, same key on both leaves of the pair), or set the bond to active-backup without LACP (\`ovs-vsctl set port ${b.name} lacp=off bond_mode=active-backup\`). Check with \`ovs-appctl lacp/show ${b.name}\`.`,
      ),
    )
    if (b.lacpFallbackAb === true)
      out.push(
        finding(
          'nic',
          'bond-fallback',
          'warning',
          `Bond ${b.name} is in fallback: ${b.mode} without a negotiated LACP runs as active-backup${b.activeMember ? ` on ${b.activeMember} only` : ''}.`,
          [ev(f.bond, shown)],
          'Only one member carries traffic until LACP negotiates: fix LACP on the switch side (see lacp-not-negotiated).',
        ),
      )
    else if (b.activeMember === null)
      out.push(
        finding(
          'nic',
          'bond-no-active-member',
          'error',
          `Bond ${b.name} has no active member: LACP is not negotiated and there is no fallback, so the bond carries nothing.`,
          [ev(f.bond, shown)],
          `Fix LACP on the switch side, or enable the fallback (\`ovs-vsctl set port ${b.name} other_config:lacp-fallback-ab=true\`).`,
        ),
      )
  }
  // Only where bond/show was asked (a source that does not model bond modes says so in bond.unknown).
  if ((b.mode === null || b.lacp === null) && f.ovsBond !== undefined)
    out.push(
      unknown('nic', 'bond-mode-unknown', `Could not read the mode and LACP state of bond ${b.name}.`, [
        ev(f.bond, b.unknown.mode ?? b.unknown.lacp ?? 'no answer'),
      ]),
    )
  return out
}

const uplinks = (e: HostEvidence): string =>
  (e.nics ?? [])
    .filter(n => n.switch)
    .map(n => `${n.switch}:${n.interface}`)
    .join(' and ') || 'the leaf pair'
