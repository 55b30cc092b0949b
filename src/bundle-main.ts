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
  /** Written by scripts/bundle.mjs: the CommonJS bundle. */
  fabricctlBundle?: {file: string}
  [k: string]: unknown
}

/**
 * The id of the fabricctl command argv runs, when it is one of fabricctl's own with no help asked for: then oclif
 * need not load its core plugins (@oclif/plugin-help and plugin-autocomplete: a root search, a package.json and a
 * manifest each, about a tenth of a store command's start-up), which only add the `help` and `autocomplete`
 * commands and no hooks that run for other commands, nor the other commands' manifest entries. Anything else
 * (help, autocomplete, an unknown command and its did-you-mean) loads everything: undefined.
 */
export function ownCommand(args: readonly string[], ids: ReadonlySet<string>): string | undefined {
  if (args.some(a => a === '--help' || a === '-h' || a === '--')) return undefined
  const words: string[] = []
  for (const a of args) {
    if (a.startsWith('-')) break
    words.push(a)
  }
  for (let n = words.length; n > 0; n--) {
    const id = words.slice(0, n).join(':')
    if (ids.has(id)) return id
  }
  return undefined
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
  const id = ownCommand(args, new Set(pjson.fabricctlCommands ?? []))
  if (id) {
    // The command's own oclif root (scripts/bundle.mjs): bundle/roots/<id as a path>/oclif.manifest.json holds that
    // one command's manifest entry, so oclif does not read and build all of them (~17 M instructions, a fifth of a
    // bare `node -e 0`: docs/benchmarks.md). The package.json oclif would read, with the commands' target relative to
    // that root, minus the core plugins (see ownCommand). No user or dev plugins either: fabricctl ships no plugin
    // installer, so the data dir's package.json oclif would look for cannot exist.
    const root = fileURLToPath(new URL(`roots/${id.split(':').join('/')}/`, import.meta.url))
    const up = '../'.repeat(id.split(':').length + 1)
    const target = (t: unknown) => ({
      ...(t as object),
      target: `${up}${pjson.fabricctlBundle?.file ?? 'fabricctl.cjs'}`,
    })
    options = await core.Config.load({
      root,
      pjson: {
        ...pjson,
        oclif: {
          ...pjson.oclif,
          plugins: [],
          commands: target(pjson.oclif.commands),
          helpClass: target(pjson.oclif.helpClass),
        },
      } as never,
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
