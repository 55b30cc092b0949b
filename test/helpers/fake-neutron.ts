import http from 'node:http'
import type {AddressInfo} from 'node:net'
import {randomUUID} from 'node:crypto'

import type {LiveContext} from '../../src/lib/context/schema.js'

/**
 * A small in-memory Neutron on 127.0.0.1 for client tests that the lab cannot run (a Neutron shape
 * the lab does not have, a forced failure at one call). It keeps the behaviour a client must handle
 * (DESIGN.md §5): names not unique, unknown attributes refused with 400 (e.g. `data_plane_status`
 * when that extension is off), `revision_number` bumped on every change and `If-Match:
 * revision_number=N` answered 412 on a mismatch (when `revision-if-match` is on), port tags under
 * `standard-attr-tag`, the bulk create (POST /v2.0/ports; /24 subnets). `fail` makes one request answer an error, to drive failure injection.
 */
export interface FakePort {
  id: string
  name: string
  network_id: string
  mac_address: string
  fixed_ips: {subnet_id: string; ip_address: string}[]
  status: string
  'binding:host_id': string
  'binding:vif_type': string
  device_id: string
  revision_number: number
  tags: string[]
  created_at: string
  updated_at: string
  data_plane_status?: string | null
}

export interface FakeNeutron {
  url: string
  extensions: Set<string>
  networks: {id: string; name: string; tags: string[]; subnets: string[]; availability_zone_hints: string[]}[]
  subnets: {id: string; network_id: string; cidr: string; gateway_ip: string; ip_version: 4}[]
  ports: Map<string, FakePort>
  availability: Map<string, {used: number; total: number}>
  calls: {method: string; url: string; headers: http.IncomingHttpHeaders; body: unknown}[]
  /** Answer the first request this matches with [status, NeutronError type]; removed once used. */
  fail: ((method: string, url: string, body: any) => [number, string] | undefined) | undefined
  addPort(p: Partial<FakePort> & {name: string; network_id: string; ip: string}): FakePort
  ctx(name?: string): LiveContext
  close(): Promise<void>
}

const DEFAULT_EXTENSIONS = [
  'binding',
  'standard-attr-tag',
  'revision-if-match',
  'standard-attr-revisions',
  'data-plane-status',
]

export async function startFakeNeutron(opts: {extensions?: string[]} = {}): Promise<FakeNeutron> {
  let macN = 0
  const now = () => new Date().toISOString()
  const fx: FakeNeutron = {
    url: '',
    extensions: new Set(opts.extensions ?? DEFAULT_EXTENSIONS),
    networks: [],
    subnets: [],
    ports: new Map(),
    availability: new Map(),
    calls: [],
    fail: undefined,
    addPort(p) {
      const id = p.id ?? randomUUID()
      const net = fx.networks.find(n => n.id === p.network_id)!
      const port: FakePort = {
        id,
        name: p.name,
        network_id: p.network_id,
        mac_address: p.mac_address ?? `fa:16:3e:00:00:${(++macN).toString(16).padStart(2, '0')}`,
        fixed_ips: [{subnet_id: net.subnets[0] ?? '', ip_address: p.ip}],
        status: p.status ?? 'DOWN',
        'binding:host_id': p['binding:host_id'] ?? '',
        'binding:vif_type': p['binding:host_id'] ? 'binding_failed' : 'unbound',
        device_id: '',
        revision_number: 1,
        tags: p.tags ?? [],
        created_at: now(),
        updated_at: now(),
        ...(fx.extensions.has('data-plane-status') ? {data_plane_status: p.data_plane_status ?? null} : {}),
      }
      fx.ports.set(id, port)
      return port
    },
    ctx(name = 'fake') {
      return {
        name,
        backend: 'live',
        neutron: {url: fx.url, timeoutMs: 5000, auth: {type: 'noauth', projectId: 'fake_project_id'}},
        ssh: {} as never,
        inventory: {
          azs: [{name: 'az1'}],
          spines: [],
          leaves: [],
          hosts: [
            {name: 'h1', az: 'az1', nics: []},
            {name: 'h2', az: 'az1', nics: []},
          ],
          instances: [],
        },
        overlay: {} as never,
      } as unknown as LiveContext
    },
    close: () => new Promise<void>(r => server.close(() => r())),
  }
  const send = (res: http.ServerResponse, status: number, payload?: unknown) => {
    res.writeHead(status, {'Content-Type': 'application/json'})
    res.end(payload === undefined ? '' : JSON.stringify(payload))
  }
  const err = (res: http.ServerResponse, status: number, type: string, message = type) =>
    send(res, status, {NeutronError: {type, message, detail: ''}})
  const bump = (p: FakePort) => {
    p.revision_number += 1
    p.updated_at = now()
  }
  const server = http.createServer((req, res) => {
    let raw = ''
    req.on('data', d => (raw += d))
    req.on('end', () => {
      const body = raw ? JSON.parse(raw) : undefined
      const method = req.method!
      const u = new URL(req.url!, 'http://x')
      fx.calls.push({method, url: req.url!, headers: req.headers, body})
      const forced = fx.fail?.(method, req.url!, body)
      if (forced) {
        fx.fail = undefined
        return err(res, forced[0], forced[1])
      }
      const path = u.pathname.replace(/^\/network/, '')
      const q = u.searchParams
      if (method === 'GET' && path === '/v2.0/extensions')
        return send(res, 200, {extensions: [...fx.extensions].map(alias => ({alias, name: alias}))})
      if (method === 'GET' && path === '/v2.0/networks') {
        const tags = q.get('tags')
        return send(res, 200, {networks: fx.networks.filter(n => !tags || n.tags.includes(tags))})
      }
      if (method === 'GET' && path === '/v2.0/subnets') return send(res, 200, {subnets: fx.subnets})
      if (method === 'GET' && path === '/v2.0/network-ip-availabilities') {
        const ids = q.getAll('network_id')
        return send(res, 200, {
          network_ip_availabilities: fx.networks
            .filter(n => ids.includes(n.id))
            .map(n => {
              const a = fx.availability.get(n.id) ?? {used: 0, total: 0}
              return {network_id: n.id, network_name: n.name, used_ips: a.used, total_ips: a.total}
            }),
        })
      }
      if (method === 'GET' && path === '/v2.0/ports') {
        const names = q.getAll('name')
        const ips = q.getAll('fixed_ips').map(f => f.replace('ip_address=', ''))
        const list = [...fx.ports.values()].filter(
          p =>
            (names.length === 0 || names.includes(p.name)) &&
            (ips.length === 0 || p.fixed_ips.some(f => ips.includes(f.ip_address))),
        )
        return send(res, 200, {ports: list})
      }
      if (method === 'POST' && path === '/v2.0/ports') {
        // The bulk create (atomic: all or none): the asked address, else the lowest free one of the network's subnet.
        const bodies = (body.ports ?? [body.port]) as Record<string, any>[]
        const taken = new Set([...fx.ports.values()].flatMap(p => p.fixed_ips.map(f => f.ip_address)))
        const ips: string[] = []
        for (const b of bodies) {
          const sub = fx.subnets.find(x => x.network_id === b.network_id)
          if (!sub) return err(res, 404, 'NetworkNotFound')
          let ip = b.fixed_ips?.[0]?.ip_address as string | undefined
          if (ip && (taken.has(ip) || ips.includes(ip))) return err(res, 409, 'IpAddressAlreadyAllocated')
          const prefix = sub.cidr.split('.').slice(0, 3).join('.')
          for (let n = 2; !ip && n < 255; n++) {
            const c = `${prefix}.${n}`
            if (c !== sub.gateway_ip && !taken.has(c) && !ips.includes(c)) ip = c
          }
          if (!ip) return err(res, 409, 'IpAddressGenerationFailure')
          ips.push(ip)
        }
        const created = bodies.map((b, i) =>
          fx.addPort({name: b.name, network_id: b.network_id, ip: ips[i]!, 'binding:host_id': b['binding:host_id']}),
        )
        return send(res, 201, body.ports ? {ports: created} : {port: created[0]})
      }
      const m = /^\/v2\.0\/ports\/([^/]+)(?:\/tags\/(.+))?$/.exec(path)
      if (m) {
        const p = fx.ports.get(decodeURIComponent(m[1]!))
        if (!p) return err(res, 404, 'PortNotFound')
        const ifMatch = req.headers['if-match']
        if (ifMatch && fx.extensions.has('revision-if-match') && method !== 'GET') {
          const want = /revision_number=(\d+)/.exec(String(ifMatch))?.[1]
          if (want !== undefined && Number(want) !== p.revision_number)
            return err(
              res,
              412,
              'RevisionNumberConstraintFailed',
              `Constrained to ${want}, but current revision is ${p.revision_number}`,
            )
        }
        if (m[2] !== undefined) {
          if (!fx.extensions.has('standard-attr-tag')) return err(res, 404, 'HTTPNotFound')
          const tag = decodeURIComponent(m[2])
          if (method === 'PUT' && !p.tags.includes(tag)) {
            p.tags.push(tag)
            bump(p)
          }
          if (method === 'DELETE') {
            if (!p.tags.includes(tag)) return err(res, 404, 'TagNotFound')
            p.tags = p.tags.filter(t => t !== tag)
            bump(p)
          }
          return send(res, method === 'DELETE' ? 204 : 201)
        }
        if (method === 'GET') return send(res, 200, {port: p})
        if (method === 'DELETE') {
          fx.ports.delete(p.id)
          return send(res, 204)
        }
        if (method === 'PUT') {
          const b = body.port as Record<string, unknown>
          const known = new Set([
            'binding:host_id',
            'name',
            'device_id',
            ...(fx.extensions.has('data-plane-status') ? ['data_plane_status'] : []),
          ])
          const bad = Object.keys(b).filter(k => !known.has(k))
          if (bad.length) return err(res, 400, 'HTTPBadRequest', `Unrecognized attribute(s) '${bad.join(', ')}'`)
          if ('binding:host_id' in b) {
            p['binding:host_id'] = String(b['binding:host_id'] ?? '')
            p['binding:vif_type'] = p['binding:host_id'] ? 'binding_failed' : 'unbound'
          }
          if ('data_plane_status' in b) p.data_plane_status = b.data_plane_status as string
          if ('name' in b) p.name = String(b.name)
          bump(p)
          return send(res, 200, {port: p})
        }
      }
      return err(res, 404, 'HTTPNotFound', `${method} ${path}`)
    })
  })
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
  fx.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/network`
  return fx
}
