import {Chalk, type ChalkInstance} from 'chalk'

import {escToken} from './safe.js'

/**
 * Colour only on a TTY, never with NO_COLOR or --no-color.
 * The colour codes come out with `escToken()` in place of ESC (see safe.ts): `toTerminal`, applied to
 * every human rendering, escapes any ESC that came with a name and only then turns the token into ESC.
 */
export function makeStyle(opts: {noColor?: boolean; stream?: NodeJS.WriteStream} = {}): ChalkInstance {
  const stream = opts.stream ?? process.stdout
  const enabled = !opts.noColor && !('NO_COLOR' in process.env && process.env.NO_COLOR !== '') && stream.isTTY === true
  const chalk = new Chalk({level: enabled ? 1 : 0})
  return enabled ? tokenised(chalk) : chalk
}

/**
 * A chalk (or chalk builder) whose strings carry escToken() instead of ESC, however its styles are
 * chained. The proxy's target is a blank function (chalk's own properties are non-configurable,
 * which a proxy may not alter); every access goes to the real chalk.
 */
function tokenised(real: object): ChalkInstance {
  const blank = (() => {}) as unknown as ChalkInstance
  return new Proxy(blank, {
    get(_t, p) {
      const v: unknown = Reflect.get(real, p)
      return typeof v === 'function' ? tokenised(v as object) : v
    },
    apply(_t, thisArg, args) {
      const out: unknown = Reflect.apply(real as (...a: unknown[]) => unknown, thisArg, args)
      return typeof out === 'string' ? out.replaceAll('\u001B', escToken()) : out
    },
  })
}

export type Style = ChalkInstance
