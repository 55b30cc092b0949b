import type {PortBasis} from '../../seam/ipam.js'
import type {NPort} from './api.js'

/** Whether port `p` still has the facts `b` a plan was made on (its revision aside). */
export function sameBasis(b: PortBasis, p: NPort): boolean {
  const ips = p.fixed_ips.map(f => f.ip_address).sort()
  return (
    (p['binding:host_id'] || null) === b.host &&
    p.mac_address === b.mac &&
    (p.device_id ?? '') === b.deviceId &&
    ips.join(',') === [...b.ips].sort().join(',')
  )
}

/** The basis of a change plan, from the port as read. */
export function basisOf(p: NPort): PortBasis {
  return {
    host: p['binding:host_id'] || null,
    ips: p.fixed_ips.map(f => f.ip_address),
    mac: p.mac_address,
    deviceId: p.device_id ?? '',
  }
}
