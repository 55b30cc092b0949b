import {EXIT, type ExitCode} from './exit-codes.js'
import {didYouMeanText, suggest} from './suggest.js'

/**
 * An error meant for a person: what was wrong, the value given, and what to do.
 * Anything thrown that is not a FabricError is an internal error (exit 7, stack only with --debug).
 */
export class FabricError extends Error {
  readonly code: string
  readonly exitCode: ExitCode
  readonly value?: unknown
  readonly hint?: string
  readonly details?: Record<string, unknown>

  constructor(opts: {
    code: string
    message: string
    exitCode?: ExitCode
    value?: unknown
    hint?: string
    details?: Record<string, unknown>
    cause?: unknown
  }) {
    super(opts.message, opts.cause === undefined ? undefined : {cause: opts.cause})
    this.name = 'FabricError'
    this.code = opts.code
    this.exitCode = opts.exitCode ?? EXIT.CHECK_FAILED
    this.value = opts.value
    this.hint = opts.hint
    this.details = opts.details
  }

  toJSON(): Record<string, unknown> {
    return {
      kind: 'Error',
      schemaVersion: 1,
      error: {
        code: this.code,
        message: this.message,
        ...(this.value === undefined ? {} : {value: this.value}),
        ...(this.hint === undefined ? {} : {hint: this.hint}),
        ...(this.details === undefined ? {} : {details: this.details}),
        exitCode: this.exitCode,
      },
    }
  }
}

/** Bad input: exit 2, nothing changed. */
export function usageError(code: string, message: string, value: unknown, hint: string): FabricError {
  return new FabricError({code, message, value, hint, exitCode: EXIT.USAGE})
}

/**
 * Something named on the command line does not exist. With `candidates` (the names that do
 * exist), the nearest ones are offered: "Did you mean az1-h0001?" (also in details.suggestions).
 */
export function notFound(what: string, value: string, hint: string, candidates?: Iterable<string>): FabricError {
  const suggestions = candidates ? suggest(value, candidates) : []
  return new FabricError({
    code: `${what.toUpperCase().replaceAll(' ', '_')}_NOT_FOUND`,
    message: `No ${what} named "${value}".${suggestions.length > 0 ? ` ${didYouMeanText(suggestions)}` : ''}`,
    value,
    hint,
    exitCode: EXIT.USAGE,
    ...(candidates ? {details: {suggestions}} : {}),
  })
}

export function isFabricError(err: unknown): err is FabricError {
  return err instanceof FabricError
}
