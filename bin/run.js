#!/usr/bin/env node
// Entry point. oclif reads oclif.manifest.json so that --help/--version never import command files.
import {execute} from '@oclif/core'

import {hoistGlobalFlags} from '../dist/lib/cli/argv.js'

await execute({dir: import.meta.url, args: hoistGlobalFlags(process.argv.slice(2))})
