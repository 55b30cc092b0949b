/**
 * The steps `port diagnose` walks (DESIGN.md §1, spawn flow steps 1–8, in order) and the stable
 * cause codes it can give. Lightweight on purpose: the JSON Schema and `--help` read it.
 */

export const STEPS = [
  {id: 'port-exists', flow: 2, title: 'port exists (Neutron / store)'},
  {id: 'port-bound', flow: 6, title: 'port bound to a host (host_id)'},
  {id: 'host-known', flow: 1, title: 'host known (inventory), reachable'},
  {id: 'agent-alive', flow: 5, title: 'OVS agent alive (heartbeat)'},
  {id: 'ovs-running', flow: 4, title: 'ovs-vswitchd running'},
  {id: 'device-attached', flow: 4, title: 'device on br-int with the expected local VLAN'},
  {id: 'underlay-state', flow: 5, title: 'recorded underlay state'},
  {id: 'controller-port', flow: 3, title: 'controller has the port (host, IP, MAC)'},
  {id: 'host-leaf-map', flow: 8, title: 'host→leaf mapping present and matching the cabling'},
  {id: 'host-uplinks', flow: 8, title: 'host uplink NICs up'},
  {id: 'leaves-reachable', flow: 8, title: "host's leaves reachable"},
  {id: 'leaf-config', flow: 8, title: 'leaves carry the VLAN on the host interface, the VNI, gateway and VRF'},
  {id: 'overlay-state', flow: 8, title: 'recorded overlay state'},
  {id: 'leftover-config', flow: 8, title: "no leftover config of the port's network on other hosts' leaf interfaces"},
  {id: 'duplicate-ip', flow: 2, title: 'no other port with the same IP in the VRF'},
  {id: 'network-capacity', flow: 2, title: 'network has free addresses (allocation only)'},
] as const

export type StepId = (typeof STEPS)[number]['id']
export const STEP_IDS = STEPS.map(s => s.id) as StepId[]

/**
 * class: `fault` — the evidence shows something wrong (exit 1); `unreadable` — the evidence could
 * not be read (exit 3); `warning` — reported, but the port still passes traffic (the verdict can
 * stay ACTIVE_ACTIVE).
 */
export type CauseClass = 'fault' | 'unreadable' | 'warning'

export const CAUSES = {
  'port-not-found': {
    step: 'port-exists',
    class: 'fault',
    text: 'the port is gone from Neutron/the store, but traces of it remain (controller, OVS, inventory)',
  },
  'port-unbound': {step: 'port-bound', class: 'fault', text: 'the port has no host_id: nothing is wired for it'},
  'binding-failed': {
    step: 'port-bound',
    class: 'fault',
    text: 'Neutron could not bind the port on its host (binding:vif_type binding_failed or unbound): no mechanism driver took it, nothing wires it',
  },
  'host-unknown': {step: 'host-known', class: 'fault', text: 'the port is bound to a host the inventory does not know'},
  'host-unreachable': {step: 'host-known', class: 'unreadable', text: 'the host could not be read over SSH'},
  'agent-down': {
    step: 'agent-alive',
    class: 'fault',
    text: "the host's OVS agent heartbeat is stale (its recorded states cannot be trusted)",
  },
  'ovs-down': {step: 'ovs-running', class: 'fault', text: 'ovs-vswitchd is not running on the host'},
  'device-missing': {step: 'device-attached', class: 'fault', text: "the port's device is not on the host's br-int"},
  'device-vlan-wrong': {
    step: 'device-attached',
    class: 'fault',
    text: "the device's local VLAN tag is not the one of its network on this host (or is the dead VLAN 4095)",
  },
  'underlay-error': {step: 'underlay-state', class: 'fault', text: 'the OVS agent recorded the underlay as ERROR'},
  'underlay-pending': {
    step: 'underlay-state',
    class: 'fault',
    text: 'the underlay is still BUILD: the agent has not reported the device wired',
  },
  'underlay-down': {
    step: 'underlay-state',
    class: 'fault',
    text: 'the port is bound but its underlay is recorded DOWN',
  },
  'controller-missing-port': {
    step: 'controller-port',
    class: 'fault',
    text: 'the controller has no record of the port',
  },
  'controller-port-mismatch': {
    step: 'controller-port',
    class: 'fault',
    text: "the controller's record of the port has another host, IP or MAC",
  },
  'host-map-missing': {
    step: 'host-leaf-map',
    class: 'fault',
    text: 'the controller has no leaf interfaces for the host',
  },
  'stale-host-map': {
    step: 'host-leaf-map',
    class: 'fault',
    text: "the controller's host→leaf mapping disagrees with the cabling",
  },
  'nic-down': {
    step: 'host-uplinks',
    class: 'fault',
    text: "the host's uplink NICs are down (one down: warning, redundancy lost)",
  },
  'leaf-unreachable': {
    step: 'leaves-reachable',
    class: 'unreadable',
    text: 'a leaf of the host does not answer: its config could not be read',
  },
  'config-drift': {
    step: 'leaf-config',
    class: 'fault',
    text: 'a leaf lost config the port needs (VLAN on the host interface, VNI, gateway or VRF) after it was pushed',
  },
  'push-failed': {
    step: 'leaf-config',
    class: 'fault',
    text: "the controller's push for this port failed (overlay ERROR)",
  },
  'overlay-pending': {
    step: 'overlay-state',
    class: 'fault',
    text: 'the overlay is still BUILD: the controller has not pushed the leaf config',
  },
  'overlay-down': {step: 'overlay-state', class: 'fault', text: 'the port is bound but its overlay is recorded DOWN'},
  'leftover-config': {
    step: 'leftover-config',
    class: 'warning',
    text: "a leaf interface still carries the network's VLAN for a host with no port of that network",
  },
  'duplicate-ip': {step: 'duplicate-ip', class: 'fault', text: 'another port has the same IP in the same VRF'},
  'network-exhausted': {
    step: 'network-capacity',
    class: 'warning',
    text: 'the network has no free address: new ports on it fail (existing ports are not affected)',
  },
} as const satisfies Record<string, {step: StepId; class: CauseClass; text: string}>

export type CauseCode = keyof typeof CAUSES
export const CAUSE_CODES = Object.keys(CAUSES) as CauseCode[]

/** Each simulated fault kind and the cause code `diagnose` gives it, null for the migrate-only faults (tests hold the codes to be one-to-one). */
export const FAULT_CAUSE = {
  'agent-down': 'agent-down',
  'ovs-down': 'ovs-down',
  'nic-down': 'nic-down',
  'device-missing': 'device-missing',
  'controller-missing-port': 'controller-missing-port',
  'stale-host-map': 'stale-host-map',
  'leaf-unreachable': 'leaf-unreachable',
  'push-fail': 'push-failed',
  'config-drift': 'config-drift',
  'network-exhausted': 'network-exhausted',
  // Faults that change only what a later `port migrate` meets (drift fencing): nothing for diagnose to find before it.
  'old-host-unreachable': null,
  'stale-device': null,
  'stale-foreign-device': null,
} as const satisfies Record<string, CauseCode | null>

/** Neutron's default agent_down_time: an agent that has not reported for longer is dead. */
export const AGENT_STALE_AFTER_MS = 75_000

export function causesHelp(): string {
  const w = Math.max(...CAUSE_CODES.map(c => c.length))
  return CAUSE_CODES.map(
    c =>
      `  ${c.padEnd(w)}  ${CAUSES[c].step.padEnd(16)} ${CAUSES[c].class === 'fault' ? '' : `(${CAUSES[c].class}) `}${CAUSES[c].text}`,
  ).join('\n')
}

export function stepsHelp(): string {
  return STEPS.map((s, i) => `  ${String(i + 1).padStart(2)}. ${s.id.padEnd(17)} ${s.title}`).join('\n')
}
