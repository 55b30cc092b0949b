import type {LiveContext} from '../../context/schema.js'
import {type NeutronCallOptions, neutronRequest} from './http.js'

/** Typed Neutron v2.0 calls used by the live port service. */
export interface NNetwork {
  id: string
  name: string
  tags?: string[]
  availability_zone_hints?: string[]
  subnets: string[]
  'provider:segmentation_id'?: number | null
  'provider:network_type'?: string
}
export interface NSubnet {
  id: string
  network_id: string
  cidr: string
  gateway_ip: string | null
  ip_version: number
  allocation_pools?: {start: string; end: string}[]
}
export interface NPort {
  id: string
  name: string
  network_id: string
  mac_address: string
  fixed_ips: {subnet_id: string; ip_address: string}[]
  status: string
  'binding:host_id'?: string
  'binding:vif_type'?: string
  device_id?: string
  created_at?: string
  updated_at?: string
  /** The data_plane_status extension: where fabricctl records the overlay plane (ACTIVE | DOWN | null). */
  data_plane_status?: string | null
  /** standard-attr-tag: where fabricctl records the overlay when data_plane_status is missing. */
  tags?: string[]
  /** standard-attr-revisions: bumped on every change; `If-Match: revision_number=N` (revision-if-match) makes a PUT conditional. */
  revision_number?: number
}
export interface NAvailability {
  network_id: string
  network_name: string
  used_ips: number
  total_ips: number
}

const q = (params: [string, string][]) =>
  params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')

export class NeutronApi {
  constructor(readonly ctx: LiveContext) {}

  req<T>(
    method: string,
    path: string,
    body?: unknown,
    opts?: NeutronCallOptions,
    headers: Record<string, string> = {},
  ): Promise<T> {
    return neutronRequest<T>(this.ctx, method, path, body, headers, opts)
  }

  async networks(filter: {tags?: string; ids?: string[]} = {}): Promise<NNetwork[]> {
    const params: [string, string][] = []
    if (filter.tags) params.push(['tags', filter.tags])
    for (const id of filter.ids ?? []) params.push(['id', id])
    return (await this.req<{networks: NNetwork[]}>('GET', `/v2.0/networks${params.length ? `?${q(params)}` : ''}`))
      .networks
  }

  async subnets(networkIds?: string[]): Promise<NSubnet[]> {
    const params: [string, string][] = (networkIds ?? []).map(id => ['network_id', id])
    return (await this.req<{subnets: NSubnet[]}>('GET', `/v2.0/subnets${params.length ? `?${q(params)}` : ''}`)).subnets
  }

  async availability(networkIds: string[]): Promise<NAvailability[]> {
    const params: [string, string][] = networkIds.map(id => ['network_id', id])
    return (
      await this.req<{network_ip_availabilities: NAvailability[]}>(
        'GET',
        `/v2.0/network-ip-availabilities?${q(params)}`,
      )
    ).network_ip_availabilities
  }

  /** Ports matching filters; repeated keys mean OR (e.g. several names). */
  async ports(params: [string, string][]): Promise<NPort[]> {
    return (await this.req<{ports: NPort[]}>('GET', `/v2.0/ports${params.length ? `?${q(params)}` : ''}`)).ports
  }

  async portsByName(names: string[]): Promise<NPort[]> {
    const out: NPort[] = []
    for (let i = 0; i < names.length; i += 40)
      out.push(...(await this.ports(names.slice(i, i + 40).map(n => ['name', n]))))
    return out
  }

  async port(id: string): Promise<NPort> {
    return (await this.req<{port: NPort}>('GET', `/v2.0/ports/${encodeURIComponent(id)}`)).port
  }

  /** One POST: a single port body, or a bulk body (Neutron creates all or none). 409s that are retryable are retried; 5xx are not (see the port service). */
  async createPorts(bodies: Record<string, unknown>[]): Promise<NPort[]> {
    if (bodies.length === 1) return [(await this.req<{port: NPort}>('POST', '/v2.0/ports', {port: bodies[0]})).port]
    return (await this.req<{ports: NPort[]}>('POST', '/v2.0/ports', {ports: bodies})).ports
  }

  async updatePort(id: string, body: Record<string, unknown>): Promise<NPort> {
    return (await this.req<{port: NPort}>('PUT', `/v2.0/ports/${encodeURIComponent(id)}`, {port: body})).port
  }

  async deletePort(id: string): Promise<void> {
    await this.req('DELETE', `/v2.0/ports/${encodeURIComponent(id)}`)
  }

  async addTag(networkId: string, tag: string): Promise<void> {
    await this.req('PUT', `/v2.0/networks/${encodeURIComponent(networkId)}/tags/${encodeURIComponent(tag)}`)
  }

  async removeTag(networkId: string, tag: string): Promise<void> {
    await this.req('DELETE', `/v2.0/networks/${encodeURIComponent(networkId)}/tags/${encodeURIComponent(tag)}`)
  }
}

/** Run `fn` over items with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const out: PromiseSettledResult<R>[] = Array.from({length: items.length})
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      try {
        out[i] = {status: 'fulfilled', value: await fn(items[i]!, i)}
      } catch (error) {
        out[i] = {status: 'rejected', reason: error}
      }
    }
  }
  await Promise.all(Array.from({length: Math.min(limit, items.length)}, worker))
  return out
}
