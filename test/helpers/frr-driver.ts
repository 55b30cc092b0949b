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
 * A session that answers the driver's read of a full-profile leaf from a recording: the kernel-config probe
 * (VRF, 802.1Q, VLAN filtering) and the one read script, section by section. Anything else fails, so a test
 * sees a driver that tries to change the leaf.
 */
export function recordedFullLeafSession(rec: RecordedFullLeaf) {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')
  const answer = (cmd: string): string => {
    if (cmd.includes('/proc/config.gz'))
      return 'CONFIG_NET_VRF=y\nCONFIG_VLAN_8021Q=y\nCONFIG_BRIDGE_VLAN_FILTERING=y\n'
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
        '@@bvlan@@',
        JSON.stringify(rec.bvlan),
        '@@fdb@@',
        JSON.stringify(rec.fdb),
        '@@sysctl@@',
        rec.sysctl,
        '',
      ].join('\n')
    throw new Error(`recorded leaf: not a read: ${cmd.slice(0, 80)}`)
  }
  return {exec: async (cmd: string) => ({stdout: answer(cmd), stderr: '', code: 0})}
}

/** An FRR driver over a recorded full-profile leaf (reads only). */
export function recordedFullDriver(rec: RecordedFullLeaf, o: OfflineDriverOptions): FrrLeafDriver {
  return offlineFrrDriver(o, recordedFullLeafSession(rec))
}
