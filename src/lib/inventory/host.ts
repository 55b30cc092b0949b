import type {ResultOf} from '../cli/result.js'
import {renderFields, renderTable} from '../output/table.js'
import {factAt, factText} from '../seam/fact.js'
import type {InventoryHost} from '../seam/inventory.js'

type HostDoc = ResultOf<'Host'>['host']

/**
 * `host show`: a host's facts, each read or unknown. JSON carries `null` for a fact the backend did
 * not read and names it in `unknown` (path → why); a person reads `unknown (why)`.
 */
export function hostFacts(h: InventoryHost): HostDoc {
  const {unknown: reasons, ...host} = h
  const value = <T>(v: T, path: string): T | null => factAt(v, reasons, path).value
  return {
    ...host,
    ovsRunning: value(host.ovsRunning, 'ovsRunning'),
    nics: host.nics.map(n => ({...n, up: value(n.up, `nics.${n.name}.up`)})),
    agentAlive: value(host.agentAlive, 'agentAlive'),
    agentHeartbeatAt: value(host.agentHeartbeatAt, 'agentHeartbeatAt'),
    ...(reasons && Object.keys(reasons).length > 0 ? {unknown: reasons} : {}),
  }
}

export function renderHost(host: HostDoc, ports: number | null): string {
  const fact = <T>(v: T | null, path: string) => factAt(v as T, host.unknown, path)
  const alive = fact(host.agentAlive, 'agentAlive')
  const agent =
    alive.reason !== undefined
      ? factText(alive)
      : alive.value
        ? 'alive'
        : `down, last heartbeat ${factText(fact(host.agentHeartbeatAt, 'agentHeartbeatAt'))}`
  return [
    renderFields([
      ['name', host.name],
      ['az', host.az],
      ['role', host.role],
      ['address', host.address],
      ['ovs', host.unknown?.ovsVersion ? factText(fact(null, 'ovsVersion')) : (host.ovsVersion ?? 'none (bare metal)')],
      ['ovs running', factText(fact(host.ovsRunning, 'ovsRunning'))],
      ['plugging', host.plugging],
      ['bond', host.bond],
      ['kernel', host.unknown?.kernel ? factText(fact(null, 'kernel')) : host.kernel.version],
      ['bpffs mounted', host.kernel.bpffsMounted ?? 'unknown'],
      ['bpf jit', host.kernel.jitEnabled ?? 'unknown'],
      ['agent', agent],
      ['ports', ports],
    ]),
    '',
    renderTable(host.nics, [
      {header: 'nic', get: n => n.name},
      {header: 'switch', get: n => n.switch},
      {header: 'interface', get: n => n.interface},
      {header: 'speed', get: n => `${n.speedMbps / 1000}G`},
      {header: 'link', get: n => factText(fact(n.up, `nics.${n.name}.up`), up => (up ? 'up' : 'down'))},
    ]),
  ].join('\n')
}
