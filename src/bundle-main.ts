// Entry of the bundled build (scripts/bundle.mjs → bundle/main.js); bin/run.js imports it when bundle/ exists.
// The bundle directory is its own oclif root (bundle/package.json + bundle/oclif.manifest.json, written by
// scripts/bundle.mjs from the root ones), so oclif still finds every command through the manifest.
import fs from 'node:fs'

import {hoistGlobalFlags} from './lib/cli/argv.js'

export async function run(argv: string[] = process.argv.slice(2)): Promise<void> {
  const args = hoistGlobalFlags(argv)
  // `--version` alone prints oclif's user agent line without loading oclif (the same bytes: test/bundle.test.ts).
  if (args.length === 1 && args[0] === '--version') {
    const {name, version} = JSON.parse(fs.readFileSync(new URL('package.json', import.meta.url), 'utf8')) as {name: string; version: string}
    process.stdout.write(`${name}/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
    return
  }
  const core = await import('@oclif/core')
  // Bundled, a dynamic import of CommonJS @oclif/core yields its exports under `default`.
  const execute = core.execute ?? (core as unknown as {default: typeof core}).default.execute
  await execute({dir: import.meta.url, args})
}
