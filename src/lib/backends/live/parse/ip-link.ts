/** `ip -j [-d] link show`: each link's kind, master, veth peer and whether it is up (admin and carrier). */
export interface LinkInfo {
  name: string
  /** veth, bridge, bond, openvswitch, tun... (null when `-d` was not given or the kernel does not say). */
  kind: string | null
  master: string | null
  /** veth peer name when the peer is in the same namespace. */
  peer: string | null
  up: boolean
  operstate: string | null
}

export function parseIpLink(text: string): LinkInfo[] {
  const rows = JSON.parse(text) as {
    ifname: string
    flags?: string[]
    operstate?: string
    master?: string
    link?: string
    linkinfo?: {info_kind?: string}
  }[]
  if (!Array.isArray(rows)) throw new Error('ip -j link: not a JSON array')
  return rows.map(r => ({
    name: r.ifname,
    kind: r.linkinfo?.info_kind ?? null,
    master: r.master ?? null,
    peer: r.linkinfo?.info_kind === 'veth' && r.link && !/^if\d+$/.test(r.link) ? r.link : null,
    up:
      (r.flags ?? []).includes('UP') &&
      (r.operstate === 'UP' || (r.operstate === 'UNKNOWN' && (r.flags ?? []).includes('LOWER_UP'))),
    operstate: r.operstate ?? null,
  }))
}
