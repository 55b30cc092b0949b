import {usageError} from '../../cli/errors.js'
import type {LiveContext} from '../../context/schema.js'
import type {HostProbe} from '../../seam/host-probe.js'

/**
 * The live host probe: one SSH session per host (the context's known_hosts, jump host), one batched
 * script on one channel (audit/collect.ts PROBES), one worker pool (`forEachTarget`) whose failures
 * (unreachable, auth, timeout) are results with a code, never exceptions.
 */
export function liveHostProbe(ctx: LiveContext): HostProbe {
  const inventory = ctx.inventory.hosts
  return {
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
      const [{forEachTarget}, {sshRunner}, {collectEvidence, OVS_PROBES}] = await Promise.all([
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
            opts.facts === 'ovs' ? OVS_PROBES : undefined,
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
