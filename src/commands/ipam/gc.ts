import {Flags} from '@oclif/core'

import {ResultCommand} from '../../lib/cli/base-command.js'
import {usageError} from '../../lib/cli/errors.js'
import type {ExitCode} from '../../lib/cli/exit-codes.js'
import {durationFlag, hostReadFlags} from '../../lib/cli/flags.js'
import type {ResultOf} from '../../lib/cli/result.js'
import {gcExitCode, runGc} from '../../lib/ports/gc.js'
import {portService} from '../../lib/ports/index.js'
import {DEFAULT_GRACE_MS} from '../../lib/ports/leaks.js'
import {renderGc} from '../../lib/ports/render.js'

export default class IpamGc extends ResultCommand<'IpamGc'> {
  protected readonly kind = 'IpamGc'
  protected override readonly envelope = ['context', 'backend'] as const
  static override summary = 'Release leaked ports safely: capped, re-checked one by one, from a scan or a report.'
  static override description = `Finds the ports \`ipam check\` reports as orphaned-port (bound, no device with its iface-id on
the host for longer than --older-than) and, with --unbound-older-than, unbound-past-age; then releases
them through the release plan of \`port release\` (device, controller record, address, leaf clean-up).
Safety: past --max-release it refuses (exit 4) before releasing anything; just before each release it
reads the port's host again and re-checks the port: one that is gone, moved, or whose device is present
again is skipped (reported), never released; a port on a host that cannot be read is never released.
-o FILE writes the leaks found as a report (kind IpamGcReport, schemaVersion 1,
schemas/IpamGcReport.schema.json), also with --dry-run, so it can be reviewed; --from-report FILE
re-checks every port in it and releases only those still leaked.
Exit codes: 0 done; 1 every release failed; 2 bad input or bad report (nothing changed);
3 some releases failed after others succeeded (the result names each), or some ports could not be
checked; 4 refused by --max-release (nothing released).`

  static override examples = [
    '<%= config.bin %> ipam gc --dry-run -o leaks.json',
    '<%= config.bin %> ipam gc --from-report leaks.json',
    '<%= config.bin %> ipam gc --older-than 1h --max-release 50',
    '<%= config.bin %> ipam gc --unbound-older-than 30d --name-prefix ci- --json',
  ]

  static override flags = {
    'older-than': durationFlag('older-than', {
      description: 'Release a bound port once its device has been missing this long (the grace of `ipam check`).',
      defaultMs: DEFAULT_GRACE_MS,
    }),
    'unbound-older-than': durationFlag('unbound-older-than', {
      description: 'Also release unbound ports unchanged for longer than this (off by default).',
    }),
    'max-release': Flags.integer({
      description: 'Refuse (exit 4, nothing released) when more ports than this would be released.',
      default: 10,
      min: 0,
    }),
    host: Flags.string({description: 'Only ports bound to this host.'}),
    'name-prefix': Flags.string({description: 'Only ports whose name starts with this.'}),
    'from-report': Flags.string({
      description: 'Release the ports of this report (from `-o`), each re-checked first.',
      exclusive: ['older-than', 'unbound-older-than', 'host', 'name-prefix', 'report-file'],
    }),
    'report-file': Flags.string({char: 'o', description: 'Write the leaks found to this file (an IpamGcReport).'}),
    'dry-run': Flags.boolean({description: 'Print the plan; release nothing.', default: false}),
    ...hostReadFlags(),
  }

  async run(): Promise<ResultOf<'IpamGc'>> {
    const {flags} = await this.parse(IpamGc)
    if (flags['report-file'] !== undefined && flags['report-file'].trim() === '')
      throw usageError('REPORT_FILE_INVALID', '-o needs a file name.', flags['report-file'], 'Give e.g. -o leaks.json.')
    const fabric = await this.openFabric(flags.context)
    const svc = await portService(fabric)
    return runGc(
      fabric,
      svc,
      flags['from-report'] !== undefined
        ? {from: 'report', file: flags['from-report']}
        : {
            from: 'scan',
            criteria: {
              graceMs: flags['older-than'] ?? DEFAULT_GRACE_MS,
              unboundOlderThanMs: flags['unbound-older-than'] ?? null,
            },
            scope: {host: flags.host, namePrefix: flags['name-prefix']},
            writeReport: flags['report-file'],
          },
      {
        dryRun: flags['dry-run'],
        maxRelease: flags['max-release'],
        concurrency: flags.concurrency,
        timeoutMs: flags.timeout,
      },
    )
  }

  protected render(r: ResultOf<'IpamGc'>): string {
    return renderGc(r)
  }

  protected override exitCode(r: ResultOf<'IpamGc'>): ExitCode {
    return gcExitCode(r)
  }
}
