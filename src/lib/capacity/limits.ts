import {z} from 'zod'

import type {LeafPlatform} from '../leaf/driver.js'

/**
 * Leaf hardware table limits, per switch ASIC class (and forwarding profile), and which leaf is
 * which class. A leaf's ASIC is not something FRR on Linux reports, so a limits file the operator
 * writes maps either the leaf's hardware model (read from the leaf: ONIE machine.conf, DMI) or the
 * leaf's name to a class; the classes below ship with their published figures.
 */
export const TABLES = ['macs', 'neighbors', 'hostRoutes', 'vnis', 'vrfs'] as const
export type Table = (typeof TABLES)[number]

const limit = z.number().int().positive().nullable()

export const limitClassSchema = z.object({
  description: z.string(),
  /** MAC table entries (L2). */
  macs: limit,
  /**
   * The L3 host table: IPv4 neighbours and /32 host routes share it on these ASICs (an IPv6 entry
   * takes two). fabricctl compares neighbors + hostRoutes with it.
   */
  hostTable: limit,
  vnis: limit,
  vrfs: limit,
  source: z.string(),
})
export type LimitClass = z.infer<typeof limitClassSchema>

export const limitsFileSchema = z.object({
  schemaVersion: z.literal(1),
  /** Extra or overriding classes, by name. */
  classes: z.record(z.string(), limitClassSchema).default({}),
  /**
   * Hardware model as the leaf reports it (ONIE `onie_platform`/`onie_machine`, or DMI's product name),
   * or a glob with `*`, to class name. The first match in file order wins.
   */
  models: z.record(z.string(), z.string()).default({}),
  /** Leaf name, or a glob with `*`, to class name: overrides `models` for those leaves. The first match wins. */
  leaves: z.record(z.string(), z.string()).default({}),
})
export type LimitsFile = z.infer<typeof limitsFileSchema>

const CUMULUS_43 =
  'Cumulus Linux 4.3 user guide, "Supported Route Table Entries" (validated unidimensional scale; ' +
  'https://docs.nvidia.com/networking-ethernet-software/cumulus-linux-43/Layer-3/Routing/Supported-Route-Table-Entries/)'
const CUMULUS_VRF =
  'Cumulus Linux user guide, "Virtual Routing and Forwarding - VRF": "supports up to 255 VRFs on a switch"'
const NO_VNI_FIGURE = 'no published per-ASIC VNI figure: set vnis in a limits file'
const k = (n: number) => n * 1024

/** The classes fabricctl ships. Neighbour figures are IPv4 entries. */
export const BUILTIN_CLASSES: Record<string, LimitClass> = {
  'spectrum-default': {
    description: 'NVIDIA/Mellanox Spectrum, default forwarding profile',
    macs: k(40),
    hostTable: k(32),
    vnis: null,
    vrfs: 255,
    source: `${CUMULUS_43}; ${CUMULUS_VRF}; ${NO_VNI_FIGURE}`,
  },
  'spectrum-l2-heavy': {
    description: 'NVIDIA/Mellanox Spectrum, l2-heavy forwarding profile',
    macs: k(88),
    hostTable: k(48),
    vnis: null,
    vrfs: 255,
    source: `${CUMULUS_43}; ${CUMULUS_VRF}; ${NO_VNI_FIGURE}`,
  },
  'tomahawk-default': {
    description: 'Broadcom Tomahawk/Tomahawk+, default forwarding profile',
    macs: k(40),
    hostTable: k(40),
    vnis: null,
    vrfs: 255,
    source: `${CUMULUS_43}; ${CUMULUS_VRF}; ${NO_VNI_FIGURE}`,
  },
  'tomahawk-l2-heavy': {
    description: 'Broadcom Tomahawk/Tomahawk+, l2-heavy forwarding profile',
    macs: k(72),
    hostTable: k(72),
    vnis: null,
    vrfs: 255,
    source: `${CUMULUS_43}; ${CUMULUS_VRF}; ${NO_VNI_FIGURE}`,
  },
  'trident3-default': {
    description: 'Broadcom Trident II/II+/Trident3, default forwarding profile',
    macs: k(32),
    hostTable: k(16),
    vnis: null,
    vrfs: 255,
    source: `${CUMULUS_43}; ${CUMULUS_VRF}; ${NO_VNI_FIGURE}`,
  },
  'trident3-l2-heavy': {
    description: 'Broadcom Trident II/II+/Trident3, l2-heavy forwarding profile',
    macs: k(160),
    hostTable: k(96),
    vnis: null,
    vrfs: 255,
    source: `${CUMULUS_43}; ${CUMULUS_VRF}; ${NO_VNI_FIGURE}`,
  },
  helix4: {
    description: 'Broadcom Helix4 (no forwarding profiles)',
    macs: k(24),
    hostTable: k(12),
    vnis: null,
    vrfs: 255,
    source: `${CUMULUS_43}; ${CUMULUS_VRF}; ${NO_VNI_FIGURE}`,
  },
}

export type LeafLimits = {className: string; limits: LimitClass} | {className: null; limits: null; reason: string}

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map(escapeRe).join('.*')}$`)
  return re.test(name)
}
const escapeRe = (s: string) => s.replaceAll(/[.+?^${}()|[\]\\]/g, '\\$&')

/**
 * Which limits apply to a leaf: the first `leaves` entry matching its name, else the first `models`
 * entry matching its model (read from the leaf), else unknown with the reason.
 */
export function limitsFor(
  leaf: string,
  model: LeafPlatform,
  file: LimitsFile | null,
  fileName: string | null,
): LeafLimits {
  if (!file)
    return {className: null, limits: null, reason: 'no limits file given (--limits FILE maps leaf models to a class)'}
  const byName = Object.entries(file.leaves).find(([pattern]) => globMatch(pattern, leaf))
  const {model: reported} = model
  const byModel = reported === null ? undefined : Object.entries(file.models).find(([p]) => globMatch(p, reported))
  const entry = byName ?? byModel
  const name = fileName ?? 'the limits file'
  if (!entry) {
    if (reported !== null)
      return {
        className: null,
        limits: null,
        reason: `${name} maps no class to this leaf's model "${reported}" (${model.source})`,
      }
    return {
      className: null,
      limits: null,
      reason: `${name} maps no class to this leaf by name, and its model is unknown: ${model.reason}`,
    }
  }
  const cls = file.classes[entry[1]] ?? BUILTIN_CLASSES[entry[1]]
  if (!cls) return {className: null, limits: null, reason: `class "${entry[1]}" is neither built in nor in the file`}
  return {className: entry[1], limits: cls}
}

/** The limit for one table, or null when the class has no figure. neighbors and hostRoutes share the host table. */
export function limitOf(cls: LimitClass, table: Table): number | null {
  if (table === 'neighbors' || table === 'hostRoutes') return cls.hostTable
  return cls[table]
}
