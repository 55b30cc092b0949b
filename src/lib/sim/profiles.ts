import type {HostRole, Topology} from '../model/types.js'

/** Shape of one AZ to generate. */
export interface AzPlan {
  name: string
  hosts: number
  /** Total instances to place in this AZ. */
  instances: number
  /** One host gets exactly this many instances (the reference's "500+ instances per host"). */
  denseHost?: number
  spines: number
  hostsPerLeafPair: number
  /** Host roles by weight. */
  roles: readonly (readonly [HostRole, number])[]
  /** Share of hypervisors still on security-group (qbr) plugging. */
  legacyPlugging: number
  networks: readonly NetworkPlan[]
}

export interface NetworkPlan {
  name: string
  tenant: string
  prefix: number
  labels: readonly string[]
  /** Relative share of this AZ's instances. */
  weight: number
}

export interface TenantPlan {
  name: string
  vrf: string
  l3Vni: number
}

export interface Profile {
  name: 'small' | 'seed' | 'x5'
  tenants: readonly TenantPlan[]
  azs: readonly AzPlan[]
}

const TENANTS: readonly TenantPlan[] = [
  {name: 'corp', vrf: 'vrf-corp', l3Vni: 50001},
  {name: 'sub-a', vrf: 'vrf-sub-a', l3Vni: 50002},
  {name: 'sub-b', vrf: 'vrf-sub-b', l3Vni: 50003},
]

/** For tests and demos: one AZ, four leaves, ten hosts, every kind of host present. */
const SMALL: Profile = {
  name: 'small',
  tenants: TENANTS.slice(0, 2),
  azs: [
    {
      name: 'az1',
      hosts: 10,
      instances: 40,
      spines: 2,
      hostsPerLeafPair: 5,
      roles: [
        ['container', 4],
        ['hypervisor', 4],
        ['baremetal', 1],
      ],
      legacyPlugging: 0.25,
      networks: [
        {name: 'prod-a', tenant: 'corp', prefix: 24, labels: ['prod-env'], weight: 4},
        {name: 'prod-b', tenant: 'corp', prefix: 24, labels: ['prod-env'], weight: 3},
        {name: 'test-a', tenant: 'corp', prefix: 25, labels: ['test-env'], weight: 2},
        {name: 'suba-prod', tenant: 'sub-a', prefix: 26, labels: ['sub-a-prod'], weight: 1},
      ],
    },
  ],
}

function seedNetworks(az: string, scale: number): NetworkPlan[] {
  const nets: NetworkPlan[] = []
  const add = (kind: string, count: number, tenant: string, prefix: number, labels: string[], weight: number) => {
    for (let i = 1; i <= count; i++)
      nets.push({name: `${az}-${kind}-${String(i).padStart(2, '0')}`, tenant, prefix, labels, weight})
  }
  add('prod', Math.max(2, Math.round(8 * scale)), 'corp', 21, ['prod-env'], 6)
  add('test', Math.max(2, Math.round(4 * scale)), 'corp', 21, ['test-env'], 3)
  add('dev', 2, 'corp', 22, ['dev-env'], 1)
  add('suba', 2, 'sub-a', 22, ['sub-a-prod'], 1.5)
  add('subb', 1, 'sub-b', 22, ['sub-b-prod'], 1)
  return nets
}

const SEED_ROLES: readonly (readonly [HostRole, number])[] = [
  ['container', 58],
  ['hypervisor', 36],
  ['baremetal', 6],
]

/** The reference's deployment: 4 AZs, 500+ hosts and 20K+ instances in the largest, a host with 500+ instances. */
const SEED: Profile = {
  name: 'seed',
  tenants: TENANTS,
  azs: [
    {
      name: 'az1',
      hosts: 520,
      instances: 20_600,
      denseHost: 520,
      spines: 4,
      hostsPerLeafPair: 40,
      roles: SEED_ROLES,
      legacyPlugging: 0.2,
      networks: seedNetworks('az1', 1.6),
    },
    {
      name: 'az2',
      hosts: 500,
      instances: 9000,
      spines: 4,
      hostsPerLeafPair: 40,
      roles: SEED_ROLES,
      legacyPlugging: 0.15,
      networks: seedNetworks('az2', 0.8),
    },
    {
      name: 'az3',
      hosts: 500,
      instances: 8000,
      spines: 4,
      hostsPerLeafPair: 40,
      roles: SEED_ROLES,
      legacyPlugging: 0.1,
      networks: seedNetworks('az3', 0.7),
    },
    {
      name: 'az4',
      hosts: 480,
      instances: 6000,
      spines: 4,
      hostsPerLeafPair: 40,
      roles: SEED_ROLES,
      legacyPlugging: 0.3,
      networks: seedNetworks('az4', 0.6),
    },
  ],
}

/**
 * Scale check (issue 16): five times the seed per AZ — 10,000 hosts, about 218,000 ports and about 500 leaves —
 * with the same leaf-pair size, so there are five times as many leaves, and five times as many networks.
 */
const X5: Profile = {
  name: 'x5',
  tenants: TENANTS,
  azs: [
    {
      name: 'az1',
      hosts: 2600,
      instances: 103_000,
      denseHost: 520,
      spines: 4,
      hostsPerLeafPair: 40,
      roles: SEED_ROLES,
      legacyPlugging: 0.2,
      networks: seedNetworks('az1', 8),
    },
    {
      name: 'az2',
      hosts: 2500,
      instances: 45_000,
      spines: 4,
      hostsPerLeafPair: 40,
      roles: SEED_ROLES,
      legacyPlugging: 0.15,
      networks: seedNetworks('az2', 4),
    },
    {
      name: 'az3',
      hosts: 2500,
      instances: 40_000,
      spines: 4,
      hostsPerLeafPair: 40,
      roles: SEED_ROLES,
      legacyPlugging: 0.1,
      networks: seedNetworks('az3', 3.5),
    },
    {
      name: 'az4',
      hosts: 2400,
      instances: 30_000,
      spines: 4,
      hostsPerLeafPair: 40,
      roles: SEED_ROLES,
      legacyPlugging: 0.3,
      networks: seedNetworks('az4', 3),
    },
  ],
}

export const PROFILES = {small: SMALL, seed: SEED, x5: X5} as const
export type ProfileName = keyof typeof PROFILES
export const TOPOLOGIES: readonly Topology[] = ['spine-leaf', 'hierarchical']
