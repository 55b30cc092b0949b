#!/usr/bin/env node
// Writes schemas/<Kind>.schema.json from the zod output schemas (run after build:ts).
import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const {OUTPUT_SCHEMAS, jsonSchemaFor} = await import(path.join(root, 'dist/lib/schemas/index.js'))
const dir = path.join(root, 'schemas')
fs.mkdirSync(dir, {recursive: true})
const wanted = new Set(Object.keys(OUTPUT_SCHEMAS).map(k => `${k}.schema.json`))
for (const f of fs.readdirSync(dir)) if (f.endsWith('.schema.json') && !wanted.has(f)) fs.rmSync(path.join(dir, f))
for (const kind of Object.keys(OUTPUT_SCHEMAS)) {
  fs.writeFileSync(path.join(dir, `${kind}.schema.json`), `${JSON.stringify(jsonSchemaFor(kind), null, 2)}\n`)
}
console.log(`wrote ${wanted.size} schemas to ${path.relative(process.cwd(), dir) || dir}`)
