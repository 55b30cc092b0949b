#!/usr/bin/env node
// Bundled build (issue 16): esbuild over dist/ (tsc output) into bundle/, ESM with code splitting.
// One entry per command plus main.js and help.js; shared code (oclif core, zod, yaml, lib/) lands in chunks.
// Native modules (better-sqlite3, ssh2 + cpu-features), typescript/ts-node (referenced by @oclif/core) and
// ink/react/yoga (a wasm loader with top-level await) stay external and load from node_modules.
// bundle/ is its own oclif root: bundle/package.json and bundle/oclif.manifest.json are the root ones with
// the command paths rewritten, so oclif resolves each command from the manifest without importing the rest.
import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import * as esbuild from 'esbuild'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const DIST = path.join(ROOT, 'dist')
// --outdir DIR (tests): another output directory; it must sit inside the package so node_modules resolves.
const outArg = process.argv.indexOf('--outdir')
const OUT = outArg > 0 ? path.resolve(process.argv[outArg + 1]) : path.join(ROOT, 'bundle')

export const EXTERNAL = [
  'better-sqlite3',
  'bindings',
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

function commandFiles(dir, prefix = []) {
  const out = []
  for (const e of fs.readdirSync(dir, {withFileTypes: true})) {
    if (e.isDirectory()) out.push(...commandFiles(path.join(dir, e.name), [...prefix, e.name]))
    else if (e.name.endsWith('.js')) out.push([...prefix, e.name])
  }
  return out
}

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8'))
const pjson = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
if (!fs.existsSync(path.join(DIST, 'bundle-main.js'))) throw new Error('dist/ is missing: run `npm run build:ts` first')

// The exporter's gather thread (lib/metrics/worker.js) is loaded by URL, so it is an entry of its own.
const entryPoints = {
  main: path.join(DIST, 'bundle-main.js'),
  help: path.join(DIST, 'help.js'),
  'metrics-worker': path.join(DIST, 'lib', 'metrics', 'worker.js'),
}
for (const parts of commandFiles(path.join(DIST, 'commands'))) {
  entryPoints[path.join('commands', ...parts).replace(/\.js$/, '')] = path.join(DIST, 'commands', ...parts)
}

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

// @oclif/core checks, when its index is first evaluated, that node satisfies *its own* engines range: that loads
// semver and reads @oclif/core's package.json on every start (about 5% of a command's start-up). fabricctl's own
// `engines` (engine-strict installs) already pins a newer node than oclif needs, so the bundle skips that check.
const oclifNoEngineCheck = {
  name: 'oclif-no-engine-check',
  setup(build) {
    build.onLoad({filter: /[\\/]@oclif[\\/]core[\\/]lib[\\/]index\.js$/}, async args => {
      const text = await fs.promises.readFile(args.path, 'utf8')
      const call = /^checkNodeVersion\(\);$/m
      if (!call.test(text)) throw new Error(`oclif-no-engine-check: no checkNodeVersion() call in ${args.path}`)
      return {
        contents: text.replace(call, '/* checkNodeVersion(): skipped in the bundle (scripts/bundle.mjs) */'),
        loader: 'js',
      }
    })
  },
}

fs.rmSync(OUT, {recursive: true, force: true})
const result = await esbuild.build({
  entryPoints,
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  external: EXTERNAL,
  metafile: true,
  legalComments: 'none',
  // Less source for V8 to compile at start-up; names kept (error classes are told apart by name).
  minify: process.env.BUNDLE_NO_MINIFY !== '1',
  keepNames: true,
  plugins: [zodLocalesEnOnly, oclifNoEngineCheck],
  logLevel: 'warning',
  // CommonJS dependencies (@oclif/core) call require() and read __dirname; give every output file both.
  banner: {
    js: "import {createRequire as __fabricRequire} from 'node:module';import {fileURLToPath as __fabricPath} from 'node:url';import {dirname as __fabricDir} from 'node:path';const require = __fabricRequire(import.meta.url);const __filename = __fabricPath(import.meta.url);const __dirname = __fabricDir(__filename);",
  },
})

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
  oclif: {...pjson.oclif, commands: './commands', helpClass: './help.js'},
  // bundle-main.ts: a known command id (and no --help) runs without loading oclif's core plugins.
  fabricctlCommands: Object.keys(manifest.commands).sort(),
}
fs.writeFileSync(path.join(OUT, 'package.json'), `${JSON.stringify(bundledPjson, null, 2)}\n`)
const commands = {}
for (const [id, cmd] of Object.entries(manifest.commands)) {
  const rel = cmd.relativePath
  if (!Array.isArray(rel) || rel[0] !== 'dist' || rel[1] !== 'commands')
    throw new Error(`unexpected relativePath for ${id}: ${rel}`)
  const target = path.join(OUT, ...rel.slice(1))
  if (!fs.existsSync(target)) throw new Error(`command ${id}: ${target} was not bundled`)
  commands[id] = {...cmd, relativePath: rel.slice(1)}
}
fs.writeFileSync(path.join(OUT, 'oclif.manifest.json'), `${JSON.stringify({...manifest, commands}, null, 2)}\n`)

if (process.argv.includes('--meta')) fs.writeFileSync(path.join(OUT, 'meta.json'), JSON.stringify(result.metafile))
const outputs = Object.entries(result.metafile.outputs)
const bytes = outputs.reduce((n, [, o]) => n + o.bytes, 0)
process.stderr.write(
  `bundle: ${outputs.length} files, ${(bytes / 1024).toFixed(0)} KiB in ${path.relative(ROOT, OUT)}/ (${Object.keys(commands).length} commands)\n`,
)
