import {FabricError, notFound} from '../../cli/errors.js'
import {EXIT} from '../../cli/exit-codes.js'
import type {Port, PlaneState} from '../../model/types.js'
import type {PortService} from '../../ports/types.js'
import type {Ipam, IpamCapabilities, IpamPort} from '../../seam/ipam.js'
import type {FabricStore} from '../../store/fabric-store.js'

/** What the simulated fabric behaves as: a Neutron with every extension fabricctl uses, the overlay in its own column. */
const SIM_EXTENSIONS = ['binding', 'data-plane-status', 'network-ip-availability', 'standard-attr-tag']

/**
 * The IPAM member on the simulated store. The sim's port engine (`backends/sim/ports.ts`) runs a whole
 * operation in one IMMEDIATE transaction with the simulated agents and controller; this member
 * gives the same reads and single changes to code that does not need the agents.
 */
export class SimIpam implements Ipam {
  constructor(private readonly store: FabricStore) {}

  async capabilities(): Promise<IpamCapabilities> {
    return {extensions: SIM_EXTENSIONS, overlayRecord: 'store', revisionIfMatch: false}
  }

  async findPorts(ref: string): Promise<IpamPort[]> {
    return this.store.findPorts(ref).map(p => this.ipamPort(p))
  }

  async port(id: string): Promise<IpamPort> {
    const p = this.store.port(id)
    if (!p) throw notFound('port', id, 'List ports with `fabricctl port list`.')
    return this.ipamPort(p)
  }

  /** A port as the seam returns it: its network by the network's id (as the inventory gives it), not its name. */
  private ipamPort(p: Port): IpamPort {
    // The store's foreign key guarantees the network row.
    const networkId = this.store.network(p.network)!.id
    return {id: p.id, name: p.name, networkId, ip: p.ip, mac: p.mac, host: p.host, revision: null}
  }

  /** The name (the store's key) of the network with this id. */
  private networkName(networkId: string): string {
    const row = this.store.sql('SELECT name FROM networks WHERE id = ?').get(networkId) as {name: string} | undefined
    if (!row) throw notFound('network', networkId, 'List networks with `fabricctl network list`.')
    return row.name
  }

  async createBatch(): Promise<IpamPort[]> {
    // The sim's allocator (lowest free address, MACs, the controller's record) lives in the port engine's transaction.
    throw new FabricError({
      code: 'NOT_SUPPORTED',
      message: 'The simulated IPAM creates ports only through the port engine (`port allocate`).',
      value: 'createBatch',
      hint: 'Use `fabricctl port allocate`.',
      exitCode: EXIT.USAGE,
    })
  }

  async bind(id: string, host: string): Promise<IpamPort> {
    this.store.tx(() => this.store.sql('UPDATE ports SET host = ? WHERE id = ?').run(host, id))
    return this.port(id)
  }

  async unbind(id: string): Promise<IpamPort> {
    this.store.tx(() => this.store.sql('UPDATE ports SET host = NULL WHERE id = ?').run(id))
    return this.port(id)
  }

  async delete(id: string): Promise<void> {
    this.store.tx(() => this.store.sql('DELETE FROM ports WHERE id = ?').run(id))
  }

  async tagNetwork(networkId: string, tag: string, action: 'add' | 'remove'): Promise<void> {
    const network = this.networkName(networkId)
    this.store.tx(() =>
      action === 'add'
        ? this.store.sql('INSERT OR IGNORE INTO network_labels(network, label) VALUES (?, ?)').run(network, tag)
        : this.store.sql('DELETE FROM network_labels WHERE network = ? AND label = ?').run(network, tag),
    )
  }

  async recordOverlay(id: string, overlay: PlaneState): Promise<{record: 'store'; value: 'ACTIVE' | 'DOWN'}> {
    this.store.setPortState(id, null, overlay)
    return {record: 'store', value: overlay === 'ACTIVE' ? 'ACTIVE' : 'DOWN'}
  }

  async portService(): Promise<PortService> {
    const {SimPortService} = await import('./ports.js')
    return new SimPortService(this.store)
  }
}
