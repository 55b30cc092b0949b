import {FabricError, usageError} from '../../cli/errors.js'
import {EXIT} from '../../cli/exit-codes.js'
import type {LiveContext} from '../../context/schema.js'
import type {HostProbe, PortWiring} from '../../seam/host-probe.js'

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
      const [{forEachTarget}, {sshRunner}, {collectEvidence, OVS_PROBES, BOND_PROBES, WIRING_PROBES}] =
        await Promise.all([
          import('../../live/ssh.js'),
          import('../../audit/sources/ssh.js'),
          import('../../audit/collect.js'),
        ])
      const selected = targets.map(t => inventory.find(h => h.name === t.name)!)
      await forEachTarget(
        ctx,
        selected.map(h => ({name: h.name, address: h.address, port: h.port})),
        opts.concurrency,
        async session => {
          const h = selected.find(x => x.name === session.target.name)!
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
            {ovs: OVS_PROBES, wiring: WIRING_PROBES, bond: BOND_PROBES, all: undefined}[opts.facts ?? 'all'],
          )
        },
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
  const once = async <T>(
    host: string,
    timeoutMs: number,
    fn: (s: import('../../live/ssh.js').SshSession) => Promise<T>,
  ) => {
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
