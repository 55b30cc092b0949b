/**
 * What the generator draws hosts from: OVS builds and kernels seen in a fleet that grew from 2013
 * to today, with the kernel config flags each kernel generation shipped with.
 */

/** OVS versions, with distribution suffixes as `ovs-vsctl --version` prints them. */
export const OVS_VERSIONS: readonly (readonly [string, number])[] = [
  ['2.3.1', 2],
  ['2.5.0', 5],
  ['2.5.4', 4],
  ['2.5.6', 14],
  ['2.5.9-0ubuntu0.16.04.3', 10],
  ['2.10.1', 8],
  ['2.13.8', 12],
  ['2.15.0+ds1-2+deb11u5', 18],
  ['2.17.9', 12],
  ['3.1.0-2+deb12u1', 15],
]

export const KERNEL_VERSIONS: readonly (readonly [string, number])[] = [
  ['3.10.0-1160.el7.x86_64', 14],
  ['4.4.0-210-generic', 8],
  ['4.9.0-19-amd64', 8],
  ['4.14.336', 10],
  ['4.19.0-26-amd64', 14],
  ['5.4.0-182-generic', 16],
  ['5.10.0-30-amd64', 16],
  ['5.15.0-105-generic', 14],
]

export const NIC_SPEEDS: readonly (readonly [number, number])[] = [
  [1000, 10],
  [10000, 50],
  [25000, 40],
]

function versionAtLeast(kernel: string, major: number, minor: number): boolean {
  const [maj, min] = kernel.split(/[.-]/).map(Number)
  return maj! > major || (maj === major && min! >= minor)
}

/**
 * Kernel config flags relevant to an eBPF dataplane, as the distribution kernels of that
 * generation set them ('y', 'm', or 'n' for "is not set").
 */
export function kernelConfigFor(kernel: string): Record<string, string> {
  const modern = versionAtLeast(kernel, 4, 14)
  const hasSyscall = versionAtLeast(kernel, 3, 18)
  return {
    CONFIG_BPF: 'y',
    CONFIG_BPF_SYSCALL: hasSyscall ? 'y' : 'n',
    CONFIG_BPF_JIT: 'y',
    CONFIG_HAVE_EBPF_JIT: hasSyscall ? 'y' : 'n',
    CONFIG_NET_CLS_BPF: modern ? 'y' : 'm',
    CONFIG_NET_CLS_ACT: 'y',
    CONFIG_NET_SCH_INGRESS: modern ? 'y' : 'm',
    CONFIG_CGROUP_BPF: versionAtLeast(kernel, 4, 10) ? 'y' : 'n',
    CONFIG_BPF_EVENTS: hasSyscall ? 'y' : 'n',
    CONFIG_PERF_EVENTS: 'y',
    CONFIG_CRYPTO_SHA1: 'y',
    CONFIG_CRYPTO_USER_API_HASH: versionAtLeast(kernel, 4, 4) ? 'm' : 'n',
    CONFIG_CGROUPS: 'y',
    CONFIG_SCHEDSTATS: modern ? 'y' : 'n',
    CONFIG_BPF_JIT_ALWAYS_ON: versionAtLeast(kernel, 5, 4) ? 'y' : 'n',
    CONFIG_DEBUG_INFO_BTF: versionAtLeast(kernel, 5, 4) ? 'y' : 'n',
  }
}
