#!/usr/bin/env node
// Entry point. oclif reads oclif.manifest.json so that --help/--version never import command files.
import {flush, run} from '@oclif/core'

import {hoistGlobalFlags} from '../dist/lib/cli/argv.js'

const args = hoistGlobalFlags(process.argv.slice(2))
// Like oclif's execute(), but an error that escapes a command (or fails before one runs: unknown
// command, a global flag without its value) is printed the fabricctl way: one JSON Error with
// --json, a did-you-mean, exit 2. The handler is imported only on that path.
await run(args, import.meta.url)
  .then(() => flush())
  .catch(async error => (await import('../dist/lib/cli/entry.js')).handleTopLevelError(error, args, import.meta.url))
