// An FRR leaf driver without an SSH session, for unit tests of what it renders from a recorded reading
// (renderFull / renderNative never open a session).
import {type FrrLeafOptions, FrrLeafDriver} from '../../src/lib/leaf/frr/driver.js'

export type OfflineDriverOptions = Omit<FrrLeafOptions, 'ctx' | 'leaf'> & {leaf?: string; vtep?: string | null}

export function offlineFrrDriver(o: OfflineDriverOptions, session: unknown = null): FrrLeafDriver {
  const {leaf = 'lab-leaf1', vtep = null, ...rest} = o
  return new (FrrLeafDriver as unknown as new (ssh: unknown, o: FrrLeafOptions) => FrrLeafDriver)(session, {
    ctx: undefined as never,
    leaf: {name: leaf, address: '127.0.0.1', port: 22, vtep},
    ...rest,
  })
}

/** What a recorded full-profile leaf answers (test/fixtures/leaf-full/*.json: links, bvlan, fdb, sysctl, running). */
export interface RecordedFullLeaf {
  links: unknown[]
  bvlan: unknown[]
  fdb: unknown[]
  sysctl: string
  running: string
}

/**
 * What a recorded leaf answers, either profile: `ip -j -d addr show` (links) and `show running-config`;
 * for the full profile (the kernel has VRF, 802.1Q and VLAN filtering) `bridge -j vlan show`, `bridge -j fdb
 * show dev br0` and the sysctls; optionally `show bgp summary json` (the EVPN sessions).
 */
export interface RecordedLeaf {
  links: unknown[]
  running: string
  full?: {bvlan: unknown[]; fdb: unknown[]; sysctl: string}
  /** `vtysh -c 'show bgp summary json'`, parsed; absent: the command fails. */
  bgp?: unknown
}

/**
 * A session that answers the driver's reads of a leaf from a recording: the kernel-config probe, the one
 * read script, section by section, and `show bgp summary json` when recorded. Anything else fails, so a test
 * sees a driver that tries to change the leaf.
 */
export function recordedLeafSession(rec: RecordedLeaf) {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')
  const answer = (cmd: string): string => {
    if (cmd.includes('/proc/config.gz'))
      return rec.full ? 'CONFIG_NET_VRF=y\nCONFIG_VLAN_8021Q=y\nCONFIG_BRIDGE_VLAN_FILTERING=y\n' : ''
    if (cmd.includes('@@running@@'))
      return [
        '@@running@@',
        b64(rec.running),
        '@@file@@',
        b64(rec.running),
        '@@links@@',
        JSON.stringify(rec.links),
        '@@dad@@',
        '@@meta@@',
        '644 root root',
        ...(rec.full
          ? [
              '@@bvlan@@',
              JSON.stringify(rec.full.bvlan),
              '@@fdb@@',
              JSON.stringify(rec.full.fdb),
              '@@sysctl@@',
              rec.full.sysctl,
            ]
          : []),
        '',
      ].join('\n')
    if (cmd === "vtysh -c 'show bgp summary json'" && rec.bgp !== undefined) return JSON.stringify(rec.bgp)
    throw new Error(`recorded leaf: not a read: ${cmd.slice(0, 80)}`)
  }
  return {exec: async (cmd: string) => ({stdout: answer(cmd), stderr: '', code: 0}), close() {}}
}

/** The session of a recorded full-profile leaf. */
export function recordedFullLeafSession(rec: RecordedFullLeaf) {
  const {links, running, ...full} = rec
  return recordedLeafSession({links, running, full})
}

/** An FRR driver over a recorded full-profile leaf (reads only). */
export function recordedFullDriver(rec: RecordedFullLeaf, o: OfflineDriverOptions): FrrLeafDriver {
  return offlineFrrDriver(o, recordedFullLeafSession(rec))
}

/** An FRR driver over a recorded leaf of either profile (reads only: the running state, the EVPN sessions). */
export function recordedDriver(rec: RecordedLeaf, o: OfflineDriverOptions): FrrLeafDriver {
  return offlineFrrDriver(o, recordedLeafSession(rec))
}
