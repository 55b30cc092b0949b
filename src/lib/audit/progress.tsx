import {Box, Text, render} from 'ink'
import React, {useEffect, useState} from 'react'

import type {HostAudit, Verdict} from './types.js'

/** The fleet's progress, fed by the audit as hosts start and finish. */
export class ProgressModel {
  total = 0
  running = new Set<string>()
  done = 0
  byVerdict: Partial<Record<Verdict, number>> = {}
  recent: {host: string; verdict: Verdict; detail: string}[] = []
  private listeners = new Set<() => void>()

  plan(hosts: string[]): void {
    this.total = hosts.length
    this.emit()
  }

  start(host: string): void {
    this.running.add(host)
    this.emit()
  }

  finish(h: HostAudit): void {
    this.running.delete(h.host)
    this.done++
    this.byVerdict[h.verdict] = (this.byVerdict[h.verdict] ?? 0) + 1
    if (h.verdict !== 'ok') {
      this.recent.unshift({
        host: h.host,
        verdict: h.verdict,
        detail: h.failure?.code ?? h.findings.find(f => f.severity !== 'info')?.id ?? '',
      })
      this.recent.length = Math.min(this.recent.length, 5)
    }
    this.emit()
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  private emit(): void {
    for (const l of this.listeners) l()
  }
}

const COLOURS: Record<Verdict, string> = {
  ok: 'green',
  unknown: 'magenta',
  warning: 'yellow',
  error: 'red',
  unreachable: 'red',
}

export function AuditProgress({model}: {model: ProgressModel}): React.ReactElement {
  const [, tick] = useState(0)
  useEffect(() => {
    let pending = false
    // Coalesce bursts (a sim fleet finishes thousands of hosts a second) into ~10 renders/s.
    const unsubscribe = model.subscribe(() => {
      if (pending) return
      pending = true
      setTimeout(() => {
        pending = false
        tick(t => t + 1)
      }, 100)
    })
    return () => {
      unsubscribe()
    }
  }, [model])
  const width = 30
  const filled = model.total ? Math.round((model.done / model.total) * width) : 0
  const running = [...model.running].slice(0, 4)
  return (
    <Box flexDirection="column">
      <Text>
        audit hosts [{'█'.repeat(filled)}
        {'░'.repeat(width - filled)}] {model.done}/{model.total}
        {'  '}
        {(['ok', 'unknown', 'warning', 'error', 'unreachable'] as Verdict[])
          .filter(v => model.byVerdict[v])
          .map(v => (
            <Text key={v} color={COLOURS[v]}>{`${v} ${model.byVerdict[v]}  `}</Text>
          ))}
      </Text>
      {running.length > 0 && (
        <Text dimColor>
          running: {running.join(', ')}
          {model.running.size > running.length ? ` +${model.running.size - running.length}` : ''}
        </Text>
      )}
      {model.recent.map(r => (
        <Text key={r.host}>
          <Text color={COLOURS[r.verdict]}>{r.verdict.padEnd(11)}</Text> {r.host} {r.detail}
        </Text>
      ))}
    </Box>
  )
}

/** Mount the live view on stderr; returns a stop function that leaves the last frame in place. */
export function startProgress(model: ProgressModel, stream: NodeJS.WriteStream = process.stderr): () => Promise<void> {
  // A pty without a size (script, some CI shells) reports 0 columns: ink would lay out one character per line.
  if (!stream.columns) Object.defineProperty(stream, 'columns', {value: 100, configurable: true})
  if (!stream.rows) Object.defineProperty(stream, 'rows', {value: 40, configurable: true})
  const app = render(<AuditProgress model={model} />, {
    stdout: stream,
    stderr: stream,
    patchConsole: false,
    exitOnCtrlC: true,
  })
  return async () => {
    await new Promise(resolve => setTimeout(resolve, 120))
    app.unmount()
    await app.waitUntilExit().catch(() => {})
  }
}
