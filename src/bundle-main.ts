// Entry of the bundled build (scripts/bundle.mjs → bundle/main.js); bin/run.js imports it when bundle/ exists.
// The bundle directory is its own oclif root (bundle/package.json + bundle/oclif.manifest.json, written by
// scripts/bundle.mjs from the root ones), so oclif still finds every command through the manifest.
import {execute} from '@oclif/core'

import {hoistGlobalFlags} from './lib/cli/argv.js'

export async function run(argv: string[] = process.argv.slice(2)): Promise<void> {
  await execute({dir: import.meta.url, args: hoistGlobalFlags(argv)})
}
