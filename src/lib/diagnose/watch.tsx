import {Box, Text, useApp, useInput} from 'ink'
import {useEffect, useRef, useState} from 'react'

import type {PortStatesResult} from './states.js'

/**
 * The live port-state panel (`port states --watch`): a table of groups × states, refreshed every
 * `intervalMs`; q, Esc or Ctrl-C quits. Rendered by ink on stderr (a live view, DESIGN.md §6).
 */
export interface StatesViewProps {
  load: () => Promise<PortStatesResult>
  intervalMs: number
  /** Most groups to show (the worst first). */
  maxRows?: number
  title: string
}

/** `port states --verify --watch`: the verified counts beside the recorded ones (src/lib/metrics/verified.ts). */
interface VerifiedExtra {
  NOT_ACTIVE: number
  UNKNOWN: number
  ACTIVE_ACTIVE: number
  activeButBroken: number
  causes: Record<string, number>
}
type MaybeVerified = {verified?: VerifiedExtra}
const VCOLS = [
  ['VERIFIED-OK', 'ACTIVE_ACTIVE'],
  ['NOT-ACTIVE', 'NOT_ACTIVE'],
  ['UNKNOWN', 'UNKNOWN'],
  ['REC-AA-BROKEN', 'activeButBroken'],
] as const

const stateColour = (s: string): string | undefined =>
  s === 'ACTIVE_ACTIVE' ? 'green' : s.includes('ERROR') ? 'red' : s.includes('BUILD') ? 'yellow' : undefined

export function StatesView({load, intervalMs, maxRows = 20, title}: StatesViewProps) {
  const {exit} = useApp()
  const [data, setData] = useState<PortStatesResult | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [refreshes, setRefreshes] = useState(0)
  const busy = useRef(false)

  useInput((input, key) => {
    if (input === 'q' || key.escape || (key.ctrl && input === 'c')) exit()
  })

  useEffect(() => {
    let alive = true
    const tick = async () => {
      if (busy.current) return
      busy.current = true
      try {
        const r = await load()
        if (alive) {
          setData(r)
          setError(null)
          setRefreshes(n => n + 1)
        }
      } catch (error_) {
        if (alive) setError((error_ as Error).message)
      } finally {
        busy.current = false
      }
    }
    void tick()
    const timer = setInterval(() => void tick(), intervalMs)
    return () => {
      alive = false
      clearInterval(timer)
    }
  }, [load, intervalMs])

  if (!data) return <Text>{error ? <Text color="red">{error}</Text> : 'Loading port states…'}</Text>
  const states = data.states
  const rows = data.groups.slice(0, maxRows)
  const keyW = Math.max(data.by.length, 5, ...rows.map(g => g.key.length))
  const colW = states.map(s =>
    Math.max(s.length, ...rows.map(g => String(g.states[s] ?? '').length), String(data.totals[s] ?? 0).length),
  )
  const cell = (v: number | undefined, i: number) => (v === undefined ? '-' : String(v)).padStart(colW[i]!)
  const ver = (data as MaybeVerified).verified
  const vcells = (g: MaybeVerified, bold = false) =>
    ver
      ? VCOLS.map(([h, k]) => {
          const v = g.verified?.[k] ?? 0
          return (
            <Text
              key={h}
              bold={bold}
              color={v && k !== 'ACTIVE_ACTIVE' ? (k === 'UNKNOWN' ? 'yellow' : 'red') : undefined}
            >{`  ${String(v).padStart(h.length)}`}</Text>
          )
        })
      : null
  const causes = ver ? Object.entries(ver.causes) : []
  return (
    <Box flexDirection="column">
      <Text bold>
        {title} — {data.total} ports,{' '}
        <Text color={data.unhealthy ? 'red' : 'green'}>{data.unhealthy} not ACTIVE_ACTIVE</Text> —{' '}
        {new Date(data.at).toLocaleTimeString()} (every {intervalMs / 1000} s, q to quit)
      </Text>
      <Text> </Text>
      <Text>
        <Text bold>
          {data.by.toUpperCase().padEnd(keyW)} {'TOTAL'.padStart(7)}
        </Text>
        {states.map((s, i) => (
          <Text key={s} bold color={stateColour(s)}>{`  ${s.padStart(colW[i]!)}`}</Text>
        ))}
        {ver ? VCOLS.map(([h]) => <Text key={h} bold>{`  ${h}`}</Text>) : null}
      </Text>
      {rows.map(g => (
        <Text key={g.key}>
          {g.key.padEnd(keyW)} {String(g.total).padStart(7)}
          {states.map((s, i) => (
            <Text
              key={s}
              color={g.states[s] && s !== 'ACTIVE_ACTIVE' ? stateColour(s) : undefined}
            >{`  ${cell(g.states[s], i)}`}</Text>
          ))}
          {vcells(g as MaybeVerified)}
        </Text>
      ))}
      <Text>
        <Text bold>
          {'all'.padEnd(keyW)} {String(data.total).padStart(7)}
        </Text>
        {states.map((s, i) => (
          <Text key={s} bold>{`  ${cell(data.totals[s], i)}`}</Text>
        ))}
        {vcells(data as MaybeVerified, true)}
      </Text>
      {data.groups.length > rows.length ? (
        <Text dimColor>
          … {data.groups.length - rows.length} more {data.by} groups (the healthiest) not shown
        </Text>
      ) : null}
      {ver ? (
        <Text>
          {causes.length ? (
            <Text color="red">broken by cause: {causes.map(([c, n]) => `${c} ${n}`).join(', ')}</Text>
          ) : (
            <Text color="green">no broken ports</Text>
          )}
        </Text>
      ) : null}
      {data.note ? <Text dimColor>{data.note}</Text> : null}
      {error ? <Text color="red">refresh failed: {error}</Text> : null}
      <Text dimColor>refreshed {refreshes}×</Text>
    </Box>
  )
}

/** Run the view until the user quits; resolves then. */
export async function runStatesWatch(props: StatesViewProps): Promise<void> {
  const {render} = await import('ink')
  const app = render(<StatesView {...props} />, {
    stdout: process.stderr,
    stdin: process.stdin,
    exitOnCtrlC: true,
    patchConsole: false,
  })
  await app.waitUntilExit()
}
