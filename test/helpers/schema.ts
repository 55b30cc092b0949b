import fs from 'node:fs'
import path from 'node:path'
import {Ajv2020} from 'ajv/dist/2020.js'

import {ROOT} from './cli.js'

const ajv = new Ajv2020({allErrors: true, strict: false})
const cache = new Map<string, ReturnType<typeof ajv.compile>>()

/** Validate a JSON document against schemas/<kind>.schema.json; every output kind must have one. */
export function assertMatchesSchema(doc: {kind?: string}): void {
  if (!doc || typeof doc.kind !== 'string')
    throw new Error(`document has no kind: ${JSON.stringify(doc).slice(0, 200)}`)
  let validate = cache.get(doc.kind)
  if (!validate) {
    const file = path.join(ROOT, 'schemas', `${doc.kind}.schema.json`)
    if (!fs.existsSync(file)) throw new Error(`no JSON Schema for kind ${doc.kind}: expected ${file}`)
    validate = ajv.compile(JSON.parse(fs.readFileSync(file, 'utf8')))
    cache.set(doc.kind, validate)
  }
  if (!validate(doc)) throw new Error(`${doc.kind} does not match its schema: ${ajv.errorsText(validate.errors)}`)
}
