import type {Catalogue} from '../catalogue.js'
import {deadVlanDevices} from '../hops.js'
import {
  type CheckId,
  type CheckResult,
  type CheckStatus,
  type Finding,
  type HostAudit,
  type HostEvidence,
  type Verdict,
  CHECK_IDS,
} from '../types.js'
import {checkBpf} from './bpf.js'
import {checkBridges} from './bridges.js'
import {checkNic} from './nic.js'
import {checkOvs} from './ovs.js'

export {checkBpf, checkBridges, checkNic, checkOvs}

export function runCheck(check: CheckId, e: HostEvidence, catalogue: Catalogue): Finding[] {
  switch (check) {
    case 'ovs':
      return checkOvs(e, catalogue)
    case 'bridges':
      return checkBridges(e)
    case 'bpf':
      return checkBpf(e)
    case 'nic':
      return checkNic(e)
  }
}

/** A check's status from its findings: the worst severity; unknown beats pass but not a real warning. */
export function checkStatus(findings: Finding[]): CheckStatus {
  if (findings.some(f => f.severity === 'error')) return 'error'
  if (findings.some(f => f.severity === 'warning' && !f.unknown)) return 'warning'
  if (findings.some(f => f.unknown)) return 'unknown'
  if (findings.length > 0 && findings.every(f => f.id.endsWith('.not-applicable'))) return 'not-applicable'
  return 'pass'
}

/** The host's verdict is its worst finding. */
export function verdictOf(findings: Finding[]): Verdict {
  const s = checkStatus(findings)
  return s === 'pass' || s === 'not-applicable' ? 'ok' : s
}

/** Audit one host's evidence with the selected checks. */
export function auditEvidence(
  e: HostEvidence,
  checks: readonly CheckId[],
  catalogue: Catalogue,
  elapsedMs = 0,
): HostAudit {
  const findings: Finding[] = []
  const results: CheckResult[] = []
  for (const c of CHECK_IDS) {
    if (!checks.includes(c)) continue
    const fs = runCheck(c, e, catalogue)
    results.push({check: c, status: checkStatus(fs)})
    findings.push(...fs)
  }
  const inst = e.instances
  const ovsVersion = e.ovs.daemonVersion ?? e.ovs.dbVersion ?? e.ovs.toolVersion
  return {
    host: e.host,
    az: e.az,
    address: e.address,
    source: e.source,
    verdict: verdictOf(findings),
    failure: null,
    elapsedMs: Math.round(elapsedMs),
    checks: results,
    findings,
    facts: {
      ovsVersion,
      ovsRunning: !e.ovs.expected
        ? null
        : e.ovs.dbReachable === null && e.ovs.vswitchdRunning === null
          ? null
          : e.ovs.dbReachable !== false && e.ovs.vswitchdRunning !== false,
      kernel: e.kernel.release,
      instances: inst
        ? {
            total: inst.length,
            direct: inst.filter(i => i.plugging === 'direct').length,
            qbr: inst.filter(i => i.plugging === 'qbr').length,
            maxPathHops: inst.length ? Math.max(...inst.map(i => i.pathHops)) : null,
          }
        : null,
      deadVlanDevices: e.ovs.interfaces ? deadVlanDevices(e.ovs.interfaces) : null,
      nics: e.nics,
      bond: e.bond
        ? {
            name: e.bond.name,
            mode: e.bond.mode,
            lacp: e.bond.lacp,
            activeMember: e.bond.activeMember,
            unknown: e.bond.unknown,
          }
        : null,
    },
    instances: inst
      ? inst.map(i => ({device: i.device, plugging: i.plugging, pathHops: i.pathHops, iptablesRules: i.iptablesRules}))
      : null,
  }
}

/** A host that could not be audited: verdict unreachable, with the reason. */
export function failedHost(
  host: {name: string; az: string | null; address: string | null},
  source: HostAudit['source'],
  err: {code: string; message: string; hint?: string},
  elapsedMs: number,
): HostAudit {
  return {
    host: host.name,
    az: host.az,
    address: host.address,
    source,
    verdict: 'unreachable',
    elapsedMs: Math.round(elapsedMs),
    failure: {code: err.code, message: err.message, hint: err.hint ?? null},
    checks: [],
    findings: [],
    facts: null,
    instances: null,
  }
}
