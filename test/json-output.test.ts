// Issue 16: --json output — small documents pretty, large ones compact and streamed, same content.
import {describe, expect, it} from 'vitest'

import {jsonDocumentStream, PRETTY_LIMIT, shouldStreamJson, writeJson} from '../src/lib/output/json.js'

const big = {
  kind: 'X',
  schemaVersion: 1,
  skip: undefined,
  when: new Date(0),
  items: Array.from({length: 5000}, (_, i) => ({i, name: `item-${i}`, gone: undefined, list: [i, undefined]})),
}

function capture(fn: (write: (s: string) => void) => void): {text: string; chunks: number} {
  const parts: string[] = []
  fn(s => parts.push(s))
  return {text: parts.join(''), chunks: parts.length}
}

describe('writeJson', () => {
  it('writes a large document compact, in several chunks, byte-identical to JSON.stringify', () => {
    const {text, chunks} = capture(write => writeJson(big, {write, tty: false, env: {}}))
    expect(text).toBe(`${JSON.stringify(big)}\n`)
    expect(text.length).toBeGreaterThan(PRETTY_LIMIT)
    expect(chunks).toBeGreaterThan(1)
  })

  it('pretty-prints small documents, any document on a terminal, and when FABRICCTL_JSON=pretty', () => {
    const small = {kind: 'Y', schemaVersion: 1, items: [1, 2, 3]}
    expect(capture(write => writeJson(small, {write, tty: false, env: {}})).text).toBe(
      `${JSON.stringify(small, null, 2)}\n`,
    )
    expect(capture(write => writeJson(big, {write, tty: true, env: {}})).text).toBe(`${JSON.stringify(big, null, 2)}\n`)
    expect(capture(write => writeJson(big, {write, tty: false, env: {FABRICCTL_JSON: 'pretty'}})).text).toBe(
      `${JSON.stringify(big, null, 2)}\n`,
    )
    expect(capture(write => writeJson(small, {write, tty: true, env: {FABRICCTL_JSON: 'compact'}})).text).toBe(
      `${JSON.stringify(small)}\n`,
    )
  })
})

describe('jsonDocumentStream', () => {
  it('streams the array between head and tail fields and parses to the same document', () => {
    const items = [...big.items, ...big.items, ...big.items, ...big.items]
    const {text, chunks} = capture(write => {
      const s = jsonDocumentStream({kind: 'AuditReport', schemaVersion: 1}, 'hosts', {write})
      for (const h of items) s.item(h)
      s.end({exitCode: 1, summary: {hosts: items.length}})
    })
    expect(chunks).toBeGreaterThan(1)
    expect(JSON.parse(text)).toEqual(
      JSON.parse(
        JSON.stringify({
          kind: 'AuditReport',
          schemaVersion: 1,
          hosts: items,
          exitCode: 1,
          summary: {hosts: items.length},
        }),
      ),
    )
    const empty = capture(write => jsonDocumentStream({}, 'hosts', {write}).end({})).text
    expect(JSON.parse(empty)).toEqual({hosts: []})
  })

  it('streams only off a terminal and above the item threshold, unless forced', () => {
    expect(shouldStreamJson(10_000, {tty: false, env: {}})).toBe(true)
    expect(shouldStreamJson(10, {tty: false, env: {}})).toBe(false)
    expect(shouldStreamJson(10_000, {tty: true, env: {}})).toBe(false)
    expect(shouldStreamJson(10_000, {tty: false, env: {FABRICCTL_JSON: 'pretty'}})).toBe(false)
    expect(shouldStreamJson(1, {tty: true, env: {FABRICCTL_JSON: 'compact'}})).toBe(true)
  })
})
