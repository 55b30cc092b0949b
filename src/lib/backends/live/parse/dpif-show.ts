/** `ovs-appctl dpif/show`: each bridge's ports with their OpenFlow and datapath port numbers. */
export interface DpifPort {
  bridge: string
  name: string
  ofport: number | null
  dp: number | null
}

export function parseDpifShow(text: string): DpifPort[] {
  const out: DpifPort[] = []
  let bridge = ''
  for (const line of text.split('\n')) {
    const br = /^ {2}(\S+):\s*$/.exec(line)
    if (br) {
      bridge = br[1]!
      continue
    }
    const p = /^ {4}(\S+) (\d+|none)\/(\d+|none):/.exec(line)
    if (p && bridge)
      out.push({
        bridge,
        name: p[1]!,
        ofport: p[2] === 'none' ? null : Number(p[2]),
        dp: p[3] === 'none' ? null : Number(p[3]),
      })
  }
  return out
}
