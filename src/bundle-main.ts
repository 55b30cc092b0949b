// Entry of the bundled build (scripts/bundle.mjs → bundle/main.js); bin/run.js imports it when bundle/ exists.
// The bundle directory is its own oclif root (bundle/package.json + bundle/oclif.manifest.json, written by
// scripts/bundle.mjs from the root ones), so oclif still finds every command through the manifest.
import fs from 'node:fs'

import {hoistGlobalFlags} from './lib/cli/argv.js'

export async function run(argv: string[] = process.argv.slice(2)): Promise<void> {
  const args = hoistGlobalFlags(argv)
  // `--version` alone prints oclif's user agent line without loading oclif (the same bytes: test/bundle.test.ts).
  if (args.length === 1 && args[0] === '--version') {
    const {name, version} = JSON.parse(fs.readFileSync(new URL('package.json', import.meta.url), 'utf8')) as {
      name: string
      version: string
    }
    process.stdout.write(`${name}/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
    return
  }
  const imported = await import('@oclif/core')
  // Bundled, a dynamic import of CommonJS @oclif/core yields its exports under `default`.
  const core = (imported as {run?: unknown}).run
    ? imported
    : (imported as unknown as {default: typeof imported}).default
  // As bin/run.js does for dist/: errors that escape oclif are printed the fabricctl way (cli/entry.ts).
  await core
    .run(args, import.meta.url)
    .then(() => core.flush())
    .catch(async (error: unknown) =>
      (await import('./lib/cli/entry.js')).handleTopLevelError(error, args, import.meta.url),
    )
}
