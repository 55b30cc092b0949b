import type {CheckId, EvidenceItem, Finding, Severity} from '../types.js'

export function finding(
  check: CheckId,
  id: string,
  severity: Severity,
  title: string,
  evidence: EvidenceItem[],
  remediation: string | null = null,
): Finding {
  return {check, id: `${check}.${id}`, severity, unknown: false, title, evidence, remediation}
}

/** Something could not be read: reported as unknown (severity warning), never as a pass. */
export function unknown(
  check: CheckId,
  id: string,
  title: string,
  evidence: EvidenceItem[],
  remediation: string | null = null,
): Finding {
  return {check, id: `${check}.${id}`, severity: 'warning', unknown: true, title, evidence, remediation}
}

export const ev = (source: string | undefined, value: unknown): EvidenceItem => ({
  source: source ?? 'unknown',
  value: typeof value === 'string' ? value : JSON.stringify(value),
})

export function sample<T>(items: T[], n = 5): string {
  const shown = items.slice(0, n).map(String).join(', ')
  return items.length > n ? `${shown} … (+${items.length - n} more)` : shown
}
