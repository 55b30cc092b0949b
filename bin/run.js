#!/usr/bin/env node
// Entry point. oclif reads oclif.manifest.json so that --help/--version never import command files.
import {execute} from '@oclif/core'

await execute({dir: import.meta.url})
