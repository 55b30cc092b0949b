// An FRR leaf whose commands print recorded outputs: the real FrrLeafDriver (its read, its parsers, its
// ownership and model) over a session that answers the commands it runs with what a leaf printed
// (`ip -j -d addr show`, `vtysh -c 'show running-config'`, `show bgp summary json`, and for the full
// profile `bridge -j vlan show`, `bridge -j fdb show`, sysctls). A command it has no recording for
// fails, as a command that is not there would.
import type {LeafDriver} from '../../src/lib/leaf/driver.js'
import {type FrrLeafOptions, FrrLeafDriver} from '../../src/lib/leaf/frr/driver.js'
import type {IpLink} from '../../src/lib/leaf/frr/native.js'

export interface LeafRecording {
  /** `ip -j -d addr show`. */
  links: IpLink[]
  /** `vtysh -c 'show running-config'`. */
  running: string
  /** `vtysh -c 'show bgp summary json'`, parsed; absent: the command fails. */
  bgp?: unknown
  /** Full profile (the kernel has VRF, 802.1Q and VLAN filtering): `bridge -j vlan show`, `bridge -j fdb show dev br0`, sysctls. */
  full?: {bvlan: unknown; fdb: unknown; sysctl: string}
}

type Exec = {stdout: string; stderr: string; code: number}

function session(rec: LeafRecording) {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')
  return {
    commands: [] as string[],
    async exec(cmd: string): Promise<Exec> {
      this.commands.push(cmd)
      if (cmd.includes('zcat /proc/config.gz'))
        return {
          stdout: rec.full ? 'CONFIG_NET_VRF=y\nCONFIG_VLAN_8021Q=y\nCONFIG_BRIDGE_VLAN_FILTERING=y\n' : '',
          stderr: '',
          code: 0,
        }
      if (cmd.includes("vtysh -c 'show running-config'")) {
        const parts = [
          `@@running@@\n${b64(rec.running)}`,
          '@@file@@\n-',
          `@@links@@\n${JSON.stringify(rec.links)}`,
          '@@dad@@\n',
          '@@meta@@\n-',
          ...(rec.full
            ? [
                `@@bvlan@@\n${JSON.stringify(rec.full.bvlan)}`,
                `@@fdb@@\n${JSON.stringify(rec.full.fdb)}`,
                `@@sysctl@@\n${rec.full.sysctl}`,
              ]
            : []),
        ]
        return {stdout: `${parts.join('\n')}\n`, stderr: '', code: 0}
      }
      if (cmd === "vtysh -c 'show bgp summary json'" && rec.bgp !== undefined)
        return {stdout: JSON.stringify(rec.bgp), stderr: '', code: 0}
      return {stdout: '', stderr: `${cmd.split(' ')[0]}: not recorded in this test`, code: 127}
    },
    close() {},
  }
}

/** The FRR driver of leaf `o.leaf.name` over the recording (no SSH). */
export function recordedLeaf(rec: LeafRecording, o: Omit<FrrLeafOptions, 'ctx'>): LeafDriver {
  const Driver = FrrLeafDriver as unknown as new (ssh: unknown, o: FrrLeafOptions) => FrrLeafDriver
  return new Driver(session(rec), {ctx: undefined as never, ...o})
}
