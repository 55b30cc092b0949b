// A vitest reporter (beside the default one) that ends the run with the skipped tests and why:
// the note of ctx.skip(note), else the "(skipped: reason)" the live files put in their describe
// titles, else the title of the suite whose condition skipped it. One line per reason and file.
import type {Reporter, TestModule} from 'vitest/node'

type Node = {name?: string; type?: string; parent?: Node}

/** The reason a skipped test gives: its note, else the nearest "(skipped: ...)" suite title, else that suite's title. */
export function skipReason(note: string | undefined, parents: string[]): string {
  if (note) return note
  for (const name of parents) {
    const m = /\(skipped: (.+)\)\s*$/.exec(name)
    if (m) return m[1]!
  }
  return parents.length ? `skip condition of "${parents[0]}"` : 'skipped (no reason given)'
}

export default class SkipSummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const byReason = new Map<string, Map<string, number>>()
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const r = test.result()
        if (r.state !== 'skipped') continue
        if (test.options.mode === 'todo') continue
        const parents: string[] = []
        for (let p = test.parent as unknown as Node | undefined; p && p.type === 'suite'; p = p.parent)
          if (p.name) parents.push(p.name)
        const reason = skipReason(r.note, parents)
        const files = byReason.get(reason) ?? new Map<string, number>()
        files.set(mod.relativeModuleId, (files.get(mod.relativeModuleId) ?? 0) + 1)
        byReason.set(reason, files)
      }
    }
    if (byReason.size === 0) return
    const lines = ['', ' Skipped tests, and why:']
    for (const [reason, files] of byReason) {
      for (const [file, n] of files) lines.push(`   ${String(n).padStart(3)} in ${file}: ${reason}`)
    }
    process.stdout.write(lines.join('\n') + '\n\n')
  }
}
