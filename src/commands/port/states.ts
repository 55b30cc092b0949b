import {Flags} from '@oclif/core'

import {FabricCommand} from '../../lib/cli/base-command.js'
import {FabricError, usageError} from '../../lib/cli/errors.js'
import {EXIT} from '../../lib/cli/exit-codes.js'

export default class PortStates extends FabricCommand {
  static override summary =
    'Count ports per UNDERLAY_OVERLAY state, grouped by AZ, host, leaf or network (the port-state panel).'
  static override description = `The non-healthy states come first (any ERROR, then BUILD, then DOWN), ACTIVE_ACTIVE last;
groups with the most non-healthy ports first. With --by leaf a port counts under each leaf
its host is cabled to. Live: the underlay is Neutron's status, the overlay its
data_plane_status (unset: BUILD when bound, DOWN when not).

--watch keeps a live panel on the terminal (stderr), refreshed every --interval seconds;
q or Ctrl-C quits. It needs a terminal: without one (a pipe, cron, CI) it is refused with
exit 2 rather than silently printing once — run without --watch there.

--verify counts from evidence too: every port is diagnosed in bulk (as port diagnose --all)
and each group shows its verified states (ACTIVE_ACTIVE, NOT_ACTIVE, UNKNOWN), the ports
recorded ACTIVE_ACTIVE but broken, and a table of broken ports by cause. Works with --by,
--watch and --json. --output prometheus prints the same series the exporter serves, once
(for node_exporter's textfile collector). Docs: docs/diagnose.md, docs/exporter.md.`

  static override examples = [
    '<%= config.bin %> port states',
    '<%= config.bin %> port states --by leaf',
    '<%= config.bin %> port states --by host --json',
    '<%= config.bin %> port states --watch --interval 5',
    '<%= config.bin %> port states --verify --by leaf',
    '<%= config.bin %> port states --verify --output prometheus > /var/lib/node_exporter/fabricctl.prom.$$ && mv /var/lib/node_exporter/fabricctl.prom.$$ /var/lib/node_exporter/fabricctl.prom',
  ]

  static override flags = {
    by: Flags.string({description: 'Group by.', options: ['az', 'host', 'leaf', 'network'], default: 'az'}),
    watch: Flags.boolean({
      description: 'Keep a live panel refreshing on the terminal (q or Ctrl-C quits).',
      default: false,
    }),
    interval: Flags.integer({description: 'With --watch: seconds between refreshes.', default: 2, min: 1, max: 3600}),
    top: Flags.integer({
      description: 'Show at most this many groups (the least healthy first); JSON always has all.',
      min: 1,
    }),
    verify: Flags.boolean({
      description:
        'Also count from evidence: diagnose every port in bulk and show verified states, "recorded ACTIVE_ACTIVE but broken", and broken ports by cause.',
      default: false,
    }),
    output: Flags.string({
      description:
        "prometheus: print the port-state series once (exposition format, for node_exporter's textfile collector); with --verify the verified series too.",
      options: ['prometheus'],
    }),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(PortStates)
    const by = flags.by as 'az' | 'host' | 'leaf' | 'network'
    if (flags.watch && flags.json)
      throw usageError(
        'WATCH_WITH_JSON',
        '--watch is a live terminal view; --json prints one document.',
        '--watch --json',
        'Use one of them.',
      )
    if (flags.watch && !(process.stderr.isTTY && process.stdin.isTTY)) {
      throw usageError(
        'WATCH_NEEDS_TTY',
        '--watch needs a terminal (stdin and stderr must be a TTY).',
        '--watch',
        'Run it in a terminal, or drop --watch to print the counts once (add --json for scripts).',
      )
    }
    if (flags.output === 'prometheus' && (flags.json || flags.watch)) {
      throw usageError(
        'OUTPUT_CONFLICT',
        '--output prometheus prints the exposition format once; it cannot be combined with --json or --watch.',
        flags.json ? '--json --output prometheus' : '--watch --output prometheus',
        'Use one of them.',
      )
    }
    const {portStates} = await import('../../lib/diagnose/states.js')
    const fabric = await this.openFabric(flags.context)
    if (flags.output === 'prometheus') {
      const [{gather}, {exposition}] = await Promise.all([
        import('../../lib/metrics/gather.js'),
        import('../../lib/metrics/series.js'),
      ])
      const snap = await gather(fabric, {parts: flags.verify ? ['ports', 'verify'] : ['ports']})
      process.stdout.write(await exposition(snap))
      const failed = [snap.ports, snap.verify].filter(o => o && !o.ok)
      if (failed.length > 0)
        throw new FabricError({
          code: 'GATHER_FAILED',
          message: `Reading the port states failed: ${failed.map(o => o!.error).join('; ')}`,
          hint: 'The series of the failed part are left out (fabricctl_gather_success 0); fix the cause and run again.',
          exitCode: EXIT.PARTIAL,
        })
      return
    }
    type Loaded = Awaited<ReturnType<typeof portStates>> | import('../../lib/metrics/verified.js').VerifiedStatesResult
    const load: () => Promise<Loaded> = flags.verify
      ? async () => (await import('../../lib/metrics/verified.js')).verifiedPortStates(fabric, by)
      : () => portStates(fabric, by)
    if (flags.watch) {
      const {runStatesWatch} = await import('../../lib/diagnose/watch.js')
      await runStatesWatch({
        load,
        intervalMs: flags.interval * 1000,
        maxRows: flags.top ?? Math.max(5, (process.stderr.rows ?? 30) - 10),
        title: `Port states by ${by}${flags.verify ? ', verified' : ''} (${fabric.context.name})`,
      })
      return
    }
    const r = await load()
    if ('verified' in r && r.verified) {
      const {renderVerified} = await import('../../lib/metrics/render.js')
      this.emit(
        {kind: 'PortStates', schemaVersion: 1, context: fabric.context.name, backend: fabric.info.backend, ...r},
        () => renderVerified(r, {top: flags.top}, this.style),
      )
      return
    }
    const {renderTable} = await import('../../lib/output/table.js')
    this.emit(
      {kind: 'PortStates', schemaVersion: 1, context: fabric.context.name, backend: fabric.info.backend, ...r},
      () => {
        const rows = flags.top ? r.groups.slice(0, flags.top) : r.groups
        const paint = (s: string, v: number | undefined) =>
          v === undefined
            ? '-'
            : s === 'ACTIVE_ACTIVE' || v === 0
              ? String(v)
              : s.includes('ERROR')
                ? this.style.red(String(v))
                : this.style.yellow(String(v))
        const table = renderTable(
          [...rows, {key: 'all', total: r.total, unhealthy: r.unhealthy, states: r.totals}],
          [
            {header: by, get: g => g.key},
            {header: 'total', get: g => g.total, align: 'right'},
            {header: 'not-ok', get: g => g.unhealthy, align: 'right'},
            ...r.states.map(s => ({
              header: s,
              get: (g: {states: Record<string, number>}) => paint(s, g.states[s]),
              align: 'right' as const,
            })),
          ],
          {empty: 'No ports.'},
        )
        return [
          table,
          ...(rows.length < r.groups.length
            ? [`(${r.groups.length - rows.length} more groups; drop --top to see all)`]
            : []),
          ...(r.note ? [this.style.dim(r.note)] : []),
        ].join('\n')
      },
    )
  }
}
