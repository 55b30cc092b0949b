import type {LiveContext} from '../context/schema.js'
import {DEFAULT_VRF, type Tenant} from '../model/types.js'

/** The default VRF: where a live network's gateway sits when no `overlay.tenants` tag claims it (native profile). */
export const DEFAULT_VRF_TENANT: Tenant = {name: DEFAULT_VRF, vrf: DEFAULT_VRF, l3Vni: 0}

/** The live fabric's tenants: the default VRF, and each tenant VRF the context's `overlay.tenants` declares. */
export function liveTenants(ctx: LiveContext): Tenant[] {
  return [DEFAULT_VRF_TENANT, ...(ctx.overlay.tenants ?? []).map(t => ({name: t.vrf, vrf: t.vrf, l3Vni: t.l3Vni}))]
}

/** A Neutron network's tenant: the first declared tenant whose tag it carries, else the default VRF. */
export function liveTenantOf(ctx: LiveContext, tags: readonly string[] | undefined): string {
  return (ctx.overlay.tenants ?? []).find(t => (tags ?? []).includes(t.tag))?.vrf ?? DEFAULT_VRF_TENANT.name
}
