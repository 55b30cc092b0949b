/**
 * Safe output (issue 19). Names come from the store, from Neutron (any tenant can set a port's
 * name) and from devices; printed raw, an ESC sequence, a BEL or a right-to-left override in a
 * name would drive the operator's terminal. Every human rendering goes through `safeText`
 * (one value) or `toTerminal` (a whole rendering); JSON output stays exact.
 *
 * Escaped, in a visible form: C0 controls and DEL (`\x1b`, `\x07`, `\n`, …), C1 controls
 * (`\x9b`), bidi controls (U+202A–202E, U+2066–2069, LRM/RLM/ALM), zero-width and other
 * invisible characters (U+200B–200D, U+2060, U+FEFF, U+00AD, U+180E), line/paragraph separators
 * and lone surrogates (`\u202e`, `\ud800`).
 */

/* eslint-disable no-control-regex -- these patterns exist to find control characters */
const UNSAFE =
  /[\u0000-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B-\u200F\u2028-\u202E\u2060-\u2064\u2066-\u206F\uFEFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g
// The same set, but keeping newlines and tabs: a whole rendering is made of lines.
const UNSAFE_IN_TEXT =
  /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B-\u200F\u2028-\u202E\u2060-\u2064\u2066-\u206F\uFEFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g
/* eslint-enable no-control-regex */

const NAMED: Record<string, string> = {'\n': '\\n', '\r': '\\r', '\t': '\\t'}

function visible(ch: string): string {
  const named = NAMED[ch]
  if (named) return named
  const code = ch.charCodeAt(0)
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
}

/** The first character a name must not contain, or undefined (used by input validation). */
export function firstUnsafeChar(s: string): string | undefined {
  UNSAFE.lastIndex = 0
  const m = UNSAFE.exec(s)
  UNSAFE.lastIndex = 0
  return m?.[0]
}

/** One value for a terminal: every control, bidi and invisible character in its visible form (`\x1b`, `\u202e`). */
export function safeText(s: string): string {
  return s.replace(UNSAFE, visible)
}

/** Describe a character for an error message: `U+202E (\u202e)`. */
export function describeChar(ch: string): string {
  return `U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} (${visible(ch)})`
}

/** Every string inside a value (object, array), escaped with `safeText`; a copy, the input is not changed. */
export function safeDeep<T>(v: T): T {
  if (typeof v === 'string') return safeText(v) as T
  if (Array.isArray(v)) return v.map(x => safeDeep(x)) as T
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, safeDeep(x)])) as T
  }
  return v
}

/**
 * Colour codes fabricctl itself produces (chalk, through `makeStyle`) are written with a
 * per-process random token in place of ESC, so that `toTerminal` can tell them from an ESC that
 * arrived inside a name: the token cannot be guessed by whoever named a port.
 * Made on first use (node:crypto is not loaded by a command that prints no colour: issue 16's start-up).
 */
export function escToken(): string {
  return (token ??= makeToken()).text
}
let token: {text: string; re: RegExp; style: RegExp} | undefined
function makeToken(): NonNullable<typeof token> {
  const text = `\uE000${process.getBuiltinModule('node:crypto').randomBytes(8).toString('hex')}\uE001`
  return {text, re: new RegExp(text, 'g'), style: new RegExp(`(?:\u001B|${text})\\[[0-9;]*m`, 'g')}
}
// eslint-disable-next-line no-control-regex
const ESC_STYLE_RE = /\u001B\[[0-9;]*m/g

/** Length as the terminal shows it: without colour codes. */
export function visibleLength(s: string): number {
  return s.replace(token?.style ?? ESC_STYLE_RE, '').length
}

/** A whole human rendering for the terminal: unsafe characters escaped (newlines and tabs kept), then fabricctl's own colours restored. */
export function toTerminal(text: string): string {
  const escaped = text.replace(UNSAFE_IN_TEXT, visible)
  // No token made yet: no colour code of fabricctl's in the text.
  return token ? escaped.replace(token.re, '\u001B') : escaped
}
