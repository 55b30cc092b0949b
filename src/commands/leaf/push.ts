import {Args, Flags} from '@oclif/core'

import {ResultCommand} from '../../lib/cli/base-command.js'
import {dryRunFlag} from '../../lib/cli/flags.js'
import {EXIT, type ExitCode} from '../../lib/cli/exit-codes.js'
import {beforeUnit, INTERRUPTED_EXIT, type InterruptWatch, watchInterrupts} from '../../lib/cli/interrupt.js'
import type {ResultOf} from '../../lib/cli/result.js'
import type {PushResult} from '../../lib/leaf/engine.js'
import {renderPush} from '../../lib/leaf/render.js'

export default class LeafPush extends ResultCommand<'LeafPush'> {
  protected readonly kind = 'LeafPush'
  static override summary = 'Bring leaves to their desired state: diff, apply, verify, record last-known-good.'
  static override description = `For each leaf: read the running state, diff it against the desired state, apply the diff, read
back and verify, and record the result as last-known-good. A leaf that already matches is left
alone ("unchanged"). A failure part-way rolls the leaf back and says which step failed: an FRR leaf to
the state it ran just before the push (what others changed on it stays), the simulated one to its
last-known-good state. FRR leaves: the candidate is checked with vtysh --dryrun and frr-reload.py --test
before anything is applied; the FRR part is applied with frr-reload.py --reload, the kernel part
(bridges, vxlan devices, host ports) with iproute2. Only what fabricctl manages on the leaf is changed
(the context's \`manage\` scope; by default what fabricctl created); a desired state that needs anything
else is refused (exit 4). A failed verify (EVPN sessions, VNIs and their remote VTEPs, bridge membership)
rolls the leaf back unless --no-verify.

Each leaf's push holds a lock on the leaf itself (flock under /run/fabricctl); a second push waits up to
--lock-wait, then is refused (exit 4) naming the holder. --confirm-within DURATION arms a revert on the
leaf that puts the pre-push state back (kernel devices, FRR, /etc/frr/frr.conf) unless
\`fabricctl leaf confirm LEAF\` comes first; \`fabricctl leaf pending\` lists armed reverts.

--max-changes is a safety gate: a push with more changes (over all targeted leaves) is refused
(exit 4, nothing changed) unless --force. With --all, leaves are pushed --concurrency at a time;
one failed leaf does not stop the others (exit 3). A live progress view is shown on stderr on a TTY.`

  static override examples = [
    '<%= config.bin %> leaf push az1-leaf01a --dry-run',
    '<%= config.bin %> leaf push az1-leaf01a --max-changes 10',
    '<%= config.bin %> leaf push --port checkout-az1-000012',
    '<%= config.bin %> leaf push --all --concurrency 8 --json',
    '<%= config.bin %> leaf push az1-leaf01a --confirm-within 2m',
  ]

  static override args = {leaf: Args.string({description: 'Leaf name (or use --port / --all).'})}
  static override flags = {
    all: Flags.boolean({description: 'Every leaf.', exclusive: ['leaf', 'port']}),
    port: Flags.string({
      description: 'The leaves of the host this port (name, id or IP) is bound to.',
      exclusive: ['leaf', 'all'],
    }),
    'dry-run': dryRunFlag('Show the diff and what would be done on each leaf; change nothing.'),
    'max-changes': Flags.integer({
      description: 'Refuse (exit 4) a push with more changes than this, over all targeted leaves.',
      min: 0,
    }),
    force: Flags.boolean({description: 'Push even when --max-changes is exceeded.'}),
    concurrency: Flags.integer({description: 'Leaves pushed at once.', default: 4, min: 1, max: 64}),
    'no-verify': Flags.boolean({
      description: 'Keep the applied change even when verify fails (the failed checks are still reported).',
    }),
    'lock-wait': Flags.string({
      description:
        "How long to wait for the leaf's push lock when another push holds it (e.g. 30s, 2m); then refuse (exit 4).",
      default: '30s',
    }),
    'confirm-within': Flags.string({
      description:
        'Commit-confirm: arm a revert on the leaf that restores the pre-push state after DURATION (e.g. 2m) unless `fabricctl leaf confirm LEAF` disarms it.',
      helpValue: 'DURATION',
    }),
  }

  // The progress view (TTY) and the SIGINT notices go to stderr while run() works; the result is printed after.
  async run(): Promise<ResultOf<'LeafPush'>> {
    const {args, flags} = await this.parse(LeafPush)
    const started = performance.now()
    const {parseDuration} = await import('../../lib/metrics/exporter.js')
    const lockWaitMs = parseDuration(flags['lock-wait'], '--lock-wait', {minMs: 0, maxMs: 3_600_000})
    const confirmWithinS =
      flags['confirm-within'] === undefined
        ? undefined
        : parseDuration(flags['confirm-within'], '--confirm-within', {minMs: 5000, maxMs: 86_400_000}) / 1000
    const fabric = await this.openFabric(flags.context)
    const {openLeafService, mapLimit} = await import('../../lib/leaf/service.js')
    const svc = await openLeafService(fabric)
    const targets = await svc.targets({leaf: args.leaf, all: flags.all, port: flags.port})
    const max = flags['max-changes'] ?? null
    const dryRun = Boolean(flags['dry-run'])
    let gate: {totalChanges: number; refused: boolean} | null = null
    let results: PushResult[] | undefined
    let watch: InterruptWatch | undefined
    if (targets.length > 1 && max !== null && !flags.force) {
      // One gate over the whole push: read every leaf first, refuse everything if the total is too large.
      const diffs = await mapLimit(targets, flags.concurrency, leaf => svc.diff(leaf))
      const total = diffs.reduce((a, d) => a + d.changes.length, 0)
      gate = {totalChanges: total, refused: total > max}
      if (gate.refused) {
        results = diffs.map(d => ({
          leaf: d.leaf,
          driver: d.driver,
          status:
            d.status === 'unreachable'
              ? ('unreachable' as const)
              : d.changes.length
                ? ('refused' as const)
                : ('unchanged' as const),
          changes: d.changes,
          summary: d.summary,
          plan: [],
          inverse: [],
          checks: [],
          durationMs: 0,
          ...(d.error ? {error: d.error} : {}),
        }))
      }
    }
    if (!results) {
      const {startProgress} = await import('../../lib/leaf/progress.js')
      const progress = await startProgress(dryRun ? 'leaf push --dry-run' : 'leaf push', targets.length, true)
      const opts = {
        dryRun,
        force: flags.force || targets.length > 1,
        maxChanges: max ?? undefined,
        noVerify: flags['no-verify'],
        lockWaitMs,
        confirmWithinS,
      }
      // SIGINT/SIGTERM: no new leaf is started; a leaf in hand finishes (or its push rolls back); the rest is reported.
      watch = watchInterrupts('finishing the leaf push in hand, then reporting')
      try {
        results = await mapLimit(
          targets,
          Math.min(flags.concurrency, fabric.maxConcurrency ?? Infinity),
          async leaf => {
            // Lets the progress view draw between simulated (synchronous) pushes, and pending signals be seen.
            await beforeUnit(leaf)
            if (watch!.signal) return undefined as unknown as PushResult
            progress.start(leaf)
            return svc.push(leaf, opts)
          },
          (leaf, r) => r && progress.done(leaf, r.status),
          () => watch!.signal !== undefined,
        )
      } finally {
        watch.dispose()
        await progress.stop()
      }
    }
    const done = results.filter(Boolean)
    const notStarted = targets.filter((_, i) => !results![i])
    const interrupted = watch?.signal
      ? {
          signal: watch.signal,
          notStarted,
          note: `Stopped by ${watch.signal}: ${leaves(done.filter(r => r.status === 'applied').length)} applied, ${done.length} finished, ${notStarted.length} not started. Run the push again to do the rest.`,
        }
      : undefined
    const n = (st: string) => done.filter(r => r.status === st).length
    const totals = {
      leaves: results.length,
      applied: n('applied'),
      unchanged: n('unchanged'),
      planned: n('planned'),
      refused: n('refused'),
      failed: n('failed'),
      unreachable: n('unreachable'),
      changes: done.reduce((a, r) => a + r.changes.length, 0),
    }
    return {
      dryRun,
      maxChanges: max,
      force: Boolean(flags.force),
      gate,
      leaves: done,
      totals,
      elapsedMs: Math.round(performance.now() - started),
      ...(interrupted ? {interrupted} : {}),
    }
  }

  protected render(r: ResultOf<'LeafPush'>): string {
    return (
      renderPush(r.leaves, this.style, {dryRun: r.dryRun, gate: r.gate && {...r.gate, max: r.maxChanges}}) +
      (r.interrupted ? `\n\n${r.interrupted.note}\nNot started: ${r.interrupted.notStarted.join(', ')}` : '')
    )
  }

  protected override exitCode({interrupted, totals}: ResultOf<'LeafPush'>): ExitCode {
    if (interrupted) return INTERRUPTED_EXIT
    return totals.failed + totals.unreachable > 0 ? EXIT.PARTIAL : totals.refused > 0 ? EXIT.REFUSED : EXIT.OK
  }
}

const leaves = (n: number) => `${n} ${n === 1 ? 'leaf' : 'leaves'}`
