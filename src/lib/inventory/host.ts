import {factAt, factText, type Fact} from '../seam/fact.js'
import type {InventoryHost} from '../seam/inventory.js'
import {renderFields, renderTable} from '../output/table.js'

/**
 * `host show`: a host's facts, each read or unknown. JSON carries `null` for a fact the backend did
 * not read and names it in `unknown` (path → why); a person reads `unknown (why)`.
 */
export function hostFacts(h: InventoryHost) {
  const {unknown: reasons, ...host} = h
  const fact = <T>(value: T, path: string): Fact<T> => factAt(value, reasons, path)
  const ovsRunning = fact(host.ovsRunning, 'ovsRunning')
  const agentAlive = fact(host.agentAlive, 'agentAlive')
  const agentHeartbeatAt = fact(host.agentHeartbeatAt, 'agentHeartbeatAt')
  const nics = host.nics.map(n => ({nic: n, up: fact(n.up, `nics.${n.name}.up`)}))
  const json = {
    ...host,
    ovsRunning: ovsRunning.value,
    nics: nics.map(({nic, up}) => ({...nic, up: up.value})),
    agentAlive: agentAlive.value,
    agentHeartbeatAt: agentHeartbeatAt.value,
    ...(reasons && Object.keys(reasons).length > 0 ? {unknown: reasons} : {}),
  }
  const agent =
    agentAlive.reason !== undefined
      ? factText(agentAlive)
      : agentAlive.value
        ? 'alive'
        : `down, last heartbeat ${factText(agentHeartbeatAt)}`
  const render = (ports: number | null) =>
    [
      renderFields([
        ['name', host.name],
        ['az', host.az],
        ['role', host.role],
        ['address', host.address],
        ['ovs', host.ovsVersion ?? 'none (bare metal)'],
        ['ovs running', factText(ovsRunning)],
        ['plugging', host.plugging],
        ['bond', host.bond],
        ['kernel', host.kernel.version],
        ['bpffs mounted', host.kernel.bpffsMounted ?? 'unknown'],
        ['bpf jit', host.kernel.jitEnabled ?? 'unknown'],
        ['agent', agent],
        ['ports', ports],
      ]),
      '',
      renderTable(nics, [
        {header: 'nic', get: n => n.nic.name},
        {header: 'switch', get: n => n.nic.switch},
        {header: 'interface', get: n => n.nic.interface},
        {header: 'speed', get: n => `${n.nic.speedMbps / 1000}G`},
        {header: 'link', get: n => factText(n.up, up => (up ? 'up' : 'down'))},
      ]),
    ].join('\n')
  return {json, render}
}
