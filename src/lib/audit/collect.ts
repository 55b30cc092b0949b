import zlib from 'node:zlib'

import type {HostRole} from '../model/types.js'
import type {HostFactSelection} from '../seam/host-probe.js'
import {
  parseBondShow,
  parseDpifShow,
  parseDumpFlows,
  parseLacpShow,
  vlanTranslations,
  type BondShow,
  type LacpShow,
} from '../backends/live/parse/index.js'
import {deriveInstances} from './hops.js'
import {
  bpffsMounted,
  parseBpftoolProbe,
  parseIpLink,
  parseIptablesSave,
  parseKernelConfig,
  parseOvsTables,
  parseProcBonding,
  parseSpeeds,
} from './parse.js'
import type {BondEvidence, EvidenceSource, HostEvidence, LinkInfo, NicEvidence} from './types.js'

export interface ProbeResult {
  stdout: string
  stderr: string
  code: number | null
  /** stdout as bytes (binary-safe). */ raw: Buffer
}

/**
 * Runs a host's probes: this machine (execa) or one SSH connection. `batch` runs them all (the SSH
 * runner sends them as one script on one channel: they run concurrently on the host) and returns
 * each probe's output and exit code; a probe that could not run at all is missing from the map.
 */
export interface Runner {
  batch(commands: Record<string, string>): Promise<Map<string, ProbeResult>>
}

/** What the inventory knows about a host (cabling, role), when the host is in the context's inventory. */
export interface HostHints {
  name: string
  az: string | null
  address: string | null
  role: HostRole | null
  cabling: {nic: string; switch: string; interface: string}[]
}

const ENV = 'export LC_ALL=C PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin";'

/**
 * The commands the host probe runs on a host (documented in docs/audit.md; the trace-only ones in docs/trace.md).
 * An audit (`facts: 'all'`) runs all but TRACE_ONLY_PROBES.
 */
export const PROBES = {
  uname: 'uname -r',
  ovsTool: 'ovs-vsctl --version',
  ovsDb: 'ovs-vsctl --timeout=5 get Open_vSwitch . ovs_version',
  ovsDaemon: 'ovs-appctl --timeout=5 version',
  ovsBridges: 'ovs-vsctl --timeout=5 -f json --columns=_uuid,name,ports list Bridge',
  ovsPorts: 'ovs-vsctl --timeout=5 -f json --columns=_uuid,name,interfaces,tag,bond_mode list Port',
  ovsInterfaces:
    'ovs-vsctl --timeout=5 -f json --columns=_uuid,name,type,ofport,error,options,external_ids list Interface',
  ovsBond: 'ovs-appctl --timeout=5 bond/show',
  ovsLacp: 'ovs-appctl --timeout=5 lacp/show',
  links: 'ip -j -d link show',
  iptables: 'iptables-save',
  speeds:
    'for f in /sys/class/net/*/speed; do n=${f%/speed}; n=${n##*/}; printf "%s %s\\n" "$n" "$(cat "$f" 2>/dev/null || echo -)"; done',
  procBonding: 'for f in /proc/net/bonding/*; do [ -e "$f" ] && { echo "==> $f"; cat "$f"; }; done; true',
  mounts: 'cat /proc/mounts',
  jit: 'cat /proc/sys/net/core/bpf_jit_enable',
  bpftool: 'command -v bpftool >/dev/null 2>&1 || exit 127; bpftool -j feature probe kernel',
  /** /proc/config.gz (gunzipped here with zlib), else /boot/config-$(uname -r); its path on stderr. */
  kconfig:
    'if [ -r /proc/config.gz ]; then echo /proc/config.gz >&2; cat /proc/config.gz; elif [ -r "/boot/config-$(uname -r)" ]; then echo "/boot/config-$(uname -r)" >&2; cat "/boot/config-$(uname -r)"; else echo "neither /proc/config.gz nor /boot/config-$(uname -r) is readable" >&2; exit 3; fi',
  /** The datapath's ports: OpenFlow and datapath port numbers (ofproto/trace's datapath actions name the latter). */
  ovsDpif: 'ovs-appctl --timeout=5 dpif/show',
  /** br-int's installed flows (the OVS agent's VLAN translations). */
  brIntFlows: 'ovs-ofctl --timeout=5 dump-flows br-int',
} as const
export type ProbeId = keyof typeof PROBES

/**
 * The probes only `facts: 'trace'` runs: not part of an audit (`all`), whose checks do not use them and whose
 * cost they would raise (a production br-int holds thousands of flows).
 */
export const TRACE_ONLY_PROBES: readonly ProbeId[] = ['ovsDpif', 'brIntFlows']

/** Every probe an audit runs (`facts: 'all'`, the default). */
export const ALL_PROBES: readonly ProbeId[] = (Object.keys(PROBES) as ProbeId[]).filter(
  id => !TRACE_ONLY_PROBES.includes(id),
)

/** The probes that read a host's OVS devices (version, running, bridges, ports, interfaces): `facts: 'ovs'`. */
export const OVS_PROBES: readonly ProbeId[] = [
  'ovsTool',
  'ovsDb',
  'ovsDaemon',
  'ovsBridges',
  'ovsPorts',
  'ovsInterfaces',
]

/** The probes that read a host's port wiring (OVS devices plus its links: NIC link state, the instances' ends): `facts: 'wiring'`. */
export const WIRING_PROBES: readonly ProbeId[] = [...OVS_PROBES, 'links']

/** The probes that read a host's bond (OVS or Linux: mode, LACP, active member): `facts: 'bond'`. */
export const BOND_PROBES: readonly ProbeId[] = [...OVS_PROBES, 'ovsBond', 'ovsLacp', 'procBonding']

/**
 * The probes a trace needs of a host (`facts: 'trace'`): OVS, links, the bond, the datapath's ports (dpif/show) and
 * br-int's flows (dump-flows).
 */
export const TRACE_PROBES: readonly ProbeId[] = [...new Set([...WIRING_PROBES, ...BOND_PROBES, ...TRACE_ONLY_PROBES])]

/** The probes each host-probe fact selection runs (`HostProbeOptions.facts`, `HostProbe.open`). */
export const PROBE_SELECTIONS: Record<HostFactSelection, readonly ProbeId[]> = {
  all: ALL_PROBES,
  ovs: OVS_PROBES,
  wiring: WIRING_PROBES,
  bond: BOND_PROBES,
  trace: TRACE_PROBES,
}

const NOT_FOUND = 127
const firstLine = (s: string) => s.trim().split('\n')[0] ?? ''
const why = (r: ProbeResult | undefined) =>
  r ? firstLine(r.stderr) || firstLine(r.stdout) || `exit ${r.code}` : 'did not run'

/**
 * Gather one host's evidence with a runner: every probe runs (concurrently), each failure is kept
 * as a probe error, and the answers are normalized into HostEvidence.
 */
export async function collectEvidence(
  runner: Runner,
  hints: HostHints,
  source: EvidenceSource,
  where: string,
  /** Only these probes (the facts of the rest are null: not read); default: ALL_PROBES (an audit's). */
  only: readonly ProbeId[] = ALL_PROBES,
): Promise<HostEvidence> {
  const probeErrors: HostEvidence['probeErrors'] = []
  const ids = (Object.keys(PROBES) as ProbeId[]).filter(id => only.includes(id))
  const results = (await runner.batch(Object.fromEntries(ids.map(id => [id, `${ENV} ${PROBES[id]}`])))) as Map<
    ProbeId,
    ProbeResult
  >
  for (const id of ids) if (!results.has(id)) probeErrors.push({probe: id, message: 'did not run'})
  // A fact this command did not ask for is unknown with that reason, like one whose probe failed (an audit's
  // default selection: the trace-only probes).
  for (const id of Object.keys(PROBES) as ProbeId[])
    if (!only.includes(id)) probeErrors.push({probe: id, message: 'not read (this command reads fewer facts)'})
  const kcfg = kernelConfig(results.get('kconfig'))
  const ok = (id: ProbeId) => {
    const r = results.get(id)
    return r && r.code === 0 ? r.stdout : null
  }
  const from: Record<string, string> = {}
  for (const id of ids) from[id] = `${where}: ${PROBES[id]}`
  Object.assign(from, {
    role: `${where}: inventory`,
    ovsRunning: `${where}: ${PROBES.ovsDb} / ${PROBES.ovsDaemon}`,
    kernel: `${where}: ${PROBES.uname}`,
    kernelConfig: `${where}: ${kcfg.source ?? '/proc/config.gz | /boot/config-$(uname -r)'}`,
    bpffs: `${where}: /proc/mounts`,
    jit: `${where}: /proc/sys/net/core/bpf_jit_enable`,
    bpftool: `${where}: bpftool -j feature probe kernel`,
    bond: `${where}: ${PROBES.ovsBond} | /proc/net/bonding`,
    nics: `${where}: ip -j -d link, /sys/class/net/*/speed`,
    cabling: hints.cabling.length ? `${where}: context inventory (hosts[].nics)` : `${where}: (no cabling source)`,
    instances: `${where}: ovs-vsctl list Interface + ip -d link`,
    iptables: `${where}: iptables-save`,
  })

  // --- OVS --------------------------------------------------------------------------------
  const tool = results.get('ovsTool')
  const installed = tool ? (tool.code === NOT_FOUND || /not found/.test(tool.stderr) ? false : tool.code === 0) : null
  const db = results.get('ovsDb')
  const daemon = results.get('ovsDaemon')
  const dbReachable = installed === false ? false : db ? db.code === 0 : null
  const vswitchdRunning = installed === false ? false : daemon ? daemon.code === 0 : null
  const dbVersion = dbReachable ? ok('ovsDb')?.trim().replace(/^"|"$/g, '') || null : null
  const daemonVersion = vswitchdRunning ? (/\(Open vSwitch\)\s+(\S+)/.exec(ok('ovsDaemon') ?? '')?.[1] ?? null) : null
  const toolVersion = installed ? (/\(Open vSwitch\)\s+(\S+)/.exec(ok('ovsTool') ?? '')?.[1] ?? null) : null
  const runningDetail =
    installed === false
      ? why(tool)
      : [
          dbReachable === false ? `ovsdb: ${why(db)}` : null,
          vswitchdRunning === false ? `ovs-vswitchd: ${why(daemon)}` : null,
        ]
          .filter(Boolean)
          .join('; ') || null
  let tables: ReturnType<typeof parseOvsTables> | null = null
  const [bj, pj, ij] = [ok('ovsBridges'), ok('ovsPorts'), ok('ovsInterfaces')]
  if (bj && pj && ij) {
    try {
      tables = parseOvsTables(bj, pj, ij)
    } catch (error) {
      probeErrors.push({probe: 'ovsTables', message: `unparseable ovs-vsctl JSON: ${(error as Error).message}`})
    }
  }
  const bondShow = ok('ovsBond') === null ? null : parseBondShow(ok('ovsBond')!)
  const lacpShow = ok('ovsLacp') === null ? null : parseLacpShow(ok('ovsLacp')!)
  if (tables)
    for (const b of tables.bonds)
      for (const m of b.members)
        m.enabled = bondShow?.find(x => x.name === b.name)?.members.find(x => x.name === m.name)?.enabled ?? null

  // --- links, iptables --------------------------------------------------------------------
  let links: LinkInfo[] | null = null
  try {
    links = ok('links') ? parseIpLink(ok('links')!) : null
  } catch (error) {
    probeErrors.push({probe: 'links', message: `unparseable ip -j output: ${(error as Error).message}`})
  }
  const iptablesText = ok('iptables')
  const rules = iptablesText === null ? null : parseIptablesSave(iptablesText)
  const speeds = parseSpeeds(ok('speeds') ?? '')
  const linuxBonds = parseProcBonding(ok('procBonding') ?? '')

  // --- bond and NICs ----------------------------------------------------------------------
  const ovsBond = tables?.bonds.find(b => b.bridge === 'br-bond') ?? tables?.bonds[0]
  const linuxBond = linuxBonds[0]
  const bond: BondEvidence | null = ovsBond
    ? ovsBondEvidence(
        ovsBond.name,
        ovsBond.members.map(m => m.name),
        bondShow,
        lacpShow,
        why(results.get('ovsBond')),
        why(results.get('ovsLacp')),
      )
    : linuxBond
      ? {
          name: linuxBond.name,
          kind: 'linux' as const,
          members: linuxBond.members.map(m => m.name),
          mode: linuxBond.mode,
          lacp: null,
          lacpFallbackAb: null,
          lacpDefaulted: null,
          activeMember: linuxBond.activeMember,
          unknown: {
            ...(linuxBond.mode ? {} : {mode: '/proc/net/bonding names no mode'}),
            lacp: 'LACP of a Linux bond is not read',
            ...(linuxBond.activeMember ? {} : {activeMember: '/proc/net/bonding names no active member'}),
          },
        }
      : null
  const linkBy = new Map((links ?? []).map(l => [l.name, l]))
  const nics: NicEvidence[] | null = bond
    ? bond.members.map(name => {
        const cable = hints.cabling.find(c => c.nic === name)
        const lb = linuxBond?.members.find(m => m.name === name)
        const ovsState = ovsBond?.members.find(m => m.name === name)?.enabled
        const link = linkBy.get(name)
        const up = link ? link.up && ovsState !== false && (lb ? lb.up : true) : (ovsState ?? lb?.up ?? null)
        return {
          name,
          speedMbps: speeds.get(name) ?? lb?.speedMbps ?? null,
          up,
          switch: cable?.switch ?? null,
          interface: cable?.interface ?? null,
        }
      })
    : tables || linuxBonds.length || ok('procBonding') !== null
      ? []
      : null

  // --- instances --------------------------------------------------------------------------
  // The path of an instance leaves through the member the bond names as active (not the first one that is up).
  const active =
    (bond?.activeMember ? nics?.find(n => n.name === bond.activeMember) : undefined) ??
    nics?.find(n => n.up) ??
    nics?.[0]
  const instances = tables
    ? deriveInstances(tables.interfaces, links, rules, {
        bond: bond?.name,
        nic: active?.name,
        switchPort: active?.switch ? `${active.switch}:${active.interface}` : undefined,
      })
    : null

  // --- kernel -----------------------------------------------------------------------------
  const bt = results.get('bpftool')
  let bpftool: NonNullable<HostEvidence['kernel']['bpftool']> = {
    available: bt ? bt.code !== NOT_FOUND : false,
    programTypes: null,
    mapTypes: null,
    error: bt && bt.code !== 0 ? why(bt) : null,
  }
  if (bt && bt.code === 0) {
    try {
      bpftool = {available: true, ...parseBpftoolProbe(bt.stdout), error: null}
    } catch (error) {
      bpftool = {
        available: true,
        programTypes: null,
        mapTypes: null,
        error: `unparseable bpftool JSON: ${(error as Error).message}`,
      }
    }
  }
  const jitText = ok('jit')?.trim()
  const mounts = ok('mounts')

  // --- datapath ports and br-int's flows (trace) --------------------------------------------
  const dpifText = ok('ovsDpif')
  const dpif = dpifText === null ? null : parseDpifShow(dpifText)
  const flowsText = ok('brIntFlows')
  const brIntTranslations = flowsText === null ? null : vlanTranslations(parseDumpFlows(flowsText))

  const expectedToFail = new Set<ProbeId>([
    'ovsDb',
    'ovsDaemon',
    'ovsTool',
    'bpftool',
    'jit',
    'iptables',
    'ovsBond',
    'kconfig',
  ])
  for (const [id, r] of results)
    if (r.code !== 0 && !expectedToFail.has(id) && installed !== false) probeErrors.push({probe: id, message: why(r)})
  if (rules === null && results.get('iptables'))
    probeErrors.push({probe: 'iptables', message: why(results.get('iptables'))})
  // A trace fact that was asked for and not read always has its reason (also when OVS is not installed).
  for (const [id, fact] of [
    ['ovsDpif', dpif],
    ['brIntFlows', brIntTranslations],
  ] as const)
    if (ids.includes(id) && fact === null && !probeErrors.some(p => p.probe === id))
      probeErrors.push({probe: id, message: `${PROBES[id]}: ${why(results.get(id))}`})

  return {
    host: hints.name,
    az: hints.az,
    role: hints.role,
    address: hints.address,
    source,
    from,
    probeErrors,
    ovs: {
      expected: hints.role !== 'baremetal',
      installed,
      toolVersion,
      dbVersion,
      daemonVersion,
      dbReachable,
      vswitchdRunning,
      runningDetail,
      bridges: tables?.bridges ?? null,
      interfaces: tables?.interfaces ?? null,
      bonds: tables?.bonds ?? null,
    },
    links,
    instances,
    kernel: {
      release: ok('uname')?.trim() || null,
      config: kcfg.config,
      configSource: kcfg.source,
      configError: kcfg.error,
      bpffsMounted: mounts === null ? null : bpffsMounted(mounts),
      jitEnable: jitText !== undefined && /^\d+$/.test(jitText) ? Number(jitText) : null,
      bpftool,
    },
    bond,
    nics,
    dpif,
    brIntTranslations,
  }
}

/** The kconfig probe's bytes: gzip (/proc/config.gz, gunzipped with zlib) or plain text (/boot/config-*). */
function kernelConfig(r: ProbeResult | undefined): {
  config: Record<string, string> | null
  source: string | null
  error: string | null
} {
  if (!r) return {config: null, source: null, error: 'the kernel config probe did not run'}
  const source = firstLine(r.stderr) || null
  if (r.code !== 0 || r.raw.length === 0) return {config: null, source: null, error: source ?? `exit ${r.code}`}
  const gz = r.raw[0] === 0x1f && r.raw[1] === 0x8b
  try {
    return {
      config: parseKernelConfig(gz ? zlib.gunzipSync(r.raw).toString('utf8') : r.raw.toString('utf8')),
      source,
      error: null,
    }
  } catch (error) {
    return {config: null, source, error: `${source}: cannot decompress: ${(error as Error).message}`}
  }
}

/** An OVS bond's mode, LACP state and active member, from bond/show and lacp/show (null with the reason when unread). */
export function ovsBondEvidence(
  name: string,
  members: string[],
  bondShow: BondShow[] | null,
  lacpShow: LacpShow[] | null,
  bondWhy: string,
  lacpWhy: string,
): BondEvidence {
  const b = bondShow?.find(x => x.name === name)
  const l = lacpShow?.find(x => x.name === name)
  const unknown: BondEvidence['unknown'] = {}
  const noBond = bondShow === null ? `ovs-appctl bond/show failed: ${bondWhy}` : `bond/show does not list ${name}`
  if (!b) unknown.mode = unknown.lacp = unknown.activeMember = noBond
  const status = b?.lacpStatus
  const lacp = status === 'off' || status === 'configured' || status === 'negotiated' ? status : null
  if (b && lacp === null) unknown.lacp = `bond/show printed lacp_status "${status ?? ''}"`
  if (b && !b.activeMember) unknown.activeMember = 'bond/show names no active member (every member disabled)'
  const lacpDefaulted = lacp === 'off' ? [] : l ? l.members.filter(m => m.state !== 'current').map(m => m.name) : null
  if (lacp !== 'off' && lacp !== null && lacpShow === null) unknown.lacp ??= `ovs-appctl lacp/show failed: ${lacpWhy}`
  return {
    name,
    kind: 'ovs',
    members,
    mode: b?.mode || null,
    lacp,
    lacpFallbackAb: b?.lacpFallbackAb ?? null,
    lacpDefaulted,
    activeMember: b?.activeMember ?? null,
    unknown,
  }
}
