import {FabricError, isFabricError} from './errors.js'
import {EXIT} from './exit-codes.js'
import {damageReason, openedStores, storeDamaged} from '../store/damage.js'
import {toTerminal} from '../output/safe.js'

/**
 * Every error fabricctl can end with, as a FabricError (issue 19): oclif's parse errors (exit 2,
 * the flag or argument named), a damaged store (exit 6, the file named), a file that cannot be
 * read (exit 2, the path named), and only what is left as "Internal error" (exit 7, EXIT.INTERNAL:
 * a bug, never confused with 1 "a check failed").
 */
export function toFabricError(
  err: Error & {oclif?: {exit?: number}; code?: unknown; path?: unknown},
  argv: readonly string[] = process.argv.slice(2),
): FabricError {
  if (isFabricError(err)) return err
  const damage = damageReason(err)
  if (damage) return storeDamaged(openedStores.at(-1), damage, err)
  if (typeof err.code === 'string' && typeof err.path === 'string' && FS_ERRORS[err.code])
    return fileError(err.code, err.path, err)
  const name = err.constructor?.name ?? ''
  const isParse =
    /Parse|Flag|Arg|Validation|Options|Required|Unexpected|NonExistent/.test(name) || err.oclif?.exit === 2
  if (isParse) return parseError(err, argv)
  return new FabricError({
    code: 'INTERNAL',
    message: `Internal error: ${err.message}`,
    hint: 'This is a fabricctl bug; please report it with the output of --debug.',
    exitCode: EXIT.INTERNAL,
  })
}

/** oclif's parse error as a usage error (exit 2), its "See more help" tail and tab layout removed. */
export function parseError(err: Error, argv: readonly string[]): FabricError {
  const message = err.message
    .replace(/\n\s*See more help with --help\s*$/, '')
    .replaceAll(/\s*\n\s*/g, ': ')
    .replace(/ +:/g, ':')
    .trim()
  return new FabricError({
    code: 'BAD_USAGE',
    message: /[.?!]$/.test(message) ? message : `${message}.`,
    value: argv.join(' '),
    hint: "See the command's --help for its flags and examples.",
    exitCode: EXIT.USAGE,
    cause: err,
  })
}

const FS_ERRORS: Record<string, string> = {
  EISDIR: 'it is a directory, not a file',
  ENOTDIR: 'part of its path is a file, not a directory',
  ENOENT: 'it does not exist',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
}

/** A file that cannot be read or written: exit 2, naming the path. */
export function fileError(code: string, file: string, cause?: unknown, what = 'file'): FabricError {
  return new FabricError({
    code: code === 'EISDIR' ? 'FILE_IS_DIRECTORY' : 'FILE_UNREADABLE',
    message: `Cannot use the ${what} ${file}: ${FS_ERRORS[code] ?? code}.`,
    value: file,
    hint: code === 'EISDIR' ? 'Give the path of a file, not of a directory.' : 'Check the path and its permissions.',
    exitCode: EXIT.USAGE,
    cause,
  })
}

/** The error as a person reads it on stderr (names escaped: safe output). */
export function renderErrorText(fe: FabricError, s: {red(t: string): string; dim(t: string): string}): string {
  const lines = [`${s.red('Error:')} ${fe.message}`]
  if (fe.hint) lines.push(`${s.dim('What to do:')} ${fe.hint}`)
  return toTerminal(`${lines.join('\n')}\n`)
}
