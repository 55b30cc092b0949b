import {Flags} from '@oclif/core'

import {parseDuration} from './duration.js'

export {parseDuration}

/**
 * The flags several commands share, built in one place so they read and parse the same everywhere:
 * `--dry-run`, `--concurrency` (one default), `--timeout` (a duration with units, one parser) and
 * `--output` (one vocabulary of output formats besides the default human rendering and --json).
 */

/** Targets worked on at once, unless a command says why it needs another default. */
export const DEFAULT_CONCURRENCY = 8

export const dryRunFlag = (description = 'Show what would change; change nothing.') =>
  Flags.boolean({description, default: false})

export const concurrencyFlag = (opts: {description: string; default?: number; max?: number}) =>
  Flags.integer({
    description: opts.description,
    default: opts.default ?? DEFAULT_CONCURRENCY,
    min: 1,
    max: opts.max ?? 64,
  })

/** Output formats besides the human rendering (default) and `--json`: one vocabulary for every command. */
export const OUTPUT_FORMATS = ['ndjson', 'prometheus'] as const
export type OutputFormat = (typeof OUTPUT_FORMATS)[number]

export const outputFlag = <O extends OutputFormat>(description: string, options: readonly O[]) =>
  Flags.custom<O>({description, options: [...options]})()

/** `--timeout`: a duration with units, parsed to milliseconds by `parseDuration`. */
export const timeoutFlag = (opts: {
  description: string
  defaultMs: number
  minMs?: number
  maxMs?: number
  bare?: 'ms' | 's'
}) =>
  Flags.custom<number>({
    parse: async raw =>
      parseDuration(raw, '--timeout', {minMs: opts.minMs ?? 100, maxMs: opts.maxMs ?? 86_400_000, bare: opts.bare}),
  })({description: opts.description, default: opts.defaultMs})

/** A duration flag (`15m`, `0s`, `2h`, a bare number is seconds), parsed to milliseconds by `parseDuration`. */
export const durationFlag = (
  name: string,
  opts: {description: string; defaultMs?: number; minMs?: number; maxMs?: number},
) =>
  Flags.custom<number>({
    parse: async raw =>
      parseDuration(raw, `--${name}`, {minMs: opts.minMs ?? 0, maxMs: opts.maxMs ?? 366 * 86_400_000}),
  })({description: opts.description, ...(opts.defaultMs === undefined ? {} : {default: opts.defaultMs})})

/** `--concurrency` and `--timeout` of the commands that read every host (`ipam check`, `ipam gc`). */
export const hostReadFlags = () => ({
  concurrency: concurrencyFlag({description: 'Hosts read at once.'}),
  timeout: timeoutFlag({
    description: 'Per-host read budget: a duration, e.g. 30s or 1500ms; a bare number is ms.',
    defaultMs: 30_000,
    bare: 'ms',
  }),
})
