/**
 * `--json` output (issue 16). Small documents (and any on a terminal) are pretty-printed as before; a document
 * whose compact form exceeds PRETTY_LIMIT is written compact, and streamed: a large top-level array is written
 * element by element in batches, so no single string of the whole document is built. The bytes are exactly
 * `JSON.stringify(doc)` (compact) or `JSON.stringify(doc, null, 2)` (pretty).
 * FABRICCTL_JSON=pretty|compact forces one format.
 */
export const PRETTY_LIMIT = 64 * 1024
const BATCH = 256 * 1024
const STREAM_ARRAY_OVER = 64

export interface JsonWriteOptions {
  write?: (chunk: string) => void
  /** Applied to every chunk written (each chunk holds whole values, never a split string). */
  transform?: (chunk: string) => string
  tty?: boolean
  env?: NodeJS.ProcessEnv
}

/** The compact serialisation of `doc`, as pieces (top-level arrays element by element). */
export function* compactPieces(doc: object): Generator<string> {
  yield '{'
  let first = true
  for (const [key, raw] of Object.entries(doc)) {
    const value =
      raw !== null && typeof raw === 'object' && typeof (raw as {toJSON?: unknown}).toJSON === 'function'
        ? (raw as {toJSON(): unknown}).toJSON()
        : raw
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') continue
    yield `${first ? '' : ','}${JSON.stringify(key)}:`
    first = false
    if (Array.isArray(value) && value.length > STREAM_ARRAY_OVER) {
      yield '['
      for (let i = 0; i < value.length; i++) yield `${i === 0 ? '' : ','}${JSON.stringify(value[i]) ?? 'null'}`
      yield ']'
    } else {
      yield JSON.stringify(value)
    }
  }
  yield '}'
}

export function writeJson(doc: object, opts: JsonWriteOptions = {}): void {
  const write = opts.write ?? ((s: string) => void process.stdout.write(s))
  const out = opts.transform ? (s: string) => write(opts.transform!(s)) : write
  const env = opts.env ?? process.env
  const mode =
    env.FABRICCTL_JSON === 'pretty' || env.FABRICCTL_JSON === 'compact'
      ? env.FABRICCTL_JSON
      : (opts.tty ?? process.stdout.isTTY)
        ? 'pretty'
        : 'auto'
  if (mode === 'pretty') {
    out(`${JSON.stringify(doc, null, 2)}\n`)
    return
  }
  let buf = ''
  let streaming = mode === 'compact'
  for (const piece of compactPieces(doc)) {
    buf += piece
    if (buf.length >= (streaming ? BATCH : PRETTY_LIMIT)) {
      streaming = true
      out(buf)
      buf = ''
    }
  }
  if (!streaming) {
    out(`${JSON.stringify(doc, null, 2)}\n`) // small: readable
    return
  }
  out(`${buf}\n`)
}

/**
 * A compact JSON document whose array `key` is written item by item as items arrive (memory flat in the
 * number of items): `{...head, [key]: [items...], ...tail}` — the tail fields (totals known only at the end)
 * come after the array.
 */
export function jsonDocumentStream(head: object, key: string, opts: JsonWriteOptions = {}) {
  const write = opts.write ?? ((s: string) => void process.stdout.write(s))
  const out = opts.transform ? (s: string) => write(opts.transform!(s)) : write
  const headText = JSON.stringify(head)
  let buf = `${headText.slice(0, -1)}${headText.length > 2 ? ',' : ''}${JSON.stringify(key)}:[`
  let n = 0
  return {
    item(value: unknown): void {
      buf += `${n++ === 0 ? '' : ','}${JSON.stringify(value) ?? 'null'}`
      if (buf.length >= BATCH) {
        out(buf)
        buf = ''
      }
    },
    end(tail: object): void {
      const tailText = JSON.stringify(tail)
      out(`${buf}]${tailText.length > 2 ? `,${tailText.slice(1)}` : '}'}\n`)
    },
  }
}

/** Whether `--json` output of about `items` items should stream compact (see writeJson's rules). */
export function shouldStreamJson(items: number, opts: {tty?: boolean; env?: NodeJS.ProcessEnv} = {}): boolean {
  const env = opts.env ?? process.env
  if (env.FABRICCTL_JSON === 'pretty') return false
  if (env.FABRICCTL_JSON === 'compact') return true
  return !(opts.tty ?? process.stdout.isTTY) && items > STREAM_ITEMS_OVER
}

/** Items (hosts, ports) above which a streamed document is surely larger than PRETTY_LIMIT. */
export const STREAM_ITEMS_OVER = 100
