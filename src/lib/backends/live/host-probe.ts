import {FabricError, usageError} from '../../cli/errors.js'
import {EXIT} from '../../cli/exit-codes.js'
import type {LiveContext} from '../../context/schema.js'
import type {SshSession} from '../../live/ssh.js'
import type {HostFacts, HostFactSelection, HostProbe, HostSession, PortWiring} from '../../seam/host-probe.js'

/**
 * The live host probe: one SSH session per host (the context's known_hosts, jump host), one batched
 * script on one channel (audit/collect.ts PROBES), one worker pool (`forEachTarget`) whose failures
 * (unreachable, auth, timeout) are results with a code, never exceptions.
 */
export function liveHostProbe(ctx: LiveContext): HostProbe {
  const inventory = ctx.inventory.hosts
  return {
    wiring: liveWiring(ctx),
    source: 'ssh',
    unknownHostHint: `Hosts in context "${ctx.name}": ${inventory.map(h => h.name).join(', ')}.`,
    async hosts() {
      if (inventory.length === 0)
        throw usageError(
          'INVENTORY_EMPTY',
          `Context "${ctx.name}" has no hosts in its inventory.`,
          ctx.name,
          'Add inventory.hosts to the context (docs/contexts.md), or use --local to audit this machine.',
        )
      return inventory.map(h => ({name: h.name, az: h.az, address: h.address}))
    },
    async facts(targets, opts, onResult) {
      const {forEachTarget} = await import('../../live/ssh.js')
      const selected = targets.map(t => inventory.find(h => h.name === t.name)!)
      await forEachTarget(
        ctx,
        selected.map(h => ({name: h.name, address: h.address, port: h.port})),
        opts.concurrency,
        session =>
          readFacts(
            ctx,
            session,
            selected.find(x => x.name === session.target.name)!,
            opts.facts ?? 'all',
          ),
        {
          timeoutMs: opts.timeoutMs,
          shouldStop: opts.shouldStop,
          onStart: t => opts.onStart?.(t.name),
          onResult: (r, i) =>
            onResult(
              r.result
                ? {host: targets[i]!, facts: r.result, elapsedMs: r.elapsedMs}
                : {
                    host: targets[i]!,
                    failure: {
                      code: r.error?.code ?? 'SSH_UNREACHABLE',
                      message: r.error?.message ?? 'unknown failure',
                      hint: r.error?.hint ?? null,
                    },
                    elapsedMs: r.elapsedMs,
                  },
              i,
            ),
        },
      )
    },
    open: async (target, opts) => openHost(ctx, target, opts),
  }
}

type InventoryHost = LiveContext['inventory']['hosts'][number]

/** One host's facts over an open session: the probe selection's commands as one batched script (audit/collect.ts). */
async function readFacts(
  ctx: LiveContext,
  session: SshSession,
  h: InventoryHost,
  selection: HostFactSelection,
): Promise<HostFacts> {
  const [{sshRunner}, {collectEvidence, PROBE_SELECTIONS}] = await Promise.all([
    import('../../audit/sources/ssh.js'),
    import('../../audit/collect.js'),
  ])
  return collectEvidence(
    sshRunner(session),
    {
      name: h.name,
      az: h.az,
      address: h.address,
      role: h.role,
      cabling: h.nics.map(n => ({nic: n.name, switch: n.leaf, interface: n.interface})),
    },
    'ssh',
    `ssh ${ctx.ssh.user}@${h.address}`,
    PROBE_SELECTIONS[selection],
  )
}

/** OVS bridge names (ovs-vsctl accepts more; these are the names a fabric's bridges have). */
const BRIDGE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/
/** ofproto/trace flow syntax: field=value pairs joined by commas (MACs, IPs, masks, hex); nothing a shell interprets. */
const FLOW_MATCH = /^[A-Za-z0-9_=,:./-]{1,1024}$/
const OFPROTO_TRACE_TIMEOUT_S = 10

/**
 * The `ovs-appctl ofproto/trace` command for a bridge and a flow: both checked (a usage error names the value) and
 * single-quoted, so nothing in them reaches the host's shell as syntax. `shown`: the same, unquoted, for evidence.
 */
export function ofprotoTraceCommand(bridge: string, match: string): {command: string; shown: string} {
  if (!BRIDGE.test(bridge))
    throw usageError(
      'OFPROTO_TRACE_BRIDGE_INVALID',
      `"${bridge}" is not an OVS bridge name.`,
      bridge,
      'Give a bridge name such as br-int (letters, digits, _ . -).',
    )
  if (!FLOW_MATCH.test(match))
    throw usageError(
      'OFPROTO_TRACE_MATCH_INVALID',
      `"${match}" is not an ofproto/trace flow (field=value pairs joined by commas).`,
      match,
      'Give a flow such as in_port=3,tcp,nw_src=10.0.0.1,nw_dst=10.0.0.2.',
    )
  return {
    command: `ovs-appctl --timeout=${OFPROTO_TRACE_TIMEOUT_S} ofproto/trace ${shq(bridge)} ${shq(match)}`,
    shown: `ovs-appctl ofproto/trace ${bridge} ${match}`,
  }
}

/**
 * A host opened for a trace: one SSH session (bounded by `timeoutMs` to connect and read), the facts read on it, and
 * `ofproto/trace` on the same connection (each bounded by ovs-appctl's own timeout and the session's command timeout).
 */
async function openHost(
  ctx: LiveContext,
  target: {name: string},
  opts: {facts: HostFactSelection; timeoutMs: number},
): Promise<HostSession> {
  const h = ctx.inventory.hosts.find(x => x.name === target.name)
  if (!h)
    throw usageError(
      'HOST_NOT_IN_INVENTORY',
      `Host ${target.name} is not in context "${ctx.name}"'s inventory.`,
      target.name,
      'Add it to inventory.hosts (docs/contexts.md).',
    )
  const {SshSession, SshError} = await import('../../live/ssh.js')
  const sshTarget = {name: h.name, address: h.address, port: h.port}
  let session: SshSession | undefined
  let timer: NodeJS.Timeout | undefined
  const work = (async () => {
    session = await SshSession.open(ctx, sshTarget)
    return readFacts(ctx, session, h, opts.facts)
  })()
  let facts: HostFacts
  try {
    facts = await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new SshError(
                'SSH_HOST_TIMEOUT',
                sshTarget,
                `not done within ${opts.timeoutMs} ms (connect and read the host's facts)`,
                'Check the host (load, sshd): `fabricctl audit hosts` reads the same facts.',
              ),
            ),
          opts.timeoutMs,
        )
      }),
    ])
  } catch (error) {
    // Closed now, or (a connect still under way at the timeout) as soon as it settles.
    void work.then(
      () => session?.close(),
      () => session?.close(),
    )
    throw error
  } finally {
    clearTimeout(timer)
  }
  const s = session!
  return {
    facts,
    async ofprotoTrace(bridge, match) {
      const {command, shown} = ofprotoTraceCommand(bridge, match)
      const r = await s.exec(`export LC_ALL=C PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"; ${command}`, {
        timeoutMs: (OFPROTO_TRACE_TIMEOUT_S + 5) * 1000,
      })
      return {command: shown, text: `${r.stdout}\n${r.stderr}`, code: r.code}
    },
    close: () => s.close(),
  }
}

const PORT_ID = /^[0-9A-Za-z][0-9A-Za-z._-]{0,127}$/
const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/**
 * The live port wiring: one SSH session to the host, one short script (`portDevicesScript`, parsed
 * by `parsePortDevices`); unplug is one `ovs-vsctl del-port`, run only if the interface still
 * carries the port's iface-id at that moment.
 */
function liveWiring(ctx: LiveContext): PortWiring {
  const target = (name: string) => {
    const h = ctx.inventory.hosts.find(x => x.name === name)
    if (!h)
      throw usageError(
        'HOST_NOT_IN_INVENTORY',
        `Host ${name} is not in context "${ctx.name}"'s inventory.`,
        name,
        'Add it to inventory.hosts (docs/contexts.md).',
      )
    return {name: h.name, address: h.address, port: h.port}
  }
  const checkId = (portId: string) => {
    if (!PORT_ID.test(portId))
      throw usageError('PORT_ID_INVALID', `"${portId}" is not a port id.`, portId, 'Give a Neutron port id.')
  }
  const once = async <T>(host: string, timeoutMs: number, fn: (s: SshSession) => Promise<T>) => {
    const {forEachTarget} = await import('../../live/ssh.js')
    const [r] = await forEachTarget(ctx, [target(host)], 1, fn, {timeoutMs})
    return r!
  }
  return {
    async portDevices(host, portId, opts) {
      checkId(portId)
      const {parsePortDevices, portDevicesScript} = await import('./parse/port-devices.js')
      const source = `ssh ${ctx.ssh.user}@${host.address ?? host.name}: ovs-vsctl find Interface external_ids:iface-id=${portId}`
      const r = await once(host.name, opts.timeoutMs, s => s.exec(portDevicesScript(portId)))
      if (!r.result)
        return {
          host: host.name,
          failure: {
            code: r.error?.code ?? 'SSH_UNREACHABLE',
            message: r.error?.message ?? 'unknown failure',
            hint: r.error?.hint ?? null,
          },
          source,
        }
      if (r.result.code !== 0)
        return {
          host: host.name,
          failure: {
            code: 'OVSDB_UNREADABLE',
            message: `ovs-vsctl on ${host.name} exited ${r.result.code}: ${r.result.stderr.trim().split('\n')[0] ?? ''}`,
            hint: 'Check that ovsdb-server runs on the host.',
          },
          source,
        }
      try {
        const devices = parsePortDevices(r.result.stdout).map(d => ({host: host.name, ...d}))
        return {host: host.name, devices, source}
      } catch (error) {
        return {
          host: host.name,
          failure: {
            code: 'OVSDB_UNPARSEABLE',
            message: `unparseable ovs-vsctl output from ${host.name}: ${(error as Error).message}`,
            hint: 'Run the command with --debug and report the output.',
          },
          source,
        }
      }
    },
    async unplug(host, device, portId, opts) {
      checkId(portId)
      const dev = shq(device.device)
      const cmd = [
        'export LC_ALL=C PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"',
        `cur=$(ovs-vsctl --timeout=5 --if-exists get Interface ${dev} external_ids:iface-id | tr -d '"')`,
        `[ "$cur" = ${shq(portId)} ] || { echo "iface-id is now '$cur'" >&2; exit 92; }`,
        `ovs-vsctl --timeout=5 --if-exists del-port ${dev}`,
      ].join('\n')
      const r = await once(host.name, opts.timeoutMs, s => s.exec(cmd))
      if (!r.result || r.result.code !== 0)
        throw new FabricError({
          code: r.result ? 'UNPLUG_FAILED' : (r.error?.code ?? 'SSH_UNREACHABLE'),
          message: `Could not remove ${device.device} from ${host.name}: ${r.result ? r.result.stderr.trim() || `exit ${r.result.code}` : r.error?.message}.`,
          value: `${host.name}:${device.device}`,
          hint: r.error?.hint ?? `Remove it by hand: \`ovs-vsctl del-port ${device.device}\` on ${host.name}.`,
          exitCode: EXIT.PARTIAL,
        })
    },
  }
}
