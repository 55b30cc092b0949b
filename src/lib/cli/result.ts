import type {z} from 'zod'

import type {auditSchemas} from '../schemas/audit.js'
import type {capacitySchemas} from '../schemas/capacity.js'
import type {diagnoseSchemas} from '../schemas/diagnose.js'
import type {foundationSchemas} from '../schemas/foundation.js'
import type {leafSchemas} from '../schemas/leaf.js'
import type {portSchemas} from '../schemas/ports.js'
import type {traceSchemas} from '../schemas/trace.js'

/** Every registered output schema, by kind (types only: no zod at start-up). */
type Schemas = typeof foundationSchemas &
  typeof portSchemas &
  typeof auditSchemas &
  typeof traceSchemas &
  typeof diagnoseSchemas &
  typeof leafSchemas &
  typeof capacitySchemas

/** A JSON output kind registered in src/lib/schemas/. */
export type Kind = keyof Schemas & string

/** The JSON document of a kind: `z.infer` of its registered schema (one declaration). */
export type DocOf<K extends Kind> = z.infer<Schemas[K]>

/** Keys the base class adds after `kind` and `schemaVersion`, when the kind carries them. */
export type EnvelopeKey = 'context' | 'backend'

/**
 * What a command's `run()` returns: the document without its envelope. Distributes over a union of
 * kinds (a command with two, e.g. `port diagnose` PORT / --all): the union of each kind's body.
 */
export type ResultOf<K extends Kind> = K extends Kind ? Omit<DocOf<K>, 'kind' | 'schemaVersion' | EnvelopeKey> : never
