import {z} from 'zod'

import {auditSchemas} from './audit.js'
import {capacitySchemas} from './capacity.js'
import {diagnoseSchemas} from './diagnose.js'
import {foundationSchemas} from './foundation.js'
import {leafSchemas} from './leaf.js'
import {portSchemas} from './ports.js'
import {traceSchemas} from './trace.js'

/**
 * Every JSON output kind and its schema. Capability modules add theirs here; `npm run schemas`
 * writes schemas/<Kind>.schema.json and a test fails when a committed file is stale.
 */
export const OUTPUT_SCHEMAS: Record<string, z.ZodType> = {
  ...foundationSchemas,
  ...portSchemas,
  ...auditSchemas,
  ...traceSchemas,
  ...diagnoseSchemas,
  ...leafSchemas,
  ...capacitySchemas,
}

export function jsonSchemaFor(kind: string): Record<string, unknown> {
  const schema = OUTPUT_SCHEMAS[kind]
  if (!schema) throw new Error(`no output schema for kind ${kind}`)
  return {
    $id: `https://fabricctl.dev/schemas/${kind}.schema.json`,
    title: kind,
    ...z.toJSONSchema(schema, {target: 'draft-2020-12', io: 'output', unrepresentable: 'any'}),
  }
}
