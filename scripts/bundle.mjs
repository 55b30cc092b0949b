#!/usr/bin/env node
// Bundled build (issue 16): esbuild over dist/ (tsc output) into bundle/.
// - bundle/fabricctl.cjs: ONE CommonJS file with bundle-main, @oclif/core, zod, yaml, lib/ and every command (each
//   initialised on first use), which bundle/main.cjs loads with a V8 code cache (src/bundle-loader.ts). Why CommonJS
//   and not ESM chunks: Node 20 caches no compiled ES module, and compiling them was ~40% of a command's start-up;
//   the figures are in docs/benchmarks.md.
// - bundle/main.cjs: the loader (node built-ins only), CommonJS like bin/run.js. bundle/metrics-worker.js (the
//   exporter's gather thread, loaded by URL) and the ink views: ES modules of their own.
// Native modules (ssh2 + cpu-features; better-sqlite3's addon, not its JavaScript), typescript/ts-node (referenced
// by @oclif/core) and ink/react/yoga (a wasm loader with top-level await) stay external and load from node_modules.
// bundle/ is its own oclif root: bundle/package.json and bundle/oclif.manifest.json are the root ones, with
// commands and help class read from bundle/fabricctl.cjs's exports (oclif's `explicit` command discovery).
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import * as esbuild from 'esbuild'

import {compareIds} from './compare-ids.mjs'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const DIST = path.join(ROOT, 'dist')
// --outdir DIR (tests): another output directory; it must sit inside the package so node_modules resolves.
const outArg = process.argv.indexOf('--outdir')
const OUT = outArg > 0 ? path.resolve(process.argv[outArg + 1]) : path.join(ROOT, 'bundle')

export const EXTERNAL = [
  'bindings',
  // resolved at run time (the addon's directory): better-sqlite3's JavaScript is bundled, its native addon is not
  'better-sqlite3/package.json',
  'ssh2',
  'cpu-features',
  'typescript',
  'ts-node',
  'ts-node/*',
  'ink',
  'ink-*',
  'react',
  'react/*',
  'react-devtools-core',
  'yoga-layout',
  'yoga-layout/*',
  '@oclif/plugin-help',
  '@oclif/plugin-autocomplete',
]

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8'))
const pjson = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
if (!fs.existsSync(path.join(DIST, 'bundle-loader.js')))
  throw new Error('dist/ is missing: run `npm run build:ts` first')

// zod re-exports all of its ~60 locales as `z.locales`; fabricctl only uses the default (en) messages, so the
// bundle carries just that one (a third of the zod+yaml chunk that every store command loads).
const zodLocalesEnOnly = {
  name: 'zod-locales-en-only',
  setup(build) {
    build.onLoad({filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/}, () => ({
      contents: 'export { default as en } from "./en.js";\n',
      loader: 'js',
      resolveDir: path.join(ROOT, 'node_modules', 'zod', 'v4', 'locales'),
    }))
  },
}

/** An esbuild plugin that rewrites one pattern in the files matching `filter`; the build fails if it is not there. */
function sourcePatch(name, filter, pattern, replacement) {
  return {
    name,
    setup(build) {
      build.onLoad({filter}, async args => {
        const text = await fs.promises.readFile(args.path, 'utf8')
        if (!pattern.test(text)) throw new Error(`${name}: ${pattern} not found in ${args.path}`)
        return {contents: text.replace(pattern, replacement), loader: 'js'}
      })
    },
  }
}

// @oclif/core checks, when its index is first evaluated, that node satisfies *its own* engines range: that loads
// semver and reads @oclif/core's package.json on every start (about 5% of a command's start-up). fabricctl's own
// `engines` (engine-strict installs) already pins a newer node than oclif needs, so the bundle skips that check.
const oclifNoEngineCheck = sourcePatch(
  'oclif-no-engine-check',
  /[\\/]@oclif[\\/]core[\\/]lib[\\/]index\.js$/,
  /^checkNodeVersion\(\);$/m,
  '/* checkNodeVersion(): skipped in the bundle (scripts/bundle.mjs) */',
)

// Every oclif plugin sorts its command ids with localeCompare when it loads: the process's first localeCompare
// builds ICU's collator locale set, ~70 M instructions (0.8x a bare `node -e 0`) on every start. For ids made of
// a-z, ':' and '-' (all of fabricctl's and the core plugins') ICU's root order is the code-unit order (- < : < a-z,
// checked by test/bundle.test.ts), so those are compared directly; any other id still goes through localeCompare.
const oclifIdSortWithoutIcu = sourcePatch(
  'oclif-id-sort-without-icu',
  /[\\/]@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin\.js$/,
  /\.sort\(\(a, b\) => a\.id\.localeCompare\(b\.id\)\);/,
  `.sort((cmp => (a, b) => cmp(a.id, b.id))(${compareIds}));`,
)

// The command path as ONE CommonJS file, bundle/fabricctl.cjs: bundle-main, @oclif/core, the help class and every
// command (each behind a getter, initialised on first use: esbuild keeps a required ES module lazy), so that
// bundle/main.cjs (src/bundle-loader.ts) can load it through vm.Script with a V8 code cache. Node 20 caches no
// compiled ES modules, and compiling the ESM chunks was ~40% of a command's start-up (docs/benchmarks.md).
// Modules that import ink/react statically (ink is ESM with top-level await: a CommonJS require() of it fails).
// They import nothing else but types and are reached only by a dynamic import(), so in the CommonJS bundle that
// import() stays one, of an ES module entry of their own beside it: bundle/<name>.js.
const INK_MODULES = {
  'audit-progress': path.join(DIST, 'lib', 'audit', 'progress.js'),
  'diagnose-watch': path.join(DIST, 'lib', 'diagnose', 'watch.js'),
}
const inkModulesApart = {
  name: 'ink-modules-apart',
  setup(build) {
    build.onResolve({filter: /\.js$/}, args => {
      if (!args.resolveDir.startsWith(DIST)) return undefined
      const target = path.resolve(args.resolveDir, args.path)
      const name = Object.keys(INK_MODULES).find(n => INK_MODULES[n] === target)
      return name ? {path: `./${name}.js`, external: true} : undefined
    })
  },
}

// better-sqlite3's JavaScript is bundled (12 files compiled on every start, and reached through import(), which
// started node's ES module loader: ~37 M instructions of a store command, docs/benchmarks.md); its native addon
// stays in node_modules. `bindings` would look for it beside the caller (bundle/), so the addon is required by its
// path in the package, resolved at run time (require.resolve is relative to bundle/, like every external).
const sqliteAddonDirect = sourcePatch(
  'better-sqlite3-addon-direct',
  /[\\/]better-sqlite3[\\/]lib[\\/]database\.js$/,
  /require\('bindings'\)\('better_sqlite3\.node'\)/,
  "require(require('node:path').join(require('node:path').dirname(require.resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node'))",
)

const commandIds = Object.keys(manifest.commands).sort()
const rel = p => `./${path.relative(ROOT, p).split(path.sep).join('/')}`
const entry = [
  `export {run, ownCommand} from ${JSON.stringify(rel(path.join(DIST, 'bundle-main.js')))}`,
  `export {default as FabricHelp} from ${JSON.stringify(rel(path.join(DIST, 'help.js')))}`,
  'export const COMMANDS = {',
  ...commandIds.map(id => {
    const file = path.join(DIST, 'commands', ...id.split(':')) + '.js'
    const index = path.join(DIST, 'commands', ...id.split(':'), 'index.js')
    const target = fs.existsSync(file) ? file : index
    if (!fs.existsSync(target)) throw new Error(`command ${id}: no ${file} in dist/`)
    return `  get ${JSON.stringify(id)}() { return require(${JSON.stringify(rel(target))}).default },`
  }),
  '}',
].join('\n')

// The sources are ES modules: in a CommonJS output, import.meta.url is the output file's URL.
const CJS_IMPORT_META = "var __fabricImportMetaUrl = require('node:url').pathToFileURL(__filename).href;"

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  metafile: true,
  legalComments: 'none',
  // Less source for V8 to compile at start-up; names kept (error classes are told apart by name).
  minify: process.env.BUNDLE_NO_MINIFY !== '1',
  keepNames: true,
  logLevel: 'warning',
}

fs.rmSync(OUT, {recursive: true, force: true})
const results = await Promise.all([
  esbuild.build({
    ...common,
    stdin: {contents: entry, resolveDir: ROOT, sourcefile: 'fabricctl-entry.js', loader: 'js'},
    outfile: path.join(OUT, 'fabricctl.cjs'),
    format: 'cjs',
    plugins: [zodLocalesEnOnly, oclifNoEngineCheck, oclifIdSortWithoutIcu, inkModulesApart, sqliteAddonDirect],
    // data/ is found by walking up from import.meta.url.
    define: {'import.meta.url': '__fabricImportMetaUrl'},
    banner: {js: CJS_IMPORT_META},
  }),
  // The loader, which bin/run.js (CommonJS) requires: CommonJS too, so no ES module is loaded before the cache.
  esbuild.build({
    ...common,
    entryPoints: {main: path.join(DIST, 'bundle-loader.js')},
    outdir: OUT,
    outExtension: {'.js': '.cjs'},
    format: 'cjs',
    define: {'import.meta.url': '__fabricImportMetaUrl'},
    banner: {js: CJS_IMPORT_META},
  }),
  // The exporter's gather thread (loaded by URL) and the ink views: ES modules of their own.
  esbuild.build({
    ...common,
    entryPoints: {'metrics-worker': path.join(DIST, 'lib', 'metrics', 'worker.js'), ...INK_MODULES},
    outdir: OUT,
    format: 'esm',
    plugins: [zodLocalesEnOnly, oclifNoEngineCheck, oclifIdSortWithoutIcu, sqliteAddonDirect],
    banner: {
      js: "import {createRequire as __fabricRequire} from 'node:module';import {fileURLToPath as __fabricPath} from 'node:url';import {dirname as __fabricDir} from 'node:path';const require = __fabricRequire(import.meta.url);const __filename = __fabricPath(import.meta.url);const __dirname = __fabricDir(__filename);",
    },
  }),
])
const bundleFile = path.join(OUT, 'fabricctl.cjs')
// On Node 20 a dynamic import() inside code compiled by vm.Script fails once that code comes from a code cache
// (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING: the callback is not restored with the cache), and the working form is
// experimental (a warning on stderr). So each import() left in the bundle (external packages: ssh2,
// ink, react; @oclif/core's module loader) calls __fabricImport, which bundle-loader.ts passes in: an import() of
// the loader's own module (bundle/main.cjs, in the same directory, so bare names resolve the same way).
const DYNAMIC_IMPORT = /(?<![\w$."'`])import\((?!\))/g
// The loader reads the bundle as latin1: decoding 1.4 MB of UTF-8 was ~10% of a warm start. esbuild escapes
// non-ASCII text except inside a few regular expressions (ansis: [\x1b\x9b]); \uXXXX means the same there.
const code = fs
  .readFileSync(bundleFile, 'utf8')
  .replace(DYNAMIC_IMPORT, '__fabricImport(')
  .replace(/[^\0-\x7f]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
if (!/^[\0-\x7f]*$/.test(code)) throw new Error('bundle/fabricctl.cjs: not ASCII after escaping')
fs.writeFileSync(bundleFile, code)
const sha256 = crypto.createHash('sha256').update(fs.readFileSync(bundleFile)).digest('hex')

// bundle/ as an oclif root: same name/version/topics/plugins, commands and help class from the bundle.
const bundledPjson = {
  name: pjson.name,
  version: pjson.version,
  description: pjson.description,
  type: 'module',
  private: true,
  engines: pjson.engines,
  // oclif matches its core plugins (help, autocomplete) against `dependencies`.
  dependencies: pjson.dependencies,
  // Commands and help class are exports of bundle/fabricctl.cjs (oclif's `explicit` discovery reads COMMANDS[id]).
  oclif: {
    ...pjson.oclif,
    commands: {strategy: 'explicit', target: './fabricctl.cjs', identifier: 'COMMANDS'},
    helpClass: {target: './fabricctl.cjs', identifier: 'FabricHelp'},
  },
  // bundle-main.ts: a known command id (and no --help) runs without loading oclif's core plugins.
  fabricctlCommands: commandIds,
  // bundle-loader.ts: the file it loads and the key of its code cache.
  fabricctlBundle: {file: 'fabricctl.cjs', sha256},
}
fs.writeFileSync(path.join(OUT, 'package.json'), `${JSON.stringify(bundledPjson, null, 2)}\n`)
const commands = {}
for (const [id, cmd] of Object.entries(manifest.commands)) commands[id] = {...cmd, relativePath: ['fabricctl.cjs']}
fs.writeFileSync(path.join(OUT, 'oclif.manifest.json'), `${JSON.stringify({...manifest, commands}, null, 2)}\n`)
// One oclif root per command, bundle/roots/<id as a path>/, whose manifest holds just that command's entry:
// bundle-main.ts loads the invoked command's (when it is one of fabricctl's own, without --help) with the root's
// package.json, the commands' target relative to it.
for (const [id, cmd] of Object.entries(manifest.commands)) {
  const dir = path.join(OUT, 'roots', ...id.split(':'))
  const relativePath = [...id.split(':').map(() => '..'), '..', 'fabricctl.cjs']
  fs.mkdirSync(dir, {recursive: true})
  fs.writeFileSync(
    path.join(dir, 'oclif.manifest.json'),
    `${JSON.stringify({...manifest, commands: {[id]: {...cmd, relativePath}}})}\n`,
  )
}

if (process.argv.includes('--meta')) fs.writeFileSync(path.join(OUT, 'meta.json'), JSON.stringify(results[0].metafile))
const outputs = results.flatMap(r => Object.entries(r.metafile.outputs))
const bytes = outputs.reduce((n, [, o]) => n + o.bytes, 0)
process.stderr.write(
  `bundle: ${outputs.length} files, ${(bytes / 1024).toFixed(0)} KiB in ${path.relative(ROOT, OUT)}/ (${Object.keys(commands).length} commands)\n`,
)
