import {usageError} from '../cli/errors.js'
import type {Fabric} from '../fabric.js'
import {computeTrace} from './compute.js'
import type {FlowSpec, Proto, Trace} from './types.js'

export {computeTrace} from './compute.js'
export type {Trace, TraceEvidence, FlowSpec} from './types.js'

/** Defaults when --sport/--dport are not given: an ephemeral source port and the service's usual port. */
export const DEFAULT_SPORT = 49_152
export const DEFAULT_DPORT: Record<Proto, number> = {tcp: 80, udp: 53, icmp: 0}

/** Validate the flow flags: ports only with tcp/udp, 1–65535. */
export function flowSpec(opts: {proto?: string; sport?: number; dport?: number}): FlowSpec {
  const proto = (opts.proto ?? 'tcp') as Proto
  if (!['tcp', 'udp', 'icmp'].includes(proto))
    throw usageError(
      'TRACE_BAD_PROTO',
      `Unknown protocol "${opts.proto}".`,
      opts.proto,
      'Use --proto tcp, udp or icmp.',
    )
  if (proto === 'icmp') {
    if (opts.sport !== undefined || opts.dport !== undefined) {
      throw usageError(
        'TRACE_PORTS_WITH_ICMP',
        'ICMP has no ports: --sport/--dport apply to tcp and udp only.',
        `--proto icmp${opts.sport === undefined ? '' : ` --sport ${opts.sport}`}${opts.dport === undefined ? '' : ` --dport ${opts.dport}`}`,
        'Drop --sport/--dport, or use --proto tcp or udp.',
      )
    }
    return {proto, sport: 0, dport: 0}
  }
  for (const [flag, v] of [
    ['--sport', opts.sport],
    ['--dport', opts.dport],
  ] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > 65_535))
      throw usageError('TRACE_BAD_PORT', `${flag} ${v} is not a port number.`, v, `Give ${flag} between 1 and 65535.`)
  }
  return {proto, sport: opts.sport ?? DEFAULT_SPORT, dport: opts.dport ?? DEFAULT_DPORT[proto]}
}

/** Trace one flow: the backend gathers the evidence, the verdict is computed from it (pure). */
export async function traceFlow(
  fabric: Pick<Fabric, 'evidence'>,
  srcRef: string,
  dstRef: string,
  spec: FlowSpec,
): Promise<Trace> {
  return computeTrace(await fabric.evidence.trace(srcRef, dstRef, spec), spec)
}
