import {describe, expect, it} from 'vitest'

import {hoistGlobalFlags} from '../../src/lib/cli/argv.js'

describe('global flags before the command', () => {
  it('moves leading global flags behind the command arguments', () => {
    expect(hoistGlobalFlags(['--context', 'lab', 'host', 'list'])).toEqual(['host', 'list', '--context', 'lab'])
    expect(hoistGlobalFlags(['--json', '--context=lab', 'host', 'show', 'h1'])).toEqual([
      'host',
      'show',
      'h1',
      '--json',
      '--context=lab',
    ])
    expect(hoistGlobalFlags(['--debug', 'trace', 'a', '--', 'b'])).toEqual(['trace', 'a', '--debug', '--', 'b'])
  })

  it('leaves everything else alone', () => {
    expect(hoistGlobalFlags(['host', 'list', '--context', 'lab'])).toEqual(['host', 'list', '--context', 'lab'])
    expect(hoistGlobalFlags(['--version'])).toEqual(['--version'])
    expect(hoistGlobalFlags(['--context', 'lab'])).toEqual(['--context', 'lab'])
    expect(hoistGlobalFlags([])).toEqual([])
  })
})
