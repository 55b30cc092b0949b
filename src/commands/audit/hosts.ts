import {Args, Flags} from '@oclif/core'

import {FabricCommand} from '../../lib/cli/base-command.js'
import {usageError} from '../../lib/cli/errors.js'
import {INTERRUPTED_EXIT, watchInterrupts} from '../../lib/cli/interrupt.js'
import type {HostAudit} from '../../lib/audit/types.js'
import {describeContext} from '../../lib/backends/open.js'
import {concurrencyFlag, outputFlag, timeoutFlag} from '../../lib/cli/flags.js'

export default class AuditHosts extends FabricCommand {
  static override summary = 'Audit hosts: OVS known bugs, Linux-bridge hops, BPF readiness, NICs.'
  static override description = [
    "Checks each host (the simulated fabric, this machine with --local, or the context's inventory over SSH):",
    '  ovs      OVS version against the known-bug catalogue (data/ovs-known-bugs.yaml + --catalogue), running, interfaces attached (ofport)',
    '  bridges  br-int/br-bond/patch pair/bond; per instance direct (tap → br-int, 18-hop paths) or qbr/qvb/qvo (24-hop paths) and its iptables rules; devices the OVS agent put on the dead VLAN (tag 4095) apart, not as instances',
    "  bpf      kernel ≥ 4.8 (error) / 4.14 (warning) / 5.10 (info, today's Cilium), kernel config flags, bpffs, JIT, bpftool probe",
    '  nic      bond members up, speed (1G is legacy), cabled to two different switches',
    'Anything that cannot be read is reported as unknown, never as a pass. The host verdict is its worst finding.',
    'Over SSH: one connection per host, --concurrency hosts at once, --timeout per host; an unreachable host is reported with its reason and the others are still audited (exit 3).',
  ].join('\n')

  static override examples = [
    {description: 'Audit every host of the current context', command: '<%= config.bin %> audit hosts'},
    {
      description: 'Two hosts, OVS and bridges only, with every finding',
      command: '<%= config.bin %> audit hosts az1-h01 az1-h02 --check ovs,bridges --verbose',
    },
    {
      description: 'One AZ; fail (exit 1) on warnings too',
      command: '<%= config.bin %> audit hosts --az az1 --fail-on warning',
    },
    {description: 'This machine', command: '<%= config.bin %> audit hosts --local --verbose'},
    {
      description: 'The lab fleet over SSH, 32 hosts at a time, 20 s per host',
      command: '<%= config.bin %> audit hosts --context lab --concurrency 32 --timeout 20s',
    },
    {
      description: 'Stream one JSON object per host (large fleets)',
      command: '<%= config.bin %> audit hosts --output ndjson | jq -c \'select(.verdict != "ok")\'',
    },
    {
      description:
        "The audit series for node_exporter's textfile collector (exit code as usual: do not gate the mv on it)",
      command:
        '<%= config.bin %> audit hosts --output prometheus > /var/lib/node_exporter/audit.prom.tmp; mv /var/lib/node_exporter/audit.prom.tmp /var/lib/node_exporter/audit.prom',
    },
    {
      description: 'Add your own known bugs',
      command: '<%= config.bin %> audit hosts --catalogue ./our-ovs-bugs.yaml --check ovs',
    },
  ]

  static override args = {
    host: Args.string({
      description: 'Host(s) to audit (default: every host of the context, or of --az).',
      required: false,
    }),
  }

  static override strict = false

  static override flags = {
    az: Flags.string({description: 'Only hosts in this AZ.'}),
    local: Flags.boolean({description: "Audit this machine (commands run locally) instead of the context's hosts."}),
    check: Flags.string({description: 'Checks to run, comma-separated: ovs,bridges,bpf,nic (default: all).'}),
    'fail-on': Flags.string({
      description: 'Exit 1 when a finding reaches this severity (unknown counts as warning).',
      options: ['warning', 'error'],
      default: 'error',
    }),
    concurrency: concurrencyFlag({description: 'Hosts audited at once over SSH.', default: 16, max: 512}),
    timeout: timeoutFlag({
      description: 'Per-host budget (connect and every command): a duration, e.g. 20s or 1500ms; a bare number is ms.',
      defaultMs: 60_000,
      minMs: 100,
      bare: 'ms',
    }),
    catalogue: Flags.string({
      description:
        'Extra known-bug catalogue (YAML, same format as data/ovs-known-bugs.yaml); same id overrides. Repeatable.',
      multiple: true,
    }),
    verbose: Flags.boolean({
      char: 'v',
      description: 'Per-host detail: every finding with its evidence and remediation.',
    }),
    output: outputFlag(
      "ndjson: stream one AuditHost JSON object per line as hosts finish. prometheus: print the audit series once (exposition format, for node_exporter's textfile collector; docs/exporter.md).",
      ['ndjson', 'prometheus'],
    ),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(AuditHosts)
    const hosts = (argv as string[]).filter(a => !a.startsWith('-'))
    if (flags.output && flags.json)
      throw usageError(
        'AUDIT_OUTPUT_CONFLICT',
        `--json and --output ${flags.output} both choose stdout's format.`,
        `--json --output ${flags.output}`,
        'Use one: --json for one AuditReport, --output ndjson for one AuditHost per line, --output prometheus for the metrics.',
      )
    const [{loadCatalogue}, {parseChecks, runAudit}] = await Promise.all([
      import('../../lib/audit/catalogue.js'),
      import('../../lib/audit/run.js'),
    ])
    const checks = parseChecks(flags.check)
    const catalogue = loadCatalogue(flags.catalogue ?? [])
    const failOn = flags['fail-on'] as 'warning' | 'error'
    const {context} = await this.context(flags.context)

    const ndjson = flags.output === 'ndjson'
    let stopProgress: (() => Promise<void>) | undefined
    let model: import('../../lib/audit/progress.js').ProgressModel | undefined
    if (process.stderr.isTTY && !process.env.CI) {
      const progress = await import('../../lib/audit/progress.js')
      model = new progress.ProgressModel()
      stopProgress = progress.startProgress(model)
    }
    // --json on a large fleet: the AuditReport streams compact, hosts written as they finish (memory flat).
    const {jsonDocumentStream, shouldStreamJson} = await import('../../lib/output/json.js')
    let stream: ReturnType<typeof jsonDocumentStream> | undefined
    const head = (source: string) => ({
      kind: 'AuditReport',
      schemaVersion: 1,
      context: context.name,
      source,
      checks,
      failOn,
      catalogue: {
        files: catalogue.files,
        bugs: catalogue.bugs.map(b => ({id: b.id, severity: b.severity, affected: b.affected})),
      },
    })
    const onPlan = (hs: string[]) => {
      model?.plan(hs)
      if (this.jsonMode && shouldStreamJson(hs.length))
        stream = jsonDocumentStream(head(flags.local ? 'local' : describeContext(context).info.hostSource), 'hosts')
    }
    const audited = new Set<string>()
    const onHost = (h: HostAudit) => {
      audited.add(h.host)
      model?.finish(h)
      if (ndjson) process.stdout.write(`${JSON.stringify({kind: 'AuditHost', schemaVersion: 1, ...h})}\n`)
      stream?.item(h)
    }
    let result: Awaited<ReturnType<typeof runAudit>>
    // SIGINT/SIGTERM: no new host is started; hosts in hand finish; what was audited is reported (exit 130).
    const watch = watchInterrupts('finishing the hosts in hand, then reporting')
    let planned: string[] = []
    try {
      result = await runAudit(
        {context, open: () => this.openFabric(flags.context)},
        {
          hosts,
          az: flags.az,
          local: flags.local,
          checks,
          failOn,
          concurrency: flags.concurrency,
          timeoutMs: flags.timeout,
          catalogue,
          onHost,
          onStart: h => model?.start(h),
          onPlan: hs => {
            planned = hs
            onPlan(hs)
          },
          retainHosts: () => stream === undefined,
          shouldStop: () => watch.signal !== undefined,
        },
      )
    } finally {
      watch.dispose()
      await stopProgress?.()
    }
    const notStarted = planned.filter(h => !audited.has(h))
    const interrupted = watch.signal
      ? {
          signal: watch.signal,
          notStarted,
          note: `Stopped by ${watch.signal}: ${audited.size} of ${planned.length} hosts audited, ${notStarted.length} not started; the summary covers the audited hosts only.`,
        }
      : undefined
    if (interrupted && (ndjson || stream))
      process.stderr.write(`${interrupted.note}\nNot started: ${notStarted.join(', ')}\n`)
    if (stream)
      stream.end({
        elapsedMs: result.elapsedMs,
        exitCode: interrupted ? INTERRUPTED_EXIT : result.exitCode,
        summary: result.summary,
        ...(interrupted ? {interrupted} : {}),
      })
    else if (flags.output === 'prometheus') {
      const [{auditData}, {exposition}] = await Promise.all([
        import('../../lib/metrics/gather.js'),
        import('../../lib/metrics/series.js'),
      ])
      process.stdout.write(
        await exposition({
          context: context.name,
          backend: context.backend,
          at: new Date().toISOString(),
          audit: {ok: true, durationMs: result.elapsedMs, data: auditData(result.summary)},
        }),
      )
    } else if (!ndjson) {
      const {renderAudit} = await import('../../lib/audit/render.js')
      this.emit(
        {
          kind: 'AuditReport',
          schemaVersion: 1,
          context: context.name,
          source: result.source,
          checks,
          failOn,
          catalogue: {
            files: catalogue.files,
            bugs: catalogue.bugs.map(b => ({id: b.id, severity: b.severity, affected: b.affected})),
          },
          elapsedMs: result.elapsedMs,
          exitCode: interrupted ? INTERRUPTED_EXIT : result.exitCode,
          summary: result.summary,
          hosts: result.hosts,
          ...(interrupted ? {interrupted} : {}),
        },
        () =>
          renderAudit(result, {context: context.name, verbose: flags.verbose, failOn, checks}, this.style) +
          (interrupted ? `\n\n${interrupted.note}\nNot started: ${notStarted.join(', ')}` : ''),
      )
    }
    if (interrupted) this.exit(INTERRUPTED_EXIT)
    this.finish(result.exitCode)
  }
}
