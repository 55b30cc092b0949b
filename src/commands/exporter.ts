import {Flags} from '@oclif/core'

import {FabricCommand} from '../lib/cli/base-command.js'
import {FabricError, usageError} from '../lib/cli/errors.js'
import {EXIT} from '../lib/cli/exit-codes.js'

export default class Exporter extends FabricCommand {
  static override summary =
    "Serve the fabric's port states (recorded and verified), audit findings and leaf drift as Prometheus metrics."
  static override description = `Listens on --listen (default 127.0.0.1:9469, loopback) and answers GET /metrics in the
Prometheus text format. Every --interval one gather reads the fabric in a worker thread —
recorded port states (ports), diagnose's verdicts in bulk (verify), the host audit (audit), every
leaf's verify (leaves) — and its result is served to every scrape until the next one, so scrapes
cost nothing on the fabric. A gather is stopped after --timeout; a part that fails drops its
series (Prometheus marks them stale) and sets fabricctl_gather_success{part} to 0; the exporter
keeps running. SIGTERM or SIGINT stops it cleanly (exit 0).

A non-loopback --listen address is refused (exit 4) unless --allow-remote is given: the metrics
name hosts, leaves and networks. Series, labels and a scrape config: docs/exporter.md.`

  static override examples = [
    '<%= config.bin %> exporter',
    '<%= config.bin %> exporter --listen 127.0.0.1:9469 --interval 30s',
    '<%= config.bin %> exporter --context lab --gather ports,verify,leaves --interval 1m --timeout 50s',
    '<%= config.bin %> exporter --listen 10.0.0.5:9469 --allow-remote',
  ]

  static override flags = {
    listen: Flags.string({
      description: 'HOST:PORT to listen on (an IP address or localhost; port 0: any free port).',
      default: '127.0.0.1:9469',
    }),
    interval: Flags.string({
      description: 'Time between gathers: 30s, 1m, 1500ms (bare number: seconds); 1s to 24h.',
      default: '30s',
    }),
    timeout: Flags.string({
      description:
        'Budget of one gather (default: the interval, at least 2m); an overrun gather is stopped and counts as failed.',
    }),
    gather: Flags.string({description: `Parts to gather, comma-separated: ports,verify,audit,leaves (default: all).`}),
    'allow-remote': Flags.boolean({description: 'Allow a --listen address that is not loopback.', default: false}),
    'audit-concurrency': Flags.integer({
      description: 'Audit: hosts read at once (live: over SSH).',
      default: 16,
      min: 1,
      max: 512,
    }),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Exporter)
    const {isLoopback, parseDuration, parseListen, parseParts, runExporter} = await import('../lib/metrics/exporter.js')
    if (flags.json)
      throw usageError(
        'EXPORTER_JSON',
        'The exporter serves Prometheus metrics over HTTP; it prints no JSON document.',
        '--json',
        'Drop --json; for one JSON snapshot use `port states --verify --json` or `audit hosts --json`.',
      )
    const listen = parseListen(flags.listen)
    const intervalMs = parseDuration(flags.interval, '--interval', {minMs: 1000, maxMs: 86_400_000})
    const timeoutMs =
      flags.timeout === undefined
        ? Math.max(intervalMs, 120_000)
        : parseDuration(flags.timeout, '--timeout', {minMs: 100, maxMs: 86_400_000})
    const parts = parseParts(flags.gather)
    if (!isLoopback(listen.host) && !flags['allow-remote']) {
      throw new FabricError({
        code: 'LISTEN_NOT_LOOPBACK',
        message: `--listen ${flags.listen} is not a loopback address: the metrics would be reachable from the network.`,
        value: flags.listen,
        hint: 'Listen on 127.0.0.1 (the default) behind your Prometheus agent, or pass --allow-remote to expose it on purpose.',
        exitCode: EXIT.REFUSED,
      })
    }
    const {context} = await this.context(flags.context)
    await runExporter({
      context,
      listen,
      intervalMs,
      timeoutMs,
      gather: {parts, auditConcurrency: flags['audit-concurrency'], auditTimeoutMs: Math.min(60_000, timeoutMs)},
      log: line => this.notice(line),
    })
  }
}
