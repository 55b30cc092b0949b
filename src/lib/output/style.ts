import {Chalk, type ChalkInstance} from 'chalk'

/** Colour only on a TTY, never with NO_COLOR or --no-color. */
export function makeStyle(opts: {noColor?: boolean; stream?: NodeJS.WriteStream} = {}): ChalkInstance {
  const stream = opts.stream ?? process.stdout
  const enabled = !opts.noColor && !('NO_COLOR' in process.env && process.env.NO_COLOR !== '') && stream.isTTY === true
  return new Chalk({level: enabled ? 1 : 0})
}

export type Style = ChalkInstance
