import {EXIT} from './exit-codes.js'

/**
 * SIGINT/SIGTERM for commands that work through many units (leaf push --all, audit hosts, a bulk
 * allocate): the first signal asks the loop to stop taking new work — the unit in hand finishes
 * (or is undone by its own rollback) — and the command then reports what was done and exits 130.
 * A second signal ends the process at once (exit 130).
 *
 * `FABRICCTL_PACE_MS` (tests and demos only): wait that long before each unit and say so on
 * stderr (`[pace] <unit>`), so that a test can deliver a signal while the loop is running.
 */
export const INTERRUPTED_EXIT = EXIT.INTERRUPTED

export interface InterruptWatch {
  /** The signal received, once one was. */
  readonly signal: NodeJS.Signals | undefined
  /** Stop listening (restores the default behaviour). */
  dispose(): void
}

export function watchInterrupts(what: string): InterruptWatch {
  const state: {signal: NodeJS.Signals | undefined} = {signal: undefined}
  const onSignal = (sig: NodeJS.Signals) => {
    if (state.signal) {
      process.stderr.write(`${sig} again: stopping now.\n`)
      process.exit(INTERRUPTED_EXIT)
    }
    state.signal = sig
    process.stderr.write(
      `${sig}: ${what}; no new work is started (${sig === 'SIGINT' ? 'Ctrl-C' : 'the signal'} again stops at once).\n`,
    )
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    get signal() {
      return state.signal
    },
    dispose() {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    },
  }
}

/** Before each unit of an interruptible loop: let pending signals be handled (and pace, in tests). */
export async function beforeUnit(unit: string): Promise<void> {
  const pace = Number(process.env.FABRICCTL_PACE_MS ?? 0)
  if (pace > 0) {
    process.stderr.write(`[pace] ${unit}\n`)
    await new Promise(resolve => setTimeout(resolve, pace))
  } else {
    await new Promise(resolve => setImmediate(resolve))
  }
}

/** Whether FABRICCTL_PACE_MS is set (loops that do not otherwise yield per unit call `beforeUnit` only then). */
export function pacing(): boolean {
  return Number(process.env.FABRICCTL_PACE_MS ?? 0) > 0
}
