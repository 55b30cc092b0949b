#!/usr/bin/env node
// Entry point. oclif reads oclif.manifest.json so that --help/--version never import command files.
// The bundled build (bundle/, from `npm run build`) is used when present, unless FABRICCTL_NO_BUNDLE=1;
// the unbundled dist/ stays for development and tests.
import {existsSync} from 'node:fs'

const bundle = new URL('../bundle/main.js', import.meta.url)
if (process.env.FABRICCTL_NO_BUNDLE !== '1' && existsSync(bundle)) {
  await (await import(bundle.href)).run(process.argv.slice(2))
} else {
  const [{execute}, {hoistGlobalFlags}] = await Promise.all([import('@oclif/core'), import('../dist/lib/cli/argv.js')])
  await execute({dir: import.meta.url, args: hoistGlobalFlags(process.argv.slice(2))})
}
