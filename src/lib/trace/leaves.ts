import type {LiveContext} from '../context/schema.js'
import {type Known, type Unknown, anycastMacOf} from '../leaf/facts.js'
import type {LeafReading} from '../leaf/observe.js'
import type {SwitchEvidence} from './types.js'

/**
 * A live trace's fabric part from the leaves as their drivers read them (`readLeavesThrough`: the driver's
 * parsed model, its VTEP fact, its EVPN sessions): the network's L2 VNI, the gateway's MAC, the leaf and
 * spine evidence. Pure: no I/O. Whatever the readings do not tell is unknown with the reason, never a default.
 */

type Read = Extract<LeafReading, {reachable: true}>
const readable = (reads: readonly LeafReading[]): Read[] => reads.filter((r): r is Read => r.reachable)
const unread = (reads: readonly LeafReading[]) => reads.flatMap(r => (r.reachable ? [] : [`${r.leaf} (${r.error})`]))
const addressOf = (cidr: string) => cidr.split('/')[0]

/**
 * The L2 VNI of a network as the leaves carry it: the VNI whose gateway is the subnet's gateway, else the VNI
 * the leaf maps to the network's VLAN (read from bridge membership where the leaf has VLANs). Unknown when no
 * leaf could be read, or none read carries it (named).
 */
export function networkVni(
  reads: Iterable<LeafReading>,
  gateway: string | null | undefined,
  vlan: number,
): {vni: number; source: string} | {vni: null; reason: string} {
  const all = [...reads]
  const ok = readable(all)
  if (gateway)
    for (const r of ok)
      for (const v of Object.values(r.observed.vnis))
        if (v.gateway.address && addressOf(v.gateway.address) === gateway)
          return {vni: v.vni, source: `${r.leaf}: VNI ${v.vni} holds gateway ${gateway}`}
  if (vlan > 0)
    for (const r of ok)
      for (const v of Object.values(r.observed.vnis))
        if (v.vlan === vlan) return {vni: v.vni, source: `${r.leaf}: VNI ${v.vni} is on VLAN ${vlan}`}
  const notRead = unread(all)
  if (ok.length === 0)
    return {vni: null, reason: `no leaf could be read${notRead.length ? `: ${notRead.join('; ')}` : ''}`}
  return {
    vni: null,
    reason: `no leaf read carries a VNI ${gateway ? `with gateway ${gateway} or ` : ''}on VLAN ${vlan} (read: ${ok
      .map(r => r.leaf)
      .join(', ')}${notRead.length ? `; not read: ${notRead.join('; ')}` : ''})`,
  }
}

/**
 * The MAC of a gateway (a routed frame's destination in the host traces): the MAC of the leaf gateway that
 * holds the address, else the fabric's anycast MAC (declared, or the one every gateway read carries:
 * `anycastMacOf`). Unknown, with the reason, when neither tells.
 */
export function gatewayMac(
  reads: Iterable<LeafReading>,
  gateway: string | null | undefined,
  declared: string | undefined,
): Known<'mac'> | Unknown<'mac'> {
  const all = [...reads]
  const ok = readable(all)
  if (gateway)
    for (const r of ok)
      for (const v of Object.values(r.observed.vnis))
        if (v.gateway.mac && v.gateway.address && addressOf(v.gateway.address) === gateway)
          return {mac: v.gateway.mac.toLowerCase(), source: `${r.leaf}: gateway ${gateway} of VNI ${v.vni}`}
  const fabric = anycastMacOf(
    ok.map(r => ({leaf: r.leaf, config: r.observed})),
    declared,
    all.filter(r => !r.reachable).map(r => r.leaf),
  )
  if (fabric.mac !== null) return fabric
  return {mac: null, reason: `the MAC of gateway ${gateway || '?'} is unknown: ${fabric.reason}`}
}

/** The leaves' switch evidence: reachable or not, the driver's model of what the leaf carries, its VTEP fact. */
export function leafSwitches(
  leaves: LiveContext['inventory']['leaves'],
  names: readonly string[],
  reads: ReadonlyMap<string, LeafReading>,
): {switches: SwitchEvidence[]; warnings: string[]} {
  const switches: SwitchEvidence[] = []
  const warnings: string[] = []
  for (const name of names) {
    const l = leaves.find(x => x.name === name)
    const r = reads.get(name)
    if (!l || !r) continue
    if (!r.reachable) {
      warnings.push(`leaf ${name} could not be read: ${r.error}`)
      switches.push({
        name,
        role: 'leaf',
        az: l.az,
        pair: l.pair ?? null,
        vtep: l.vtep ?? null,
        reachable: false,
        healthy: false,
        running: null,
      })
      continue
    }
    // The VTEP as the leaf's VXLAN devices use it (the driver's fact, checked against a declared one).
    const vt: Known<'vtep'> | Unknown<'vtep'> =
      r.running.facts?.vtep ??
      (l.vtep
        ? {vtep: l.vtep, source: 'inventory (the driver does not read it)'}
        : {vtep: null, reason: `the ${r.driver} driver does not read it and the inventory declares none`})
    if (vt.vtep === null) warnings.push(`leaf ${name}: VTEP unknown: ${vt.reason}`)
    switches.push({
      name,
      role: 'leaf',
      az: l.az,
      pair: l.pair ?? null,
      vtep: vt.vtep,
      ...(vt.vtep === null ? {vtepUnknown: vt.reason} : {}),
      reachable: true,
      healthy: true,
      running: r.observed,
      runningSource: `${name}: the ${r.driver} driver's reading (FRR show running-config; ip -j -d addr show)`,
    })
  }
  return {switches, warnings}
}

/**
 * The spines of an AZ: healthy when a leaf read has an established EVPN session with it (by BGP hostname or
 * address). When no leaf's sessions could be read, the health is unknown (said in the hop), and the spine is
 * not left out of ECMP.
 */
export function spineSwitches(
  spines: LiveContext['inventory']['spines'],
  az: string,
  reads: Iterable<LeafReading>,
): {switches: SwitchEvidence[]; warnings: string[]} {
  const ok = readable([...reads])
  const withPeers = ok.filter(r => r.peers && r.peers.peers !== null)
  const why = ok.length
    ? ok.map(r => `${r.leaf}: ${r.peers && r.peers.peers === null ? r.peers.reason : 'not read'}`).join('; ')
    : 'no leaf could be read'
  const switches: SwitchEvidence[] = []
  const warnings: string[] = []
  for (const s of spines.filter(x => x.az === az)) {
    const base = {name: s.name, role: 'spine' as const, az: s.az, pair: null, vtep: s.vtep ?? null, running: null}
    if (withPeers.length === 0) {
      switches.push({
        ...base,
        reachable: true,
        healthy: true,
        healthUnknown: `no leaf's EVPN sessions were read (${why})`,
      })
      continue
    }
    const seen = withPeers
      .flatMap(r => (r.peers as {peers: {hostname: string | null; address: string; established: boolean}[]}).peers)
      .filter(p => p.hostname === s.name || p.address === s.address || p.address === s.vtep)
    const healthy = seen.some(p => p.established)
    switches.push({...base, reachable: true, healthy})
    if (!healthy)
      warnings.push(
        `spine ${s.name} has no established EVPN session with ${withPeers.length === 1 ? 'the leaf' : 'the leaves'} read: ECMP leaves it out.`,
      )
  }
  return {switches, warnings}
}
