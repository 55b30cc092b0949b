/**
 * A live progress view for `leaf push --all` on a TTY: ink (and react) are imported only here,
 * only when stderr is a terminal. Renders on stderr, so stdout keeps the result (or the JSON).
 */
export interface Progress {
  start(leaf: string): void
  done(leaf: string, status: string): void
  stop(): Promise<void>
}

const NOOP: Progress = {start() {}, done() {}, async stop() {}}

export async function startProgress(title: string, total: number, enabled: boolean): Promise<Progress> {
  if (!enabled || !process.stderr.isTTY || total < 2) return NOOP
  const React = await import('react')
  const {render, Box, Text} = await import('ink')
  const h = React.createElement
  const state = {running: new Set<string>(), counts: new Map<string, number>(), finished: 0, last: [] as string[]}
  const View = () => {
    const pct = Math.round((state.finished / total) * 100)
    const width = 30
    const filled = Math.round((state.finished / total) * width)
    return h(
      Box,
      {flexDirection: 'column'},
      h(
        Text,
        null,
        `${title}  [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${state.finished}/${total} (${pct}%)`,
      ),
      h(Text, {dimColor: true}, [...state.counts].map(([s, n]) => `${s} ${n}`).join('  ') || ' '),
      h(
        Text,
        {dimColor: true},
        state.running.size > 0
          ? `in progress: ${[...state.running].slice(0, 6).join(', ')}${state.running.size > 6 ? ', …' : ''}`
          : ' ',
      ),
    )
  }
  const app = render(h(View), {
    stdout: process.stderr as unknown as NodeJS.WriteStream,
    patchConsole: false,
    exitOnCtrlC: false,
  })
  let pending = false
  const redraw = () => {
    if (pending) return
    pending = true
    setTimeout(() => {
      pending = false
      app.rerender(h(View))
    }, 50)
  }
  return {
    start(leaf) {
      state.running.add(leaf)
      redraw()
    },
    done(leaf, status) {
      state.running.delete(leaf)
      state.finished++
      state.counts.set(status, (state.counts.get(status) ?? 0) + 1)
      redraw()
    },
    async stop() {
      app.rerender(h(View))
      app.unmount()
      await app.waitUntilExit().catch(() => undefined)
    },
  }
}
