import {type LeafConfig, emptyLeafConfig} from '../../model/types.js'
import {hasFault} from '../../sim/faults.js'
import type {FabricStore} from '../../store/fabric-store.js'
import {canonicalLeafConfig} from '../../leaf/desired.js'
import {type LeafChange, applyLeafChanges, describeChange, diffLeafConfigs} from '../../leaf/diff.js'
import {
  type LeafDriver,
  LeafDriverError,
  type LeafPlatform,
  type LeafSnapshot,
  type MacLocations,
  type PreparedPush,
  type RunningState,
  type SnapshotKind,
  type SnapshotStore,
  type VerifyReport,
} from '../../leaf/driver.js'

/**
 * The simulated leaf: its running configuration is the `leaf_configs` row. It answers
 * synchronously and obeys the faults: `leaf-unreachable` (no reads, no pushes), `push-fail` (a push
 * applies the first half of its changes, then fails), `config-drift` (already in the running row).
 */
export class SimLeafDriver implements LeafDriver {
  readonly driver = 'sim'

  constructor(
    private readonly store: FabricStore,
    readonly leaf: string,
  ) {}

  private reachable(step: string): void {
    if (hasFault(this.store, 'leaf-unreachable', this.leaf)) {
      throw new LeafDriverError(
        'LEAF_UNREACHABLE',
        `Leaf ${this.leaf} does not answer.`,
        step,
        'Check the leaf (simulated fault leaf-unreachable: `fabricctl sim fault list`).',
      )
    }
  }

  private running(): LeafConfig {
    return this.store.leafRunning(this.leaf) ?? emptyLeafConfig()
  }

  private write(cfg: LeafConfig): void {
    this.store
      .sql(
        `INSERT INTO leaf_configs(leaf, running, last_known_good, updated_at) VALUES (?, ?, NULL, ?)
      ON CONFLICT(leaf) DO UPDATE SET running = excluded.running, updated_at = excluded.updated_at`,
      )
      .run(this.leaf, JSON.stringify(canonicalLeafConfig(cfg)), this.store.now())
  }

  read(): RunningState {
    this.reachable('read')
    const config = this.running()
    return {config, snapshot: {driver: 'sim', leaf: this.leaf, takenAt: this.store.now(), config}}
  }

  prepare(desired: LeafConfig, running: RunningState, changes: readonly LeafChange[]): PreparedPush {
    const inverse = diffLeafConfigs(desired, running.config).map(describeChange)
    return {plan: changes.map(describeChange), inverse, data: {changes, base: running.config}}
  }

  apply(prepared: PreparedPush): void {
    this.reachable('apply')
    const {changes, base} = prepared.data as {changes: LeafChange[]; base: LeafConfig}
    if (hasFault(this.store, 'push-fail', this.leaf)) {
      const half = Math.floor(changes.length / 2)
      this.write(applyLeafChanges(base, changes.slice(0, half)))
      const failedAt = changes[half]!
      throw new LeafDriverError(
        'LEAF_PUSH_FAILED',
        `Leaf ${this.leaf} rejected change ${half + 1} of ${changes.length} (${describeChange(failedAt)}) after ${half} had been applied.`,
        `apply ${describeChange(failedAt)}`,
        'Clear the cause (simulated fault push-fail: `fabricctl sim fault list`) and push again.',
      )
    }
    this.write(applyLeafChanges(base, changes))
  }

  verify(desired: LeafConfig): VerifyReport {
    const running = this.read()
    const diff = diffLeafConfigs(running.config, desired)
    return {
      running,
      checks: [
        {
          name: 'running-config',
          ok: diff.length === 0,
          severity: 'error',
          detail:
            diff.length === 0
              ? 'matches'
              : `${diff.length} difference(s): ${diff.slice(0, 3).map(describeChange).join('; ')}`,
        },
      ],
    }
  }

  restore(snapshot: LeafSnapshot): void {
    this.reachable('restore')
    this.write(snapshot.config)
  }

  /** The sim's switches have no hardware: the model is unknown, and says so. */
  platform(): LeafPlatform {
    this.reachable('read')
    return {model: null, source: null, reason: 'the simulated fabric does not model switch hardware'}
  }

  /**
   * The simulated leaf learns a MAC on a host interface when a host cabled there holds a device of
   * the port with that MAC on its br-int (OVS running) and the interface carries the network's VLAN
   * in the leaf's running config. (The sim models no remote VTEP entries.)
   */
  macLocations(mac: string): MacLocations {
    this.reachable('read')
    const cfg = this.running()
    const rows = this.store
      .sql(
        `SELECT c.interface AS interface, n.vlan AS vlan FROM ports p
         JOIN ovs_ports o ON o.port_id = p.id
         JOIN hosts h ON h.name = o.host
         JOIN cabling c ON c.host = o.host AND c.switch = ?
         JOIN networks n ON n.name = p.network
         WHERE lower(p.mac) = lower(?) AND h.ovs_running = 1 AND c.up = 1
         ORDER BY c.interface`,
      )
      .all(this.leaf, mac) as {interface: string; vlan: number}[]
    const entries = rows
      .filter(r => cfg.interfaces[r.interface]?.vlans.includes(r.vlan))
      .map(r => ({
        interface: r.interface,
        origin: 'local' as const,
        vtep: null,
        source: 'sim: ovs_ports + cabling + running config',
      }))
    return {entries, sources: ['sim: ovs_ports + cabling + leaf_configs.running']}
  }

  close(): void {}
}

/** Last-known-good in `leaf_configs.last_known_good`; the state before the last push in `meta`. */
export class SimSnapshotStore implements SnapshotStore {
  constructor(private readonly store: FabricStore) {}

  get(leaf: string, which: SnapshotKind): LeafSnapshot | undefined {
    if (which === 'last-known-good') {
      const r = this.store.sql('SELECT last_known_good, updated_at FROM leaf_configs WHERE leaf = ?').get(leaf) as
        {last_known_good: string | null; updated_at: string} | undefined
      if (!r?.last_known_good) return undefined
      const at = this.store.meta(`leaf.lkg-at.${leaf}`) ?? r.updated_at
      return {driver: 'sim', leaf, takenAt: at, config: JSON.parse(r.last_known_good) as LeafConfig}
    }
    const raw = this.store.meta(`leaf.previous.${leaf}`)
    return raw ? (JSON.parse(raw) as LeafSnapshot) : undefined
  }

  record(leaf: string, snaps: {lastKnownGood: LeafSnapshot; previous?: LeafSnapshot}): void {
    const cfg = JSON.stringify(canonicalLeafConfig(snaps.lastKnownGood.config))
    this.store
      .sql(
        `INSERT INTO leaf_configs(leaf, running, last_known_good, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT(leaf) DO UPDATE SET last_known_good = excluded.last_known_good`,
      )
      .run(leaf, cfg, cfg, this.store.now())
    this.store.setMeta(`leaf.lkg-at.${leaf}`, snaps.lastKnownGood.takenAt)
    if (snaps.previous) this.store.setMeta(`leaf.previous.${leaf}`, JSON.stringify(snaps.previous))
  }
}
