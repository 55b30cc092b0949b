import fs from 'node:fs'
import {readYamlFile} from '../cli/safe-yaml.js'
import {z} from 'zod'

import {FabricError} from '../cli/errors.js'
import {EXIT} from '../cli/exit-codes.js'
import {shippedDataFile} from '../cli/paths.js'
import {parseVersion, satisfies, validRange} from './version.js'

/** The shipped catalogue: data/ovs-known-bugs.yaml at the package root (found from dist/, src/ or bundle/). */
export const SHIPPED_CATALOGUE = shippedDataFile('ovs-known-bugs.yaml', import.meta.url)

const range = z.string().refine(validRange, {message: 'not a version range (use comparators like ">=2.5.0 <2.5.6")'})

export const knownBugSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lowercase letters, digits, ".", "_" and "-" only'),
  title: z.string().min(1),
  severity: z.enum(['info', 'warning', 'error']),
  affected: z.array(range).min(1),
  fixedIn: z.array(z.string()).default([]),
  description: z.string().default(''),
  note: z.string().optional(),
  references: z.array(z.url()).min(1),
  remediation: z.string().min(1),
})

export const catalogueSchema = z.strictObject({
  apiVersion: z.literal('fabricctl/v1').default('fabricctl/v1'),
  kind: z.literal('OvsKnownBugs'),
  bugs: z.array(knownBugSchema),
})

export type KnownBug = z.infer<typeof knownBugSchema>
export interface Catalogue {
  files: string[]
  bugs: KnownBug[]
}

function invalid(file: string, message: string, value: unknown): FabricError {
  return new FabricError({
    code: 'CATALOGUE_INVALID',
    message: `The known-bug catalogue ${file} is invalid: ${message}`,
    value,
    hint: `Fix that entry (format: ${SHIPPED_CATALOGUE}, described in docs/audit.md).`,
    exitCode: EXIT.USAGE,
  })
}

export function readCatalogueFile(file: string): KnownBug[] {
  if (!fs.existsSync(file)) {
    throw new FabricError({
      code: 'CATALOGUE_NOT_FOUND',
      message: `No catalogue file at ${file}.`,
      value: file,
      hint: 'Give the path of a YAML file in the format of data/ovs-known-bugs.yaml.',
      exitCode: EXIT.USAGE,
    })
  }
  const raw = readYamlFile(file, 'known-bug catalogue', message => invalid(file, message, file)) // limits; a directory is refused
  const parsed = catalogueSchema.safeParse(raw ?? {})
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw invalid(file, `at "${issue.path.join('.') || '(top level)'}": ${issue.message}.`, issue.path.join('.'))
  }
  const ids = new Set<string>()
  for (const b of parsed.data.bugs) {
    if (ids.has(b.id)) throw invalid(file, `bug id "${b.id}" appears twice.`, b.id)
    ids.add(b.id)
  }
  return parsed.data.bugs
}

/** The shipped catalogue, extended (new ids) or overridden (same id) by the user's files, in order. */
export function loadCatalogue(extra: string[] = []): Catalogue {
  const byId = new Map<string, KnownBug>()
  for (const file of [SHIPPED_CATALOGUE, ...extra]) for (const b of readCatalogueFile(file)) byId.set(b.id, b)
  return {files: [SHIPPED_CATALOGUE, ...extra], bugs: [...byId.values()]}
}

/** The catalogue's bugs that affect an OVS version (raw, with any distribution suffix). */
export function bugsAffecting(catalogue: Catalogue, rawVersion: string): {bug: KnownBug; range: string}[] {
  const v = parseVersion(rawVersion)
  if (!v) return []
  const out: {bug: KnownBug; range: string}[] = []
  for (const bug of catalogue.bugs) {
    const hit = bug.affected.find(r => satisfies(v.upstream, r))
    if (hit) out.push({bug, range: hit})
  }
  return out
}
