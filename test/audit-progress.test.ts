// The live fleet view (ink 6 + react 19), rendered with ink-testing-library from the real model.
import {render} from 'ink-testing-library'
import React from 'react'
import {describe, expect, it} from 'vitest'

import {AuditProgress, ProgressModel} from '../src/lib/audit/progress.js'

describe('audit progress view', () => {
  it('shows done/total, verdict counts, hosts in flight and the latest problems', async () => {
    const model = new ProgressModel()
    const view = render(React.createElement(AuditProgress, {model}))
    model.plan(['h1', 'h2', 'h3'])
    model.start('h1')
    model.start('h2')
    model.finish({
      host: 'h1',
      az: null,
      address: null,
      source: 'ssh',
      verdict: 'unreachable',
      failure: {code: 'SSH_TIMEOUT', message: 'x', hint: null},
      elapsedMs: 1,
      checks: [],
      findings: [],
      facts: null,
      instances: null,
    })
    await new Promise(resolve => setTimeout(resolve, 250))
    const frame = view.lastFrame()!
    expect(frame).toMatch(/audit hosts \[.*\] 1\/3/)
    expect(frame).toMatch(/unreachable 1/)
    expect(frame).toMatch(/running: h2/)
    expect(frame).toMatch(/unreachable\s+h1 SSH_TIMEOUT/)
    view.unmount()
  })
})
