/**
 * `ovs-appctl lacp/show`: per bond the LACP mode, and per member whether it is current (negotiated
 * with a partner), expired or defaulted (no partner ever answered), and the partner's system id.
 */
export interface LacpMember {
  name: string
  /** current | expired | defaulted (the first word after the member name). */
  state: string
  attached: boolean
  partnerSysId: string | null
}
export interface LacpShow {
  name: string
  /** active | passive (LACP's own "status" line), or null. */
  status: string | null
  negotiated: boolean
  members: LacpMember[]
}

const NO_PARTNER = '00:00:00:00:00:00'

export function parseLacpShow(text: string): LacpShow[] {
  const out: LacpShow[] = []
  let cur: LacpShow | undefined
  let member: LacpMember | undefined
  for (const line of text.split('\n')) {
    const head = /^----\s*(\S+)\s*----/.exec(line)
    if (head) {
      out.push((cur = {name: head[1]!, status: null, negotiated: false, members: []}))
      member = undefined
      continue
    }
    if (!cur) continue
    let m: RegExpExecArray | null
    if (!member && (m = /^\s+status:\s*(.+)$/.exec(line))) cur.status = m[1]!.trim().split(/\s+/)[0] ?? null
    else if ((m = /^(?:member|slave):\s*([^:]+):\s*(.*)$/.exec(line))) {
      const words = m[2]!.trim().split(/\s+/)
      cur.members.push(
        (member = {
          name: m[1]!.trim(),
          state: words[0] ?? '',
          attached: words.includes('attached'),
          partnerSysId: null,
        }),
      )
    } else if (member && (m = /^\s+partner sys_id:\s*(\S+)/.exec(line)))
      member.partnerSysId = m[1] === NO_PARTNER ? null : m[1]!
  }
  for (const b of out)
    b.negotiated = b.members.some(x => x.state === 'current' && x.attached && x.partnerSysId !== null)
  return out
}
