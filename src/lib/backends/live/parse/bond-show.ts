/**
 * `ovs-appctl bond/show`: per bond its mode, LACP status, fallback setting, the active member and
 * every member's state. Older OVS (< 2.15) says "slave" where newer says "member".
 */
export interface BondShowMember {
  name: string
  enabled: boolean
  /** OVS's "active member" line under the member (the one carrying traffic in active-backup, and the
   *  one that floods and receives broadcast in balance-slb/tcp). */
  active: boolean
  mayEnable: boolean | null
}
export interface BondShow {
  name: string
  /** active-backup | balance-slb | balance-tcp */
  mode: string
  /** off | configured (LACP on, not negotiated) | negotiated */
  lacpStatus: string | null
  lacpFallbackAb: boolean | null
  /** The member OVS names as active, or null ("active member mac: …(none)"). */
  activeMember: string | null
  members: BondShowMember[]
}

export function parseBondShow(text: string): BondShow[] {
  const out: BondShow[] = []
  let cur: BondShow | undefined
  let member: BondShowMember | undefined
  for (const line of text.split('\n')) {
    const head = /^----\s*(\S+)\s*----/.exec(line)
    if (head) {
      out.push(
        (cur = {name: head[1]!, mode: '', lacpStatus: null, lacpFallbackAb: null, activeMember: null, members: []}),
      )
      member = undefined
      continue
    }
    if (!cur) continue
    let m: RegExpExecArray | null
    if ((m = /^bond_mode:\s*(\S+)/.exec(line))) cur.mode = m[1]!
    else if ((m = /^lacp_status:\s*(\S+)/.exec(line))) cur.lacpStatus = m[1]!
    else if ((m = /^lacp_fallback_ab:\s*(\S+)/.exec(line))) cur.lacpFallbackAb = m[1] === 'true'
    else if ((m = /^active (?:member|slave) mac:\s*\S+?\(([^)]*)\)/.exec(line)))
      cur.activeMember = m[1] === 'none' || m[1] === '' ? null : m[1]!
    else if ((m = /^(?:member|slave)\s+([^:]+):\s*(enabled|disabled)/.exec(line)))
      cur.members.push((member = {name: m[1]!.trim(), enabled: m[2] === 'enabled', active: false, mayEnable: null}))
    else if (member && /^\s+active (?:member|slave)\s*$/.test(line)) member.active = true
    else if (member && (m = /^\s+may_enable:\s*(\S+)/.exec(line))) member.mayEnable = m[1] === 'true'
  }
  for (const b of out) b.activeMember ??= b.members.find(x => x.active)?.name ?? null
  return out
}
