#!/usr/bin/env node
// Entry point. oclif reads oclif.manifest.json so that --help/--version never import command files.
// The bundled build (bundle/, from `npm run build`) is used when present, unless FABRICCTL_NO_BUNDLE=1;
// the unbundled dist/ stays for development and tests.
// Like oclif's execute(), but an error that escapes a command (or fails before one runs: unknown
// command, a global flag without its value) is printed the fabricctl way: one JSON Error with
// --json, a did-you-mean, exit 2. The handler is imported only on that path.
import {existsSync} from 'node:fs'

const argv = process.argv.slice(2)
const bundle = new URL('../bundle/main.js', import.meta.url)
if (process.env.FABRICCTL_NO_BUNDLE !== '1' && existsSync(bundle)) {
  await (await import(bundle.href)).run(argv)
} else {
  const [{flush, run}, {hoistGlobalFlags}] = await Promise.all([
    import('@oclif/core'),
    import('../dist/lib/cli/argv.js'),
  ])
  const args = hoistGlobalFlags(argv)
  await run(args, import.meta.url)
    .then(() => flush())
    .catch(async error => (await import('../dist/lib/cli/entry.js')).handleTopLevelError(error, args, import.meta.url))
}
