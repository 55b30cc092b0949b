#!/usr/bin/env node
// Rewrites oclif.manifest.json with its commands in sorted key order (oclif writes them in the
// order its loader finished, which varies from run to run), so that `npm run build` leaves git clean.
// Usage: node scripts/sort-manifest.mjs [FILE]   (default: oclif.manifest.json in the repo root)
import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

/** The manifest as text, with `commands` sorted by id (everything else as oclif wrote it). */
export function normalizeManifest(manifest) {
  const commands = {}
  for (const id of Object.keys(manifest.commands ?? {}).sort()) commands[id] = manifest.commands[id]
  return JSON.stringify({...manifest, commands}, null, 2)
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'oclif.manifest.json')
  const text = fs.readFileSync(file, 'utf8')
  const sorted = normalizeManifest(JSON.parse(text))
  if (sorted !== text) fs.writeFileSync(file, sorted)
}
