// bundle/main.cjs (scripts/bundle.mjs, CommonJS): what bin/run.js requires when bundle/ exists. It prints `--version` itself and
// otherwise loads the one CommonJS bundle (bundle/fabricctl.cjs: bundle-main, @oclif/core, every command) through
// vm.Script with a V8 code cache, so that a warm start does not parse and compile @oclif/core and the command path
// again (Node 20 has no compile cache for ES modules: module.enableCompileCache arrives in Node 22).
// This file imports node built-ins only (and lib/cli/user-cache.ts, which does too): it is bundled on its own and
// must stay small.
import fs from 'node:fs'
import Module, {createRequire} from 'node:module'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import vm from 'node:vm'

import {cacheDir, fnv1a, pruneCacheFiles, writeCacheFile} from './lib/cli/user-cache.js'

export {cacheDir} from './lib/cli/user-cache.js'

interface LoaderPjson {
  name: string
  version: string
  /** Written by scripts/bundle.mjs: the CommonJS bundle and the sha256 of its contents. */
  fabricctlBundle: {file: string; sha256: string}
}

interface BundleExports {
  run(argv: string[]): Promise<void>
}

/**
 * The cache file for one bundle on one node: keyed by the bundle's sha256 (from the build), its size and mtime
 * (a file changed after the build), node's version, the V8 version, the platform and node's flags (V8 rejects a cache
 * made under other flags). A cache never serves another bundle; V8 also checks it against the source and rejects it.
 */
export function cacheFile(dir: string, sha256: string, stat: {size: number; mtimeMs: number}): string {
  const parts = [
    sha256.slice(0, 16),
    stat.size,
    Math.round(stat.mtimeMs),
    `node${process.version}`,
    `v8-${process.versions.v8}`,
  ]
  parts.push(`${process.platform}-${process.arch}`, fnv1a(process.execArgv.join('\0')))
  return path.join(dir, `bundle-${parts.join('-').replace(/[^\w.-]/g, '_')}.v8cache`)
}

/**
 * Load a CommonJS file as require() would (same wrapper, module object, require.cache entry, so a later require of
 * it returns these exports), compiled with the code cache when one is there. Without one (or when V8 rejects it),
 * the cache is written when the process exits, after the run: it then holds the functions the run compiled, not
 * only the top level. A cache that cannot be read or written is skipped without a word.
 */
export function loadWithCodeCache(file: string, cache: string | undefined): unknown {
  // ASCII (scripts/bundle.mjs escapes the rest): latin1 makes the same string without decoding UTF-8.
  const source = fs.readFileSync(file, 'latin1')
  let cachedData: Buffer | undefined
  if (cache)
    try {
      cachedData = fs.readFileSync(cache)
    } catch {
      // no cache yet
    }
  // require()'s wrapper plus __fabricImport, which stands for import() in the bundle (see scripts/bundle.mjs).
  const wrapped = `(function (exports, require, module, __filename, __dirname, __fabricImport) { ${source}\n});`
  const script = new vm.Script(wrapped, {filename: file, cachedData})
  if (cache && (!cachedData || script.cachedDataRejected)) process.once('exit', () => writeCache(script, cache))
  const mod = new Module(file)
  mod.filename = file
  mod.paths = (Module as unknown as {_nodeModulePaths(dir: string): string[]})._nodeModulePaths(path.dirname(file))
  ;(Module as unknown as {_cache: Record<string, Module>})._cache[file] = mod
  const wrapper = script.runInThisContext() as (...a: unknown[]) => void
  const dynamicImport = (specifier: string): Promise<unknown> => import(specifier)
  wrapper.call(mod.exports, mod.exports, createRequire(file), mod, file, path.dirname(file), dynamicImport)
  mod.loaded = true
  return mod.exports
}

function writeCache(script: vm.Script, cache: string): void {
  try {
    writeCacheFile(cache, script.createCachedData())
    pruneCaches(path.dirname(cache), KEEP_CACHES)
  } catch {
    // not writable: the next start compiles again
  }
}

/** Caches kept per directory: one per bundle and node a user switches between; each rebuild makes a new one. */
const KEEP_CACHES = 4

/** Remove all but the `keep` newest bundle caches in `dir` (a cache is ~1 MB; every build or node upgrade adds one). */
export function pruneCaches(dir: string, keep: number): void {
  pruneCacheFiles(dir, 'bundle-', '.v8cache', keep)
}

export async function run(argv: string[] = process.argv.slice(2)): Promise<void> {
  const pjson = JSON.parse(fs.readFileSync(new URL('package.json', import.meta.url), 'utf8')) as LoaderPjson
  // `--version` alone prints oclif's user agent line without loading oclif (the same bytes: test/bundle.test.ts).
  if (argv.length === 1 && argv[0] === '--version') {
    process.stdout.write(`${pjson.name}/${pjson.version} ${process.platform}-${process.arch} node-${process.version}\n`)
    return
  }
  const file = fileURLToPath(new URL(pjson.fabricctlBundle.file, import.meta.url))
  let cache: string | undefined
  try {
    cache = cacheFile(cacheDir(), pjson.fabricctlBundle.sha256, fs.statSync(file))
  } catch {
    // no home directory: no cache
  }
  await (loadWithCodeCache(file, cache) as BundleExports).run(argv)
}
