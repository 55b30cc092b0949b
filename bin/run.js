#!/usr/bin/env node
// Entry point, CommonJS (bin/package.json): an ES module entry costs node its ESM loader before anything runs, about
// a sixth of a bare `node -e 0` (docs/benchmarks.md). oclif reads oclif.manifest.json so that --help/--version
// never import command files.
// The bundled build (bundle/, from `npm run build`) is used when present, unless FABRICCTL_NO_BUNDLE=1;
// the unbundled dist/ stays for development and tests.
// Like oclif's execute(), but an error that escapes a command (or fails before one runs: unknown
// command, a global flag without its value) is printed the fabricctl way: one JSON Error with
// --json, a did-you-mean, exit 2. The handler is imported only on that path.
'use strict'
const {existsSync} = require('node:fs')
const path = require('node:path')
const {pathToFileURL} = require('node:url')

const argv = process.argv.slice(2)
const bundle = path.join(__dirname, '..', 'bundle', 'main.cjs')
if (process.env.FABRICCTL_NO_BUNDLE !== '1' && existsSync(bundle)) {
  require(bundle).run(argv)
} else {
  // The package root (not this file: bin/package.json would be taken for it), where oclif finds package.json.
  const root = pathToFileURL(path.join(__dirname, '..', 'package.json')).href
  Promise.all([import('@oclif/core'), import('../dist/lib/cli/argv.js')]).then(([{flush, run}, {hoistGlobalFlags}]) => {
    const args = hoistGlobalFlags(argv)
    return run(args, root)
      .then(() => flush())
      .catch(async error => (await import('../dist/lib/cli/entry.js')).handleTopLevelError(error, args, root))
  })
}
