import type {LeafConfig} from '../model/types.js'
import type {RunningState} from './driver.js'

/**
 * The desired state less what the leaf already carries, exactly as desired, in configuration fabricctl
 * does not manage (a hand-built leaf that Neutron's ports need as it is). fabricctl must not touch that
 * configuration; when it already is what the ports need, nothing needs touching either, so it is neither
 * a change nor a refusal. Anything that differs stays in the desired state, and the driver refuses it
 * as unmanaged (LEAF_UNMANAGED). Without `observed` (the driver's config is the whole leaf), a no-op.
 */
export function withoutCarried(
  running: Pick<RunningState, 'config' | 'observed'>,
  desired: LeafConfig,
): {desired: LeafConfig; carried: string[]} {
  const seen = running.observed
  if (!seen) return {desired, carried: []}
  const out: LeafConfig = structuredClone(desired)
  const carried: string[] = []
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)
  for (const [key, want] of Object.entries(desired.vnis))
    if (!running.config.vnis[key] && seen.vnis[key] && same(seen.vnis[key], want)) {
      delete out.vnis[key]
      carried.push(`VNI ${want.vni} (VLAN ${want.vlan}, ${want.network})`)
    }
  for (const [name, want] of Object.entries(desired.vrfs))
    if (!running.config.vrfs[name] && seen.vrfs[name] && same(seen.vrfs[name], want)) {
      delete out.vrfs[name]
      carried.push(`VRF ${name}`)
    }
  for (const [iface, want] of Object.entries(desired.interfaces)) {
    const have = seen.interfaces[iface]
    const sorted = (v: number[]) => [...v].sort((a, b) => a - b)
    if (!running.config.interfaces[iface] && have && same(sorted(have.vlans), sorted(want.vlans))) {
      delete out.interfaces[iface]
      carried.push(`${iface} VLAN ${want.vlans.join(',') || 'none'}`)
    }
  }
  return {desired: out, carried}
}

/** The information line `leaf diff`/`push` print for what hand-made configuration already carries. */
export function carriedNote(carried: string[]): string[] {
  return carried.length
    ? [`already carried by unmanaged configuration, as desired (not touched): ${carried.join('; ')}`]
    : []
}
