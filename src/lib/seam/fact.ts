/**
 * A fact about the fabric is either read from evidence or unknown, with the reason it is unknown:
 * never a default. Human output prints `unknown (why)`; JSON carries `null` and the reason.
 */
export type Fact<T> = {value: T; reason?: undefined} | {value: null; reason: string}

export const known = <T>(value: T): Fact<T> => ({value})
export const unknown = (reason: string): Fact<never> => ({value: null, reason})

/** Facts not read, by path (e.g. `ovsRunning`, `nics.eth0.up`), each with why. */
export type UnknownReasons = Record<string, string>

/** The fact at `path`: unknown when `reasons` names it, else the value given. */
export function factAt<T>(value: T, reasons: UnknownReasons | undefined, path: string): Fact<T> {
  const why = reasons?.[path]
  return why === undefined ? known(value) : unknown(why)
}

/** A fact for a person: the rendered value, or `unknown (why)`. */
export function factText<T, R = T>(fact: Fact<T>, show: (v: T) => R = v => v as unknown as R): R | string {
  return fact.reason === undefined ? show(fact.value as T) : `unknown (${fact.reason})`
}
