import type {Finding, HostEvidence} from '../types.js'
import {compareVersions, parseKernelRelease} from '../version.js'
import {ev, finding, sample, unknown} from './util.js'

/** The reference's floor (Cilium "needs 4.8+"), its recommendation ("4.14+ better"), and today's Cilium floor. */
export const KERNEL_FLOORS = {error: [4, 8], warning: [4, 14], info: [5, 10]} as const

/**
 * Kernel config an eBPF dataplane (Cilium) needs: the flags the issue names, and the rest of
 * Cilium's system requirements. `m` is enough where the feature can be a module.
 */
export const REQUIRED_CONFIG: readonly {flag: string; module: boolean; why: string}[] = [
  {flag: 'CONFIG_BPF', module: false, why: 'BPF core'},
  {flag: 'CONFIG_BPF_SYSCALL', module: false, why: 'the bpf() syscall (load programs, create maps)'},
  {flag: 'CONFIG_BPF_JIT', module: false, why: 'JIT-compile programs'},
  {flag: 'CONFIG_HAVE_EBPF_JIT', module: false, why: 'the architecture has an eBPF JIT'},
  {flag: 'CONFIG_NET_CLS_BPF', module: true, why: 'tc cls_bpf: the datapath programs on every device'},
  {flag: 'CONFIG_NET_CLS_ACT', module: false, why: 'tc actions'},
  {flag: 'CONFIG_NET_SCH_INGRESS', module: true, why: 'tc ingress/clsact qdisc'},
  {flag: 'CONFIG_CGROUP_BPF', module: false, why: 'socket-level load balancing and host firewall'},
  {flag: 'CONFIG_CGROUPS', module: false, why: 'cgroups'},
  {flag: 'CONFIG_PERF_EVENTS', module: false, why: 'the monitor ring buffers'},
]
/** The rest of Cilium's base requirements: missing ones are warnings (tooling and agent features, not the datapath itself). */
export const BASE_CONFIG: readonly {flag: string; module: boolean; why: string}[] = [
  {flag: 'CONFIG_CRYPTO_SHA1', module: true, why: 'program tags (SHA1 of loaded programs)'},
  {
    flag: 'CONFIG_CRYPTO_USER_API_HASH',
    module: true,
    why: 'AF_ALG hashing used by the loader (iproute2/tc) for program tags',
  },
  {flag: 'CONFIG_SCHEDSTATS', module: false, why: 'scheduler statistics the agent reads'},
]
export const RECOMMENDED_CONFIG: readonly {flag: string; why: string}[] = [
  {flag: 'CONFIG_BPF_EVENTS', why: 'BPF on kprobes/tracepoints (observability)'},
  {flag: 'CONFIG_BPF_JIT_ALWAYS_ON', why: 'no interpreter fallback (Spectre hardening)'},
  {flag: 'CONFIG_DEBUG_INFO_BTF', why: 'BTF/CO-RE: portable programs'},
]
/** bpftool feature names a dataplane cannot do without. */
export const REQUIRED_PROGRAM_TYPES = ['sched_cls', 'sched_act', 'xdp', 'cgroup_skb', 'cgroup_sock_addr', 'sock_ops']
export const REQUIRED_MAP_TYPES = [
  'hash',
  'array',
  'prog_array',
  'perf_event_array',
  'percpu_hash',
  'lru_hash',
  'lpm_trie',
]

const ok = (v: string | undefined, module: boolean) => v === 'y' || (module && v === 'm')

/** bpf: could this host run an eBPF dataplane today? Kernel version, config, bpffs, JIT, runtime probe. */
export function checkBpf(e: HostEvidence): Finding[] {
  const k = e.kernel
  const f = e.from
  const out: Finding[] = []
  const v = parseKernelRelease(k.release)
  if (!v) {
    out.push(
      unknown(
        'bpf',
        'kernel-unknown',
        `Could not read the kernel version${k.release ? ` (unparseable: "${k.release}")` : ''}.`,
        [ev(f.kernel, k.release ?? 'no answer')],
      ),
    )
  } else {
    const s = v.join('.')
    const floor = (x: readonly number[]) => compareVersions(v, [...x]) < 0
    if (floor(KERNEL_FLOORS.error)) {
      out.push(
        finding(
          'bpf',
          'kernel-version',
          'error',
          `Kernel ${k.release} is below 4.8: no eBPF dataplane can run here.`,
          [ev(f.kernel, k.release)],
          "Upgrade the kernel (5.10 or later for today's Cilium) before planning an eBPF dataplane on this host.",
        ),
      )
    } else if (floor(KERNEL_FLOORS.warning)) {
      out.push(
        finding(
          'bpf',
          'kernel-version',
          'warning',
          `Kernel ${k.release} (${s}) is below the recommended 4.14.`,
          [ev(f.kernel, k.release)],
          'Upgrade to 5.10 or later: 4.8–4.13 lack features and fixes an eBPF dataplane relies on.',
        ),
      )
    } else if (floor(KERNEL_FLOORS.info)) {
      out.push(
        finding(
          'bpf',
          'kernel-version',
          'info',
          `Kernel ${k.release} meets the reference's 4.14 but is below today's Cilium floor 5.10.`,
          [ev(f.kernel, k.release)],
          'Plan a kernel upgrade to 5.10+ before moving this host to a current Cilium release.',
        ),
      )
    } else {
      out.push(
        finding('bpf', 'kernel-version', 'info', `Kernel ${k.release} meets today's Cilium floor (5.10).`, [
          ev(f.kernel, k.release),
        ]),
      )
    }
  }

  if (!k.config) {
    out.push(
      unknown(
        'bpf',
        'config-unknown',
        'Kernel config unreadable: BPF support UNKNOWN (not a pass).',
        [ev(f.kernelConfig, k.configError ?? 'neither /proc/config.gz nor /boot/config-$(uname -r) is readable')],
        "Make the config readable (`modprobe configs` for /proc/config.gz, or install the kernel's /boot/config-* file), then audit again.",
      ),
    )
  } else {
    const cfg = k.config
    const missing = REQUIRED_CONFIG.filter(r => !ok(cfg[r.flag], r.module))
    if (missing.length > 0) {
      out.push(
        finding(
          'bpf',
          'config-missing',
          'error',
          `Kernel lacks ${missing.length} option(s) an eBPF dataplane needs: ${sample(
            missing.map(m => m.flag),
            8,
          )}.`,
          missing.map(m =>
            ev(k.configSource ?? f.kernelConfig, `${m.flag}=${cfg[m.flag] ?? 'n (not set)'} — needed for ${m.why}`),
          ),
          'Run a kernel built with these options (a distribution kernel ≥ 5.10 has them all).',
        ),
      )
    } else {
      out.push(
        finding(
          'bpf',
          'config',
          'info',
          `Kernel config has all ${REQUIRED_CONFIG.length} options an eBPF dataplane needs.`,
          [ev(k.configSource ?? f.kernelConfig, REQUIRED_CONFIG.map(r => `${r.flag}=${cfg[r.flag]}`).join(' '))],
        ),
      )
    }
    const base = BASE_CONFIG.filter(r => !ok(cfg[r.flag], r.module))
    if (base.length > 0) {
      out.push(
        finding(
          'bpf',
          'config-base',
          'warning',
          `Kernel lacks option(s) in Cilium's base requirements: ${base.map(m => m.flag).join(', ')}.`,
          base.map(m =>
            ev(k.configSource ?? f.kernelConfig, `${m.flag}=${cfg[m.flag] ?? 'n (not set)'} — needed for ${m.why}`),
          ),
          'Enable them in the kernel build (or load the modules) before rolling out an eBPF dataplane.',
        ),
      )
    }
    const rec = RECOMMENDED_CONFIG.filter(r => cfg[r.flag] !== 'y')
    if (rec.length > 0) {
      out.push(
        finding(
          'bpf',
          'config-recommended',
          'info',
          `Recommended kernel option(s) not set: ${rec.map(r => r.flag).join(', ')}.`,
          rec.map(r => ev(k.configSource ?? f.kernelConfig, `${r.flag}=${cfg[r.flag] ?? 'n (not set)'} — ${r.why}`)),
        ),
      )
    }
  }

  if (k.bpffsMounted === false) {
    out.push(
      finding(
        'bpf',
        'bpffs-not-mounted',
        'warning',
        'The BPF filesystem is not mounted at /sys/fs/bpf: pinned maps would not survive an agent restart.',
        [ev(f.bpffs, 'no "bpf" mount on /sys/fs/bpf in /proc/mounts')],
        'Mount it and make it permanent: `mount -t bpf bpf /sys/fs/bpf` and a line `bpffs /sys/fs/bpf bpf defaults 0 0` in /etc/fstab (or a systemd sys-fs-bpf.mount).',
      ),
    )
  } else if (k.bpffsMounted === null) {
    out.push(
      unknown('bpf', 'bpffs-unknown', 'Could not tell whether the BPF filesystem is mounted.', [
        ev(f.bpffs, 'no answer'),
      ]),
    )
  }

  const alwaysOn = k.config?.CONFIG_BPF_JIT_ALWAYS_ON === 'y'
  if (k.jitEnable === 0 && !alwaysOn) {
    out.push(
      finding(
        'bpf',
        'jit-disabled',
        'warning',
        'The BPF JIT is disabled (net.core.bpf_jit_enable = 0): programs would run interpreted.',
        [ev(f.jit, '0')],
        'Enable it: `sysctl -w net.core.bpf_jit_enable=1` and persist it in /etc/sysctl.d/.',
      ),
    )
  } else if (k.jitEnable === null && !alwaysOn) {
    out.push(
      unknown(
        'bpf',
        'jit-unknown',
        'Could not read whether the BPF JIT is enabled (net.core.bpf_jit_enable unreadable, e.g. outside the root network namespace).',
        [
          ev(f.jit, 'unreadable'),
          ev(
            k.configSource ?? f.kernelConfig,
            `CONFIG_BPF_JIT_ALWAYS_ON=${k.config?.CONFIG_BPF_JIT_ALWAYS_ON ?? 'unknown'}`,
          ),
        ],
      ),
    )
  } else if (alwaysOn && k.jitEnable === null) {
    out.push(
      finding('bpf', 'jit', 'info', 'The BPF JIT is always on (CONFIG_BPF_JIT_ALWAYS_ON=y).', [
        ev(k.configSource ?? f.kernelConfig, 'CONFIG_BPF_JIT_ALWAYS_ON=y'),
        ev(f.jit, 'sysctl unreadable here'),
      ]),
    )
  }

  const b = k.bpftool
  if (!b) {
    // not probed by this source (the simulated fabric): config flags only
  } else if (!b.available) {
    out.push(
      finding(
        'bpf',
        'probe-skipped',
        'info',
        'bpftool is not installed: the runtime feature probe was skipped (config flags only).',
        [ev(f.bpftool, b.error ?? 'bpftool: command not found')],
        'Install bpftool to probe what the running kernel actually supports.',
      ),
    )
  } else if (!b.programTypes || !b.mapTypes) {
    out.push(
      unknown('bpf', 'probe-failed', 'bpftool feature probe failed (it needs root).', [
        ev(f.bpftool, b.error ?? 'no output'),
      ]),
    )
  } else {
    const missingProg = REQUIRED_PROGRAM_TYPES.filter(t => b.programTypes![t] !== true)
    const missingMap = REQUIRED_MAP_TYPES.filter(t => b.mapTypes![t] !== true)
    if (missingProg.length + missingMap.length > 0) {
      out.push(
        finding(
          'bpf',
          'probe-missing',
          'error',
          `The running kernel lacks BPF features: ${[...missingProg.map(p => `program type ${p}`), ...missingMap.map(m => `map type ${m}`)].join(', ')}.`,
          [
            ...missingProg.map(p => ev(f.bpftool, `have_${p}_prog_type: ${b.programTypes![p] ?? 'absent'}`)),
            ...missingMap.map(m => ev(f.bpftool, `have_${m}_map_type: ${b.mapTypes![m] ?? 'absent'}`)),
          ],
          'Upgrade the kernel; an eBPF dataplane needs all of these.',
        ),
      )
    } else {
      out.push(
        finding(
          'bpf',
          'probe',
          'info',
          `bpftool probe: the running kernel has the program and map types an eBPF dataplane needs.`,
          [
            ev(
              f.bpftool,
              `program types ${REQUIRED_PROGRAM_TYPES.join(',')}; map types ${REQUIRED_MAP_TYPES.join(',')}`,
            ),
          ],
        ),
      )
    }
  }
  return out
}
