/** Exit codes shared by every command (DESIGN.md §6). */
export const EXIT = {
  OK: 0,
  CHECK_FAILED: 1,
  USAGE: 2,
  PARTIAL: 3,
  REFUSED: 4,
  TIMEOUT: 5,
  /** The store file is damaged (not a database, malformed, tables missing, a directory): re-create or restore it. */
  DAMAGED: 6,
  /** An internal error: a fabricctl bug, not bad input and not a failed check (run with --debug, report it). */
  INTERNAL: 7,
  /** SIGINT/SIGTERM stopped the command; what was done before is printed (src/lib/cli/interrupt.ts). */
  INTERRUPTED: 130,
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

/** Appended to every command's --help so runbooks know what to branch on. */
export const EXIT_CODES_HELP = [
  'EXIT CODES',
  '  0  ok',
  '  1  a check failed (finding at or above --fail-on, port not ACTIVE_ACTIVE, trace dropped, diff found)',
  '  2  bad usage or input (nothing was changed)',
  '  3  partial: some targets were unreachable; results for the rest are printed',
  '  4  refused by a safety gate (e.g. --max-changes); nothing was changed',
  '  5  timed out',
  '  6  the fabric store is damaged (not a database, malformed, tables missing): `sim init --force` or restore a backup',
  '  7  internal error: a fabricctl bug (run again with --debug and report it)',
  '  130  interrupted (SIGINT/SIGTERM): what was done before the signal is printed',
].join('\n')
