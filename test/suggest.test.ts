import {describe, expect, it} from 'vitest'

import {nearestCommands} from '../src/lib/cli/entry.js'
import {notFound} from '../src/lib/cli/errors.js'
import {didYouMeanText, editDistance, suggest} from '../src/lib/cli/suggest.js'

describe('did-you-mean', () => {
  it('edit distance counts a swap of neighbours as one', () => {
    expect(editDistance('hots', 'host')).toBe(1)
    expect(editDistance('leaf', 'leaf')).toBe(0)
    expect(editDistance('kitten', 'sitting')).toBe(3)
    expect(editDistance('a', 'abcdef', 2)).toBe(3) // bounded: stops past max
  })

  it('suggests the nearest names, zero-padding variants first, nothing when nothing is near', () => {
    const seedHosts = Array.from({length: 200}, (_, i) => `az1-h${String(i + 1).padStart(4, '0')}`)
    expect(suggest('az1-h01', seedHosts)[0]).toBe('az1-h0001')
    expect(suggest('az1-leaf1a', ['az1-leaf01a', 'az1-leaf01b', 'az2-leaf01a', 'spine1'])).toEqual([
      'az1-leaf01a',
      'az1-leaf01b',
      'az2-leaf01a',
    ])
    expect(suggest('zzzzzz', ['az1-h01', 'az1-h02'])).toEqual([])
    expect(didYouMeanText(['a'])).toBe('Did you mean a?')
    expect(didYouMeanText(['a', 'b', 'c'])).toBe('Did you mean a, b or c?')
  })

  it('notFound carries the suggestions in its message and details', () => {
    const e = notFound('host', 'az1-h01', 'List hosts with `fabricctl host list`.', ['az1-h0001', 'az1-h0002'])
    expect(e.message).toBe('No host named "az1-h01". Did you mean az1-h0001?')
    expect(e.exitCode).toBe(2)
    expect(e.toJSON().error).toMatchObject({code: 'HOST_NOT_FOUND', details: {suggestions: ['az1-h0001']}})
    expect(notFound('host', 'x', 'h').details).toBeUndefined()
  })

  it('nearest commands compare as many words as the command has', () => {
    const ids = [
      'host list',
      'host show',
      'host',
      'port list',
      'port',
      'leaf push',
      'leaf',
      'sim fault clear',
      'sim fault',
      'sim',
    ]
    expect(nearestCommands(['hots', 'list'], ids)).toEqual(['host list'])
    expect(nearestCommands(['prot'], ids)).toEqual(['port'])
    expect(nearestCommands(['sim', 'fualt', 'clear'], ids)).toEqual(['sim fault clear'])
    expect(nearestCommands(['qqqqqq'], ids)).toEqual([])
  })
})
