// Shared helper for live tests: the lab of test/lab (Neutron, OVS hosts, FRR leaves in namespaces).
//
//   const lab = await useLab()            // LabInventory, or null when the lab cannot run here
//   describe.skipIf(!lab)(`... ${labSkipNote()}`, () => { ... })
//
// - a healthy lab that is already up is reused (and never torn down by this run);
// - otherwise, as root on Debian, `test/lab/up` brings it up (up takes a lock: parallel callers
//   wait, and the second one finds the lab healthy and reuses it);
// - when it cannot run (not root, not Debian) the caller skips with the reason, except under
//   FABRICCTL_REQUIRE_LIVE=1 (CI), where that is an error.
// Teardown at the end of the run is the globalSetup's job (test/live/global-setup.ts).
//
// Time limits: every live test states its own (`}, 240_000) // 1 CLI run, ~9 ssh calls`), sized
// to its work on a loaded 2-core machine (load 10+): 30 s + 60 s per CLI run + 10 s per ssh/HTTP
// call (calls in loops counted 6 times: one per node), at least 60 s. Every call inside is bounded too
// (runCli timeoutMs, run/labSsh timeoutMs, fetch AbortSignal.timeout).
import {execFile} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe} from 'vitest'

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const LAB_DIR = path.join(REPO_ROOT, 'test', 'lab')
export const LAB_STATE = path.join(LAB_DIR, 'state')
export const LAB_RUN = path.join(LAB_STATE, 'run')
export const LAB_INVENTORY = path.join(LAB_STATE, 'inventory.json')
export const LAB_CONFIG = path.join(LAB_STATE, 'fabricctl.yaml')
export const LAB_SSH_CONFIG = path.join(LAB_RUN, 'ssh', 'ssh_config')

export interface LabNetwork {
  name: string
  id: string
  subnetId: string
  vlan: number
  vni: number
  cidr: string
  gateway: string
  tags: string[]
  physnet: string
  routeTarget: string
  anycastMac: string
}
export interface LabInstance {
  name: string
  host: string
  kind: string
  portId: string
  device: string
  ip: string
  network: string
}
export interface LabHost {
  name: string
  az: string
  address: string
  port: number
  plugging: 'direct' | 'qbr' | 'mixed' // mixed: prod lab-h2 (one instance through qbr, one direct)
  nics: {name: string; leaf: string; interface: string; speedMbps: number}[]
}
export interface LabLeaf {
  name: string
  az: string
  pair: string
  address: string
  port: number
  driver: 'frr'
  vtep: string
  asn: number
}
export interface LabSpine {
  name: string
  az: string
  address: string
  vtep: string
  asn: number
}
export interface LabNode {
  name: string
  role: 'spine' | 'leaf' | 'host'
  ns: string
  address: string
  // hosts
  plugging?: 'direct' | 'qbr'
  ovs?: 'system' | 'debian11'
  bpffs?: boolean
  network?: string
  localVlan?: number
  bondActive?: string
  instances?: {
    name: string
    ns: string
    network: string
    id: string
    mac: string
    ip: string
    prefix: number
    gateway: string
    vlan: number
    vni: number
    networkId: string
  }[]
  // leaves
  vnis?: number[]
  ports?: {iface: string; host: string; hostNic: string; vni: number}[]
  frrConf?: string
  uplinks?: {iface: string; spine: string; spineIface: string; ip: string; peerIp: string; prefix: number}[]
}
export interface LabInventory {
  kind: 'LabInventory'
  schemaVersion: 1
  profile: 'native' | 'full' | 'prod'
  stateDir: string
  runDir: string
  configFile: string
  sshConfigFile: string
  neutron: {url: string; projectId: string}
  ssh: {
    user: string
    identityFile: string
    knownHostsFile: string
    strictHostKeyChecking: boolean
    connectTimeoutMs: number
  }
  mgmt: {bridge: string; gateway: string; prefix: number}
  networks: LabNetwork[]
  azs: {name: string; topology: string}[]
  spines: LabSpine[]
  leaves: LabLeaf[]
  hosts: LabHost[]
  instances: LabInstance[]
  nodes: LabNode[]
}

export interface RunResult {
  stdout: string
  stderr: string
  exitCode: number
}

export function run(
  cmd: string,
  args: string[],
  opts: {timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: string; progress?: string} = {},
): Promise<RunResult> {
  return new Promise(resolve => {
    const child = execFile(
      cmd,
      args,
      {timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, env: opts.env ?? process.env},
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0
        resolve({
          stdout: String(stdout),
          stderr: String(stderr) + (err && typeof (err as any).code !== 'number' ? `\n${err.message}` : ''),
          exitCode: code,
        })
      },
    )
    // progress: echo the child's stderr lines as they come (the lab's "[lab 12.3s] ..." lines), prefixed
    if (opts.progress !== undefined) {
      let buf = ''
      child.stderr?.on('data', (d: Buffer) => {
        buf += String(d)
        const lines = buf.split('\n')
        buf = lines.pop() ?? ''
        for (const l of lines) process.stderr.write(`${opts.progress}${l}\n`)
      })
    }
    if (opts.input !== undefined) child.stdin?.end(opts.input)
    else child.stdin?.end()
  })
}

/** Why the lab cannot run on this machine, or null when it can. */
export function labCannotRunReason(): string | null {
  if (process.platform !== 'linux') return `the lab needs Linux (this is ${process.platform})`
  if (process.getuid?.() !== 0) return 'the lab needs root (network namespaces, mounts, apt-get)'
  let osRelease = ''
  try {
    osRelease = fs.readFileSync('/etc/os-release', 'utf8')
  } catch {
    /* none */
  }
  if (!/^ID=debian$/m.test(osRelease))
    return 'the lab needs Debian (neutron-server, openvswitch-switch and frr come from Debian packages)'
  return null
}

export function readLabInventory(): LabInventory | null {
  try {
    return JSON.parse(fs.readFileSync(LAB_INVENTORY, 'utf8')) as LabInventory
  } catch {
    return null
  }
}

/** Fast health check: every recorded lab process alive and Neutron answering. */
export async function labHealthy(full = false): Promise<boolean> {
  if (!fs.existsSync(LAB_INVENTORY) || !fs.existsSync(path.join(LAB_RUN, 'lab.env'))) return false
  if (full)
    return (await run(path.join(LAB_DIR, 'status'), ['--quiet', '--wait', '30'], {timeoutMs: 120_000})).exitCode === 0
  const pidDir = path.join(LAB_RUN, 'pids')
  let files: string[] = []
  try {
    files = fs.readdirSync(pidDir).filter(f => f.endsWith('.pid'))
  } catch {
    return false
  }
  if (files.length === 0) return false
  for (const f of files) {
    const [pid, start] = fs.readFileSync(path.join(pidDir, f), 'utf8').trim().split(/\s+/)
    let stat = ''
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    } catch {
      return false
    }
    // field 22 (starttime) counted after the ")" that closes the command name
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (fields[19] !== start) return false
  }
  const inv = readLabInventory()
  if (!inv) return false
  try {
    const res = await fetch(`${inv.neutron.url}/v2.0/networks`, {
      headers: {'X-Project-Id': inv.neutron.projectId},
      signal: AbortSignal.timeout(5000),
    })
    return res.ok
  } catch {
    return false
  }
}

let skipNote: string | null = null
/** " (skipped: reason)" after useLab() returned null; "" otherwise. For describe titles. */
export function labSkipNote(): string {
  return skipNote ? ` (skipped: ${skipNote})` : ''
}

/** Why the run's global setup could not bring the lab up (set in the live project's globalSetup), or null. */
export const LAB_UP_ERROR_ENV = 'FABRICCTL_LAB_UP_ERROR'

/** Bring a lab up with test/lab/up (which retries once, cleans up after a failure and keeps its logs), printing its progress. */
export async function labUp(profile: LabProfileName): Promise<void> {
  const args = profile === 'native' ? [] : ['--profile', profile]
  process.stderr.write(`[live] bringing up the ${profile} lab (test/lab/up ${args.join(' ')}; progress below)\n`)
  const up = await run(path.join(LAB_DIR, 'up'), args, {timeoutMs: 1_500_000, progress: `[live:${profile}] `})
  if (up.exitCode !== 0) {
    // up cleans up after itself; make sure, so that a failed bring-up never leaves a lab behind
    const down = await run(path.join(LAB_DIR, 'down'), args, {timeoutMs: 300_000})
    const kept = /logs kept in (\S+)/.exec(up.stderr)?.[1]
    throw new Error(
      `test/lab/up${args.length ? ` ${args.join(' ')}` : ''} failed (exit ${up.exitCode})${kept ? `; its logs are in ${kept}` : ''}` +
        `${down.exitCode === 0 ? '' : `; test/lab/down after it: ${down.stderr.slice(-1000)}`}:\n${(up.stderr + up.stdout).slice(-4000)}`,
    )
  }
}

/** The running lab's inventory, bringing the lab up when needed and possible; null = skip. */
export async function useLab(): Promise<LabInventory | null> {
  // the global setup already tried and failed: every live file fails with that reason (not a retry per file)
  const failed = process.env[LAB_UP_ERROR_ENV]
  if (failed) throw new Error(`the live lab could not come up: ${failed}`)
  if (await labHealthy()) return readLabInventory()
  const reason = labCannotRunReason()
  if (reason) {
    if (process.env.FABRICCTL_REQUIRE_LIVE === '1')
      throw new Error(`FABRICCTL_REQUIRE_LIVE=1 but the live lab cannot run: ${reason}`)
    skipNote = reason
    console.warn(`[live] skipping live tests: ${reason}`)
    return null
  }
  await labUp('native')
  const inv = readLabInventory()
  if (!inv || !(await labHealthy()))
    throw new Error('test/lab/up exited 0 but the lab is not healthy (test/lab/status tells which piece)')
  return inv
}

/** Run a command on a lab node over SSH with the lab's key and known_hosts (strict host keys). */
export function labSsh(node: string, command: string, timeoutMs = 30_000): Promise<RunResult> {
  return run('ssh', ['-n', '-F', LAB_SSH_CONFIG, node, command], {timeoutMs})
}

/**
 * Every lab profile: its namespace/link prefix, state dir and guard-route metric (test/lab/lib.sh).
 * `prod` (fabp-*) is reserved for the production-shaped profile: checked already, so that it can
 * never leak unnoticed once it exists.
 */
export const LAB_PROFILES = [
  {name: 'native', prefix: 'fabl-', state: LAB_STATE, guardMetric: 0},
  {name: 'full', prefix: 'fabf-', state: path.join(LAB_STATE, 'full'), guardMetric: 4242},
  {name: 'prod', prefix: 'fabp-', state: path.join(LAB_STATE, 'prod'), guardMetric: 4243},
] as const
export type LabProfileName = (typeof LAB_PROFILES)[number]['name']

/** What a torn-down lab must not leave: namespaces, links, mounts, routes, processes, run dir. Empty = clean. */
export async function labLeftovers(profile: LabProfileName = 'native'): Promise<string[]> {
  const p = LAB_PROFILES.find(x => x.name === profile)!
  const run_ = path.join(p.state, 'run')
  const left: string[] = []
  const ns = (await run('ip', ['netns', 'list'])).stdout
    .split('\n')
    .map(l => l.split(' ')[0])
    .filter(n => n?.startsWith(p.prefix))
  if (ns.length) left.push(`namespaces: ${ns.join(' ')}`)
  const links = (await run('ip', ['-o', 'link', 'show'])).stdout
    .split('\n')
    .map(l => l.split(': ')[1]?.split('@')[0])
    .filter(n => n?.startsWith(p.prefix))
  if (links.length) left.push(`links: ${links.join(' ')}`)
  // mounts: the namespaces' nsfs mounts (/run/netns/<prefix>*) and anything under this profile's run dir
  const mounts = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(l => l.includes(`/${p.prefix}`) || l.includes(`${run_}/`) || l.includes(` ${run_} `))
  if (mounts.length) left.push(`mounts: ${mounts.join(' | ')}`)
  // the guard route: unreachable 198.19.0.0/16 with this profile's metric
  const routes = (await run('ip', ['route', 'show', 'type', 'unreachable'])).stdout
    .split('\n')
    .filter(l => l.includes('198.19.0.0/16') && Number(/ metric (\d+)/.exec(l)?.[1] ?? 0) === p.guardMetric)
  if (routes.length) left.push(`routes: ${routes.join(' | ')}`)
  const lastPids = path.join(p.state, 'last-pids')
  if (fs.existsSync(lastPids)) {
    for (const f of fs.readdirSync(lastPids)) {
      const [pid, start] = fs.readFileSync(path.join(lastPids, f), 'utf8').trim().split(/\s+/)
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
        if (stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] === start)
          left.push(`process ${f.replace(/\.pid$/, '')} (pid ${pid})`)
      } catch {
        /* gone */
      }
    }
  }
  if (fs.existsSync(run_)) left.push(`run dir ${run_}`)
  return left
}

// ---- the full-profile lab (test/lab/up --profile full): UML leaves, beside the native lab ----
export const FULL_STATE = path.join(LAB_STATE, 'full')
export const FULL_SSH_CONFIG = path.join(FULL_STATE, 'run', 'ssh', 'ssh_config')
// ---- the prod-profile lab (test/lab/up --profile prod): real OVS agents, RabbitMQ, shared leaf ----
export const PROD_STATE = path.join(LAB_STATE, 'prod')
export const PROD_SSH_CONFIG = path.join(PROD_STATE, 'run', 'ssh', 'ssh_config')

/**
 * The lab profiles this run covers: native always, plus those FABRICCTL_LAB_PROFILE lists
 * (comma- or space-separated, e.g. `full,prod`). An unknown name is an error (a typo must not
 * silently run nothing).
 */
export function labProfilesWanted(): LabProfileName[] {
  const raw = (process.env.FABRICCTL_LAB_PROFILE ?? '').split(/[\s,]+/).filter(Boolean)
  const known = LAB_PROFILES.map(p => p.name) as string[]
  const bad = raw.filter(r => !known.includes(r))
  if (bad.length)
    throw new Error(`FABRICCTL_LAB_PROFILE lists unknown lab profile(s) ${bad.join(', ')}; known: ${known.join(', ')}`)
  return LAB_PROFILES.map(p => p.name).filter(n => n === 'native' || raw.includes(n))
}

/** State dir, config, SSH config and context of one profile's lab. */
export function labPaths(profile: LabProfileName) {
  const state = LAB_PROFILES.find(p => p.name === profile)!.state
  return {
    state,
    inventory: path.join(state, 'inventory.json'),
    config: path.join(state, 'fabricctl.yaml'),
    sshConfig: path.join(state, 'run', 'ssh', 'ssh_config'),
    context: profile === 'full' ? 'lab-full' : 'lab',
  }
}

export interface FullLab<T> {
  /** Why this file's tests skip (null: they run). */
  skip: string | null
  inv: T | null
  /** Take down the lab if this call brought it up (not with FABRICCTL_LAB_KEEP=1). */
  release(): Promise<void>
}

/**
 * A full or prod lab for one test file: runs only when FABRICCTL_LAB_PROFILE lists the profile;
 * reuses a healthy lab of that profile or brings one up; a skip is a failure under
 * FABRICCTL_REQUIRE_LIVE=1. A lab this call started stays up for the run's other files when the live
 * globalSetup owns the run (its teardown takes it down: state/<profile>/run/started-by); otherwise
 * release() takes it down.
 */
export async function useProfileLab<T = LabInventory>(profile: 'full' | 'prod', what: string): Promise<FullLab<T>> {
  const want = labProfilesWanted().includes(profile)
  const skip = want
    ? labCannotRunReason()
    : `set FABRICCTL_LAB_PROFILE=${profile} (or a list with it) to run the ${what}`
  if (skip && want && process.env.FABRICCTL_REQUIRE_LIVE === '1')
    throw new Error(`FABRICCTL_REQUIRE_LIVE=1 but the ${profile} lab cannot run: ${skip}`)
  if (skip) return {skip, inv: null, release: async () => {}}
  let startedHere = false
  const healthy =
    (await run(path.join(LAB_DIR, 'status'), ['--profile', profile, '--quiet'], {timeoutMs: 120_000})).exitCode === 0
  if (!healthy) {
    // labUp takes the lab down again when up fails (before this file could own it), then throws
    await labUp(profile)
    startedHere = true
  }
  // Under the live globalSetup (it owns the run) a lab this file started stays up for the run's other files
  // (four files use the full lab: one bring-up instead of four, about 2 min each); its teardown takes it down.
  const leaveToTeardown = !!process.env.FABRICCTL_LAB_OWNER
  return {
    skip: null,
    inv: JSON.parse(fs.readFileSync(labPaths(profile).inventory, 'utf8')) as T,
    release: async () => {
      if (!startedHere || leaveToTeardown || process.env.FABRICCTL_LAB_KEEP === '1') return
      const down = await run(path.join(LAB_DIR, 'down'), ['--profile', profile], {timeoutMs: 300_000})
      if (down.exitCode !== 0)
        throw new Error(`test/lab/down --profile ${profile} left things behind:\n${down.stderr.slice(-3000)}`)
    },
  }
}

/** The full lab for one test file (useProfileLab('full', what)). */
export function useFullLab<T = LabInventory>(what: string): Promise<FullLab<T>> {
  return useProfileLab<T>('full', what)
}

/** One profile's lab for a matrix test file: which profile, why it skips, its inventory and paths. */
export interface MatrixLab<T = LabInventory> extends FullLab<T> {
  profile: LabProfileName
  paths: ReturnType<typeof labPaths>
  /** Environment for a fabricctl process against this lab (FABRICCTL_CONFIG, FABRICCTL_CONTEXT). */
  env: Record<string, string>
}

/**
 * The labs a test file runs on, one per profile in `applies` (native via useLab, the others via
 * useProfileLab); a profile the run does not cover is there with its skip reason, so the report
 * says where the file did not run and why. Use with describeOnLabs.
 */
export async function useLabMatrix<T = LabInventory>(applies: LabProfileName[], what: string): Promise<MatrixLab<T>[]> {
  const out: MatrixLab<T>[] = []
  for (const profile of applies) {
    const paths = labPaths(profile)
    const env = {FABRICCTL_CONFIG: paths.config, FABRICCTL_CONTEXT: paths.context}
    if (profile === 'native') {
      const inv = await useLab()
      out.push({
        profile,
        paths,
        env,
        skip: inv ? null : labSkipNote().replace(/^ \(skipped: |\)$/g, ''),
        inv: inv as T | null,
        release: async () => {},
      })
    } else {
      out.push({profile, paths, env, ...(await useProfileLab<T>(profile, what))})
    }
  }
  return out
}

/**
 * describe() once per lab of the matrix; the title says which profile it ran on (or why it skipped):
 *   describeOnLabs(labs, 'ports', lab => { it(..., async () => { ... lab.inv ... }) })
 */
export function describeOnLabs<T>(labs: MatrixLab<T>[], title: string, body: (lab: MatrixLab<T>) => void): void {
  for (const lab of labs)
    describe.skipIf(!!lab.skip)(`${title} [${lab.profile} lab]${lab.skip ? ` (skipped: ${lab.skip})` : ''}`, () =>
      body(lab),
    )
}
