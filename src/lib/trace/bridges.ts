/** Default OVS bridge and patch-port names on a host (DESIGN.md §1). */
export const DEFAULT_BRIDGES = {
  int: 'br-int',
  bond: 'br-bond',
  patchInt: 'int-br-bond',
  patchPhy: 'phy-br-bond',
} as const
