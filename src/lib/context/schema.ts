import {z} from 'zod'

/** The context file (docs/contexts.md). Strict objects: an unknown key is an error, not silently ignored. */
const name = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, "_", "." and "-" only')
/** An endpoint URL; credentials in it are refused (they would be printed with the URL, and logged by proxies). */
const url = z.url().refine(u => !/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(u), {
  message:
    'credentials in a URL are not allowed: put the user in neutron.auth.username and the password in an environment variable named by neutron.auth.passwordEnv (see docs/contexts.md)',
})

const noauth = z.strictObject({type: z.literal('noauth'), projectId: z.string().default('fake_project_id')})
const password = z.strictObject({
  type: z.literal('password'),
  authUrl: url,
  username: z.string(),
  password: z.string().optional(),
  passwordEnv: z.string().optional(),
  projectName: z.string(),
  userDomain: z.string().default('Default'),
  projectDomain: z.string().default('Default'),
})
const token = z.strictObject({
  type: z.literal('token'),
  authUrl: url,
  token: z.string().optional(),
  tokenEnv: z.string().optional(),
  projectName: z.string(),
  projectDomain: z.string().default('Default'),
})

export const neutronSchema = z.strictObject({
  url,
  auth: z.discriminatedUnion('type', [noauth, password, token]).default({type: 'noauth', projectId: 'fake_project_id'}),
  timeoutMs: z.number().int().positive().default(30_000),
})

export const sshSchema = z.strictObject({
  user: z.string().default('root'),
  identityFile: z.string().optional(),
  knownHostsFile: z.string().optional(),
  strictHostKeyChecking: z.boolean().default(true),
  connectTimeoutMs: z.number().int().positive().default(10_000),
  commandTimeoutMs: z.number().int().positive().default(30_000),
  jumpHost: z
    .strictObject({address: z.string(), port: z.number().int().default(22), user: z.string().optional()})
    .optional(),
})

/** A number range: `10100-10199`, a single number, or `[from, to]`. */
const range = z
  .union([
    z.number().int().min(0),
    z.string().regex(/^\d+(-\d+)?$/, 'a range like 100-199 or a number'),
    z.tuple([z.number().int().min(0), z.number().int().min(0)]),
  ])
  .transform((r): [number, number] => {
    if (typeof r === 'number') return [r, r]
    if (Array.isArray(r)) return [Math.min(r[0], r[1]), Math.max(r[0], r[1])]
    const [a, b = a] = r.split('-').map(Number) as [number, number?]
    return [Math.min(a, b!), Math.max(a, b!)]
  })
/**
 * What fabricctl manages on a leaf (issue 13). Absent: only what fabricctl itself created (marked with
 * the alias `fabricctl:`). Outside the scope nothing is changed or removed; a desired state that needs it is refused.
 */
export const manageSchema = z.strictObject({
  vnis: z.array(range).optional(),
  vlans: z.array(range).optional(),
  interfaces: z.array(z.string().min(1)).optional(),
})
/** Names of devices fabricctl creates on a leaf; `{vni}` and `{vlan}` are replaced. */
export const namingSchema = z.strictObject({
  bridge: z
    .string()
    .regex(/^[A-Za-z0-9_.{}-]+$/)
    .default('br{vni}'),
  vxlan: z
    .string()
    .regex(/^[A-Za-z0-9_.{}-]+$/)
    .default('vxlan{vni}'),
})

const nic = z.strictObject({
  name: z.string(),
  leaf: z.string(),
  interface: z.string(),
  speedMbps: z.number().int().positive().default(10_000),
})

export const inventorySchema = z.strictObject({
  azs: z
    .array(z.strictObject({name, topology: z.enum(['spine-leaf', 'hierarchical']).default('spine-leaf')}))
    .default([]),
  spines: z
    .array(
      z.strictObject({
        name,
        az: z.string(),
        address: z.string().optional(),
        port: z.number().int().default(22),
        vtep: z.string().optional(),
        asn: z.number().int().optional(),
      }),
    )
    .default([]),
  leaves: z
    .array(
      z.strictObject({
        name,
        az: z.string(),
        pair: z.string().optional(),
        address: z.string(),
        port: z.number().int().default(22),
        driver: z.string().default('frr'),
        vtep: z.string().optional(),
        asn: z.number().int().optional(),
        /** What fabricctl manages on this leaf (overrides overlay.manage). */
        manage: manageSchema.optional(),
        /** Names of new devices on this leaf (overrides overlay.naming). */
        naming: namingSchema.optional(),
      }),
    )
    .default([]),
  hosts: z
    .array(
      z.strictObject({
        name,
        az: z.string(),
        address: z.string(),
        port: z.number().int().default(22),
        role: z.enum(['hypervisor', 'container', 'baremetal']).default('container'),
        plugging: z.enum(['direct', 'qbr']).default('direct'),
        nics: z.array(nic).default([]),
      }),
    )
    .default([]),
  instances: z
    .array(
      z.strictObject({
        name: z.string(),
        host: z.string(),
        kind: z.enum(['vm', 'container', 'baremetal']).default('container'),
        portId: z.string().optional(),
        device: z.string().optional(),
        ip: z.string().optional(),
        network: z.string().optional(),
      }),
    )
    .default([]),
})

/** How the live fabric maps networks onto the overlay (the leaf capability renders from it). */
export const overlaySchema = z.strictObject({
  /** L2 VNI of a VLAN network = vniBase + VLAN ID. */
  vniBase: z.number().int().min(0).default(10_000),
  /** EVPN route target of a VNI = routeTargetAsn:VNI. */
  routeTargetAsn: z.number().int().positive().default(65_000),
  /**
   * The distributed anycast gateway's MAC, the same on every leaf. Absent: read from the gateways the
   * leaves carry (they must agree); a push that must create a gateway while it is unknown is refused.
   */
  anycastMac: z
    .string()
    .regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, 'a MAC address like 00:00:5e:00:01:01')
    .optional(),
  /**
   * Tenant VRFs for full-profile leaves (VRF + VLAN-aware bridge + symmetric IRB): a network whose
   * Neutron tags include `tag` belongs to `vrf` (kernel table `table`, L3 VNI `l3Vni` on bridge VLAN
   * `l3Vlan`). Absent: every gateway sits in the default VRF (native profile).
   */
  /** What fabricctl manages on every leaf that declares no `manage` of its own. */
  manage: manageSchema.optional(),
  /** Names of new devices on every leaf that declares no `naming` of its own (default br{vni} / vxlan{vni}). */
  naming: namingSchema.optional(),
  tenants: z
    .array(
      z.strictObject({
        tag: z.string().min(1),
        vrf: name,
        table: z.number().int().positive(),
        l3Vni: z.number().int().positive(),
        l3Vlan: z.number().int().min(1).max(4094),
      }),
    )
    .optional(),
})

/** Leaf table capacity (docs/capacity.md): the limits file, and whether port operations check it by default. */
export const capacitySchema = z.strictObject({
  /** Limits file (YAML/JSON); a relative path is taken from the context file's directory. */
  limits: z.string().min(1),
  /** Make `--check-capacity` the default of `port allocate` and `port migrate`. */
  check: z.boolean().default(false),
})

export const contextSchema = z.discriminatedUnion('backend', [
  z.strictObject({name, backend: z.literal('sim'), capacity: capacitySchema.optional()}),
  z.strictObject({
    name,
    backend: z.literal('live'),
    neutron: neutronSchema,
    ssh: sshSchema.prefault({}),
    inventory: inventorySchema.prefault({}),
    overlay: overlaySchema.prefault({}),
    capacity: capacitySchema.optional(),
  }),
])

export const configSchema = z.strictObject({
  apiVersion: z.literal('fabricctl/v1').default('fabricctl/v1'),
  kind: z.literal('Config').default('Config'),
  'current-context': z.string().optional(),
  contexts: z.array(contextSchema).default([]),
})

export type ContextConfig = z.infer<typeof contextSchema>
export type LiveContext = Extract<ContextConfig, {backend: 'live'}>
export type Inventory = z.infer<typeof inventorySchema>
export type FileConfig = z.infer<typeof configSchema>
