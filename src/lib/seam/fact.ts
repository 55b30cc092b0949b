/**
 * A fact about the fabric is either read, or unknown with the reason it could not be read. Never a
 * default: a capability that needs a fact it does not have says "unknown (why)" (JSON: `null` plus
 * the reason), it does not assume the usual answer.
 */
export type Fact<T> = {value: T} | {unknown: string}

export const known = <T>(value: T): Fact<T> => ({value})
export const unknown = <T = never>(why: string): Fact<T> => ({unknown: why})
export const isKnown = <T>(f: Fact<T>): f is {value: T} => 'value' in f
/** The value, or null when unknown. */
export const valueOf = <T>(f: Fact<T>): T | null => ('value' in f ? f.value : null)
/** Why the fact is unknown, or null when it was read. */
export const whyUnknown = <T>(f: Fact<T>): string | null => ('unknown' in f ? f.unknown : null)
/** A fact from a nullable value: null/undefined becomes unknown with `why`. */
export const factOf = <T>(v: T | null | undefined, why: string): Fact<T> =>
  v === null || v === undefined ? {unknown: why} : {value: v}
/** Map a known fact; an unknown one stays unknown with its reason. */
export const mapFact = <T, U>(f: Fact<T>, fn: (v: T) => U): Fact<U> => ('value' in f ? {value: fn(f.value)} : f)
/** Human text: the value rendered, or `unknown (why)`. */
export const showFact = <T>(f: Fact<T>, render: (v: T) => string = String): string =>
  'value' in f ? render(f.value) : `unknown (${f.unknown})`
/** JSON: `{value, unknown}` with `value: null` and the reason when unknown. */
export const factJson = <T>(f: Fact<T>): {value: T | null; unknown: string | null} =>
  'value' in f ? {value: f.value, unknown: null} : {value: null, unknown: f.unknown}
