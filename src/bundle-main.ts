// Entry of the bundled build's CommonJS bundle (scripts/bundle.mjs → bundle/fabricctl.cjs), which bundle/main.cjs
// (bundle-loader.ts) loads with a V8 code cache; bin/run.js requires bundle/main.cjs when bundle/ exists.
// The bundle directory is its own oclif root (bundle/package.json + bundle/oclif.manifest.json, written by
// scripts/bundle.mjs from the root ones), so oclif still finds every command through the manifest.
import fs from 'node:fs'
import {fileURLToPath} from 'node:url'

import {hoistGlobalFlags} from './lib/cli/argv.js'

interface BundlePjson {
  name: string
  version: string
  oclif: {plugins?: string[]; [k: string]: unknown}
  /** Written by scripts/bundle.mjs: the ids of fabricctl's own commands (`host:list`, …). */
  fabricctlCommands?: string[]
  [k: string]: unknown
}

/**
 * Does argv run one of fabricctl's own commands, with no help asked for? Then oclif need not load its core
 * plugins (@oclif/plugin-help and plugin-autocomplete: a root search, a package.json and a manifest each, about a
 * tenth of a store command's start-up), which only add the `help` and `autocomplete` commands and no hooks that
 * run for other commands. Anything else (help, autocomplete, an unknown command and its did-you-mean) loads them.
 */
export function ownCommand(args: readonly string[], ids: ReadonlySet<string>): boolean {
  if (args.some(a => a === '--help' || a === '-h' || a === '--')) return false
  const words: string[] = []
  for (const a of args) {
    if (a.startsWith('-')) break
    words.push(a)
  }
  for (let n = words.length; n > 0; n--) if (ids.has(words.slice(0, n).join(':'))) return true
  return false
}

export async function run(argv: string[] = process.argv.slice(2)): Promise<void> {
  const args = hoistGlobalFlags(argv)
  const pjsonFile = new URL('package.json', import.meta.url)
  const pjson = JSON.parse(fs.readFileSync(pjsonFile, 'utf8')) as BundlePjson
  const imported = await import('@oclif/core')
  // Bundled, a dynamic import of CommonJS @oclif/core yields its exports under `default`.
  const core = (imported as {run?: unknown}).run
    ? imported
    : (imported as unknown as {default: typeof imported}).default
  let options: Parameters<typeof core.run>[1] = import.meta.url
  if (ownCommand(args, new Set(pjson.fabricctlCommands ?? []))) {
    const root = fileURLToPath(new URL('.', import.meta.url))
    // The package.json oclif would read, minus the core plugins (see ownCommand). No user or dev plugins either:
    // fabricctl ships no plugin installer, so the data dir's package.json oclif would look for cannot exist.
    options = await core.Config.load({
      root,
      pjson: {...pjson, oclif: {...pjson.oclif, plugins: []}} as never,
      userPlugins: false,
      devPlugins: false,
    })
  }
  // As bin/run.js does for dist/: errors that escape oclif are printed the fabricctl way (cli/entry.ts).
  await core
    .run(args, options)
    .then(() => core.flush())
    .catch(async (error: unknown) =>
      (await import('./lib/cli/entry.js')).handleTopLevelError(error, args, import.meta.url),
    )
}
