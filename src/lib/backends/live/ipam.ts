import {FabricError} from '../../cli/errors.js'
import {EXIT} from '../../cli/exit-codes.js'
import type {LiveContext} from '../../context/schema.js'
import {type NPort, NeutronApi} from '../../live/neutron/api.js'
import {sameBasis} from '../../live/neutron/basis.js'
import {neutronErrorType, neutronStatus} from '../../live/neutron/http.js'
import {isValidIpv4} from '../../model/addressing.js'
import type {PlaneState} from '../../model/types.js'
import type {PortService} from '../../ports/types.js'
import type {LeafDriverRegistry} from '../../seam/leaf-drivers.js'
import {
  type Ipam,
  type IpamCapabilities,
  type IpamChangeOptions,
  type IpamPort,
  OVERLAY_TAG_PREFIX,
  overlayRecordFor,
  overlayTag,
} from '../../seam/ipam.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Extensions per Neutron endpoint: read once per command; kept 30 s for in-process runs of several commands. */
const EXT_TTL_MS = 30_000
const extCache = new Map<string, {at: number; value: Promise<string[]>}>()

export function ipamPort(p: NPort): IpamPort {
  return {
    id: p.id,
    name: p.name,
    networkId: p.network_id,
    ip: p.fixed_ips[0]?.ip_address ?? '',
    mac: p.mac_address,
    host: p['binding:host_id'] || null,
    revision: typeof p.revision_number === 'number' ? p.revision_number : null,
  }
}

/** A conditional update that lost a race: another client changed the port since it was read. */
export function changedConcurrently(id: string, error: unknown): FabricError {
  return new FabricError({
    code: 'PORT_CHANGED_CONCURRENTLY',
    message: `Port ${id} changed in Neutron since this command read it (another bind or migrate won the race): nothing of this operation was applied.`,
    value: id,
    hint: 'Look at the port (`fabricctl port show`) and run the command again if it still applies.',
    details: {status: neutronStatus(error), type: neutronErrorType(error)},
    exitCode: EXIT.REFUSED,
  })
}

/** The IPAM member on Neutron's HTTP API. */
export class LiveIpam implements Ipam {
  readonly api: NeutronApi

  constructor(
    private readonly ctx: LiveContext,
    /** The live fabric's leaf drivers (built after this IPAM, over it): what the port engine pushes leaves through. */
    private readonly leafDrivers: () => LeafDriverRegistry,
  ) {
    this.api = new NeutronApi(ctx)
  }

  private extensions(): Promise<string[]> {
    const key = `${this.ctx.name}\u0000${this.ctx.neutron.url}`
    const hit = extCache.get(key)
    if (hit && Date.now() - hit.at < EXT_TTL_MS) return hit.value
    const value = this.api
      .req<{extensions: {alias: string}[]}>('GET', '/v2.0/extensions')
      .then(r => r.extensions.map(e => e.alias).sort())
    value.catch(() => extCache.delete(key))
    extCache.set(key, {at: Date.now(), value})
    return value
  }

  async capabilities(): Promise<IpamCapabilities> {
    const extensions = await this.extensions()
    return {
      extensions,
      overlayRecord: overlayRecordFor(extensions),
      revisionIfMatch: extensions.includes('revision-if-match'),
    }
  }

  async findPorts(ref: string): Promise<IpamPort[]> {
    return (await this.findRaw(ref)).map(ipamPort)
  }

  async findRaw(ref: string): Promise<NPort[]> {
    if (UUID.test(ref)) {
      try {
        return [await this.api.port(ref)]
      } catch (error) {
        if (neutronStatus(error) === 404) return []
        throw error
      }
    }
    if (isValidIpv4(ref)) return this.api.ports([['fixed_ips', `ip_address=${ref}`]])
    return this.api.ports([['name', ref]])
  }

  async port(id: string): Promise<IpamPort> {
    return ipamPort(await this.api.port(id))
  }

  async createBatch(bodies: {networkId: string; name: string; host?: string; ip?: string}[]): Promise<IpamPort[]> {
    const project = this.ctx.neutron.auth.type === 'noauth' ? {project_id: this.ctx.neutron.auth.projectId} : {}
    return (
      await this.api.createPorts(
        bodies.map(b => ({
          network_id: b.networkId,
          name: b.name,
          admin_state_up: true,
          ...project,
          ...(b.host ? {'binding:host_id': b.host} : {}),
          ...(b.ip ? {fixed_ips: [{ip_address: b.ip}]} : {}),
        })),
      )
    ).map(ipamPort)
  }

  /** PUT with If-Match when the deployment supports it and the caller read a revision. */
  async update(id: string, body: Record<string, unknown>, opts: IpamChangeOptions = {}): Promise<NPort> {
    let conditional = opts.ifRevision != null && (await this.capabilities()).revisionIfMatch
    // Binding a port again to the host it has (a repair) changes nothing the plan rests on, and Neutron
    // re-binds a failed binding before it checks If-Match (a new revision each time, so it never matches):
    // check the basis on a fresh read instead, then PUT unconditionally.
    if (
      conditional &&
      opts.basis &&
      'binding:host_id' in body &&
      (body['binding:host_id'] || null) === opts.basis.host
    ) {
      const now = await this.api.port(id)
      if (!sameBasis(opts.basis, now)) throw changedConcurrently(id, new Error('the port changed since it was read'))
      conditional = false
    }
    let revision = opts.ifRevision
    for (let attempt = 1; ; attempt++) {
      try {
        return (
          await this.api.req<{port: NPort}>(
            'PUT',
            `/v2.0/ports/${encodeURIComponent(id)}`,
            {port: body},
            {},
            conditional ? {'If-Match': `revision_number=${revision}`} : {},
          )
        ).port
      } catch (error) {
        if (neutronStatus(error) !== 412) throw error
        // The revision moved. Only a change to what the plan rests on is a concurrent change (see PortBasis).
        const now = opts.basis && attempt < 4 ? await this.api.port(id) : null
        if (!now || !sameBasis(opts.basis!, now)) throw changedConcurrently(id, error)
        revision = now.revision_number ?? null
      }
    }
  }

  async bind(id: string, host: string, opts: IpamChangeOptions = {}): Promise<IpamPort> {
    return ipamPort(await this.update(id, {'binding:host_id': host}, opts))
  }

  async unbind(id: string, opts: IpamChangeOptions = {}): Promise<IpamPort> {
    return ipamPort(await this.update(id, {'binding:host_id': ''}, opts))
  }

  async delete(id: string): Promise<void> {
    try {
      await this.api.deletePort(id)
    } catch (error) {
      if (neutronStatus(error) !== 404) throw error
    }
  }

  async tagNetwork(networkId: string, tag: string, action: 'add' | 'remove'): Promise<void> {
    if (action === 'add') await this.api.addTag(networkId, tag)
    else await this.api.removeTag(networkId, tag)
  }

  /**
   * data_plane_status where the extension exists (Neutron takes only ACTIVE and DOWN: ERROR and BUILD
   * are DOWN); else fabricctl's port tag where `standard-attr-tag` exists (the other value's tag is
   * removed); else nothing is written and `none` says so.
   */
  async recordOverlay(
    id: string,
    overlay: PlaneState,
  ): Promise<{record: IpamCapabilities['overlayRecord']; value: 'ACTIVE' | 'DOWN' | null}> {
    const value = overlay === 'ACTIVE' ? 'ACTIVE' : 'DOWN'
    const {overlayRecord} = await this.capabilities()
    if (overlayRecord === 'data_plane_status') {
      await this.api.updatePort(id, {data_plane_status: value})
      return {record: overlayRecord, value}
    }
    if (overlayRecord === 'port-tag') {
      const p = await this.api.port(id)
      const path = (t: string) => `/v2.0/ports/${encodeURIComponent(id)}/tags/${encodeURIComponent(t)}`
      for (const t of (p.tags ?? []).filter(x => x.startsWith(OVERLAY_TAG_PREFIX) && x !== overlayTag(value)))
        await this.api.req('DELETE', path(t))
      if (!(p.tags ?? []).includes(overlayTag(value))) await this.api.req('PUT', path(overlayTag(value)))
      return {record: overlayRecord, value}
    }
    return {record: 'none', value: null}
  }

  /** Undo of recordOverlay: put back what was recorded before (null: nothing). */
  async restoreOverlay(id: string, before: 'ACTIVE' | 'DOWN' | null): Promise<void> {
    const {overlayRecord} = await this.capabilities()
    if (overlayRecord === 'data_plane_status') await this.api.updatePort(id, {data_plane_status: before})
    else if (overlayRecord === 'port-tag') {
      const p = await this.api.port(id)
      for (const t of (p.tags ?? []).filter(x => x.startsWith(OVERLAY_TAG_PREFIX)))
        await this.api.req('DELETE', `/v2.0/ports/${encodeURIComponent(id)}/tags/${encodeURIComponent(t)}`)
      if (before)
        await this.api.req(
          'PUT',
          `/v2.0/ports/${encodeURIComponent(id)}/tags/${encodeURIComponent(overlayTag(before))}`,
        )
    }
  }

  async portService(): Promise<PortService> {
    const {LivePortService} = await import('./ports.js')
    return new LivePortService({context: this.ctx, ipam: this, leafDrivers: this.leafDrivers()})
  }
}
