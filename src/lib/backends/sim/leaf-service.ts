import {notFound, usageError} from '../../cli/errors.js'
import type {FabricStore} from '../../store/fabric-store.js'
import {type LeafConfig} from '../../model/types.js'
import {rollbackSteps, runSync, verifySteps} from '../../leaf/engine.js'
import {bridgeName, desiredKernel, planKernel} from '../../leaf/frr/native.js'
import {pushSimLeaf, simDesiredLeafConfig} from './leaf-reconcile.js'
import type {LeafService} from '../../seam/leaf-drivers.js'
import {diffWith, noTarget, pickTargets} from '../../leaf/service-shared.js'
import {SimLeafDriver, SimSnapshotStore} from './leaf-driver.js'
import {portNames} from '../../store/names.js'

/** The leaf capability on the simulated fabric: desired state from the cabling (the truth). */
export function simLeafService(store: FabricStore): LeafService {
  const cache = {
    networks: new Map(store.networks().map(n => [n.name, n])),
    tenants: new Map(store.tenants().map(t => [t.name, t])),
  }
  const desired = (leaf: string): LeafConfig => simDesiredLeafConfig(store, leaf, 'cabling', cache)
  const snaps = new SimSnapshotStore(store)
  return {
    leaves: async () => store.switches({role: 'leaf'}),
    async targets(sel) {
      const picked = pickTargets(store.switches({role: 'leaf'}), sel)
      if (picked) return picked
      if (!sel.port) noTarget()
      const ports = store.findPorts(sel.port)
      if (ports.length === 0)
        throw notFound(
          'port',
          sel.port,
          'Give a port name, id or IP; list ports with `fabricctl port list`.',
          portNames(store),
        )
      if (ports.length > 1)
        throw usageError(
          'PORT_AMBIGUOUS',
          `"${sel.port}" matches ${ports.length} ports.`,
          sel.port,
          'Use the port name or id instead of the IP.',
        )
      const host = ports[0]!.host
      if (!host)
        throw usageError(
          'PORT_NOT_BOUND',
          `Port ${ports[0]!.name} is bound to no host, so no leaf carries it.`,
          sel.port,
          'Bind it first (`fabricctl port bind`), or name the leaf.',
        )
      return [
        ...new Set((store.host(host)?.nics ?? []).map(n => n.switch).filter(s => store.switch(s)?.role === 'leaf')),
      ]
    },
    desired: async leaf => desired(leaf),
    diff: async leaf => {
      const d = new SimLeafDriver(store, leaf)
      return diffWith(d, desired(leaf), () => d.read())
    },
    // The desired state is computed inside the push's own IMMEDIATE transaction: a port change that
    // commits meanwhile (allocate, migrate, release in another process) is either wholly seen or
    // waits, so a push never applies a desired state that a concurrent change has made stale (issue 19).
    push: async (leaf, opts) => store.tx(() => pushSimLeaf(store, leaf, desired(leaf), opts)),
    verify: async leaf => runSync(verifySteps(new SimLeafDriver(store, leaf), desired(leaf))),
    rollback: async (leaf, to, opts) =>
      store.tx(() => runSync(rollbackSteps(new SimLeafDriver(store, leaf), snaps, to, opts))),
    // The simulated leaf has no commit-confirm (its store serialises every push): nothing is ever armed.
    confirm: async leaf => ({leaf, driver: 'sim', status: 'unsupported', reverts: []}),
    pending: async leaf => ({leaf, driver: 'sim', status: 'unsupported', reverts: []}),
    async render(leaf) {
      const want = desired(leaf)
      const sw = store.switch(leaf)
      const notes = [
        'Simulated leaf: rendered as the FRR driver renders a native-profile leaf (one bridge per VNI, untagged host ports, gateway in the default VRF).',
      ]
      const frr = [
        `router bgp ${sw?.asn ?? 'ASN'}`,
        ' address-family l2vpn evpn',
        '  advertise-all-vni',
        ...Object.values(want.vnis).flatMap(v => [
          `  vni ${v.vni}`,
          `   route-target import ${v.routeTarget}`,
          `   route-target export ${v.routeTarget}`,
          '  exit-vni',
        ]),
        ' exit-address-family',
        'exit',
      ].join('\n')
      let kernel: string[]
      try {
        kernel = planKernel(
          {
            bridges: {},
            vxlans: {},
            ports: Object.fromEntries(Object.keys(want.interfaces).map(i => [i, {master: null}])),
          },
          desiredKernel(want, sw?.vtep ?? '0.0.0.0', Object.keys(want.interfaces)),
        )
      } catch (error) {
        notes.push(`The native profile cannot carry this leaf: ${(error as Error).message}.`)
        kernel = Object.values(want.vnis).map(
          v =>
            `# ${bridgeName(v.vni)}: VNI ${v.vni} VLAN ${v.vlan} (needs a VLAN-aware bridge for multi-VLAN host ports)`,
        )
      }
      return {driver: 'sim', profile: 'native', frr: `${frr}\n`, kernel, notes}
    },
    close() {},
  }
}
