import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type {Client, ConnectConfig} from 'ssh2'

import {FabricError} from '../cli/errors.js'
import {EXIT} from '../cli/exit-codes.js'
import type {LiveContext} from '../context/schema.js'
import {checkHostKey, knownKeyTypes} from './known-hosts.js'

export interface ExecResult {
  stdout: string
  stderr: string
  code: number | null
}

export interface SshTarget {
  name: string
  address: string
  port: number
}

/** Why a target could not be reached: stable codes for reports (exit 3 when some targets fail). */
export type SshFailure =
  | 'SSH_UNREACHABLE'
  | 'SSH_TIMEOUT'
  | 'SSH_AUTH_FAILED'
  | 'SSH_HOSTKEY_UNKNOWN'
  | 'SSH_HOSTKEY_MISMATCH'
  | 'SSH_COMMAND_TIMEOUT'
  | 'SSH_HOST_TIMEOUT'

export class SshError extends FabricError {
  constructor(
    readonly failure: SshFailure,
    target: SshTarget,
    message: string,
    hint: string,
    cause?: unknown,
  ) {
    super({
      code: failure,
      message: `${target.name} (${target.address}:${target.port}): ${message}`,
      value: target.name,
      hint,
      exitCode:
        failure === 'SSH_TIMEOUT' || failure === 'SSH_COMMAND_TIMEOUT' || failure === 'SSH_HOST_TIMEOUT'
          ? EXIT.TIMEOUT
          : EXIT.PARTIAL,
      cause,
    })
  }
}

/**
 * One SSH connection per target, reused for every command run on it (ssh2, loaded lazily).
 * Host keys are verified against the context's known_hosts; an unknown key is refused unless the
 * context opts out with strictHostKeyChecking: false. A jump host is used when configured.
 */
export class SshSession {
  /** Set when the connection dropped or was closed: later exec() calls fail at once instead of hanging. */
  private lost: string | undefined

  private constructor(
    readonly target: SshTarget,
    private readonly client: Client,
    private readonly jump: Client | undefined,
    private readonly commandTimeoutMs: number,
  ) {
    // After 'ready', an error or close must not crash the process (an 'error' without a listener throws).
    client.on('error', (err: Error) => (this.lost ??= err.message))
    client.on('close', () => (this.lost ??= 'connection closed'))
    jump?.on('error', (err: Error) => (this.lost ??= `jump host: ${err.message}`))
  }

  static async open(ctx: LiveContext, target: SshTarget): Promise<SshSession> {
    const ssh = ctx.ssh
    const {Client} = await import('ssh2')
    const privateKey = readKey(ssh.identityFile, target)
    let jump: Client | undefined
    let sock: ConnectConfig['sock']
    try {
      if (ssh.jumpHost) {
        const jt: SshTarget = {
          name: `jump ${ssh.jumpHost.address}`,
          address: ssh.jumpHost.address,
          port: ssh.jumpHost.port,
        }
        jump = await connect(new Client(), jt, {username: ssh.jumpHost.user ?? ssh.user, privateKey}, ctx)
        sock = await new Promise((resolve, reject) =>
          jump!.forwardOut('127.0.0.1', 0, target.address, target.port, (err, stream) =>
            err
              ? reject(
                  new SshError(
                    'SSH_UNREACHABLE',
                    target,
                    `jump host could not open a channel: ${err.message}`,
                    'Check that the jump host can reach the target.',
                    err,
                  ),
                )
              : resolve(stream),
          ),
        )
      }
      const client = await connect(new Client(), target, {username: ssh.user, privateKey, sock}, ctx)
      return new SshSession(target, client, jump, ssh.commandTimeoutMs)
    } catch (error) {
      jump?.end() // do not leak the jump connection when the target fails
      throw error
    }
  }

  /** Run one command; resolves with its output and exit code (a non-zero code is not an error here). */
  exec(command: string, opts: {timeoutMs?: number; stdin?: string} = {}): Promise<ExecResult> {
    const timeoutMs = opts.timeoutMs ?? this.commandTimeoutMs
    const dropped = (why: string, cause?: unknown) =>
      new SshError(
        'SSH_UNREACHABLE',
        this.target,
        `cannot run a command: ${why}`,
        'The connection dropped; check the host and retry.',
        cause,
      )
    if (this.lost) return Promise.reject(dropped(this.lost))
    return new Promise((resolve, reject) => {
      const started = (err: Error | undefined, stream: import('ssh2').ClientChannel) => {
        if (err) return reject(dropped(err.message, err))
        // Collect bytes and decode once: a multi-byte character split across chunks stays intact.
        const out: Buffer[] = []
        const errOut: Buffer[] = []
        const timer = setTimeout(() => {
          stream.close()
          reject(
            new SshError(
              'SSH_COMMAND_TIMEOUT',
              this.target,
              `"${command.slice(0, 80)}" did not finish within ${timeoutMs} ms`,
              'Raise ssh.commandTimeoutMs in the context, or check the host.',
            ),
          )
        }, timeoutMs)
        stream.on('data', (d: Buffer) => out.push(d))
        stream.stderr.on('data', (d: Buffer) => errOut.push(d))
        stream.on('close', (code: number | null | undefined) => {
          clearTimeout(timer)
          if (code === undefined && this.lost) return reject(dropped(this.lost))
          resolve({
            stdout: Buffer.concat(out).toString('utf8'),
            stderr: Buffer.concat(errOut).toString('utf8'),
            code: code ?? null,
          })
        })
        if (opts.stdin !== undefined) stream.end(opts.stdin)
        else stream.end()
      }
      try {
        this.client.exec(command, started)
      } catch (error) {
        reject(dropped((error as Error).message, error))
      }
    })
  }

  /**
   * Start a command whose stdin stays open until `release()` (or until this session ends): used to hold a
   * lock on the remote side (`flock` … `cat >/dev/null`) for as long as the client lives. Resolves once
   * `ready(stdout so far)` is true, or when the command exits first (`exited`), or rejects after timeoutMs.
   */
  hold(
    command: string,
    ready: (out: string) => boolean,
    timeoutMs: number,
  ): Promise<{out: string; exited: boolean; code: number | null; release(): void}> {
    if (this.lost) return Promise.reject(new Error(`cannot run a command: ${this.lost}`))
    return new Promise((resolve, reject) => {
      this.client.exec(command, (err, stream) => {
        if (err) return reject(err)
        let out = ''
        let settled = false
        const release = () => {
          try {
            stream.end()
          } catch {
            // already closed
          }
        }
        const timer = setTimeout(() => {
          if (settled) return
          settled = true
          stream.close()
          reject(new Error(`"${command.slice(0, 60)}" gave no answer within ${timeoutMs} ms`))
        }, timeoutMs)
        stream.on('data', (d: Buffer) => {
          out += d.toString('utf8')
          if (!settled && ready(out)) {
            settled = true
            clearTimeout(timer)
            resolve({out, exited: false, code: null, release})
          }
        })
        stream.stderr.on('data', () => {})
        stream.on('close', (code: number | null | undefined) => {
          clearTimeout(timer)
          if (settled) return
          settled = true
          resolve({out, exited: true, code: code ?? null, release})
        })
      })
    })
  }

  close(): void {
    this.lost ??= 'connection closed'
    this.client.end()
    this.jump?.end()
  }
}

function readKey(file: string | undefined, target: SshTarget): Buffer | undefined {
  const candidates = file ? [file] : ['id_ed25519', 'id_ecdsa', 'id_rsa'].map(f => path.join(os.homedir(), '.ssh', f))
  for (const f of candidates) if (fs.existsSync(f)) return fs.readFileSync(f)
  if (file)
    throw new SshError(
      'SSH_AUTH_FAILED',
      target,
      `identity file ${file} does not exist`,
      'Fix ssh.identityFile in the context.',
    )
  return undefined
}

/** known_hosts key type → the host-key algorithms that yield it. */
const HOSTKEY_ALGORITHMS: Record<string, string[]> = {
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
}

function connect(
  client: Client,
  target: SshTarget,
  auth: Pick<ConnectConfig, 'username' | 'privateKey' | 'sock'>,
  ctx: LiveContext,
): Promise<Client> {
  const ssh = ctx.ssh
  const preferred = knownKeyTypes(ssh.knownHostsFile, target.address, target.port).flatMap(
    t => HOSTKEY_ALGORITHMS[t] ?? [t],
  )
  return new Promise((resolve, reject) => {
    let verdict: ReturnType<typeof checkHostKey> | undefined
    const fail = (e: SshError) => {
      client.end()
      reject(e)
    }
    client.once('ready', () => resolve(client))
    client.once('error', (err: Error & {level?: string}) => {
      if (verdict === 'revoked')
        return fail(
          new SshError(
            'SSH_HOSTKEY_MISMATCH',
            target,
            `the host key is marked @revoked in ${ssh.knownHostsFile ?? 'known_hosts'}`,
            'The host presents a revoked key: do not connect; re-key the host and update known_hosts.',
            err,
          ),
        )
      if (verdict === 'mismatch')
        return fail(
          new SshError(
            'SSH_HOSTKEY_MISMATCH',
            target,
            'the host key does not match known_hosts',
            `Someone may be intercepting, or the host was rebuilt: verify it, then update ${ssh.knownHostsFile ?? 'known_hosts'}.`,
            err,
          ),
        )
      if (verdict === 'unknown')
        return fail(
          new SshError(
            'SSH_HOSTKEY_UNKNOWN',
            target,
            `the host key is not in ${ssh.knownHostsFile ?? 'known_hosts'}`,
            'Add the host key to known_hosts (ssh-keyscan, verified), or set ssh.strictHostKeyChecking: false in the context to accept unknown keys.',
            err,
          ),
        )
      if (/timed out/i.test(err.message))
        return fail(
          new SshError(
            'SSH_TIMEOUT',
            target,
            `no SSH answer within ${ssh.connectTimeoutMs} ms`,
            'Check that the host is up and reachable, or raise ssh.connectTimeoutMs.',
            err,
          ),
        )
      if (err.level === 'client-authentication')
        return fail(
          new SshError(
            'SSH_AUTH_FAILED',
            target,
            `authentication failed for user ${auth.username}`,
            'Check ssh.user and ssh.identityFile in the context.',
            err,
          ),
        )
      fail(
        new SshError(
          'SSH_UNREACHABLE',
          target,
          err.message,
          'Check that the host is up and sshd listens on that address and port.',
          err,
        ),
      )
    })
    client.connect({
      host: target.address,
      port: target.port,
      username: auth.username,
      privateKey: auth.privateKey,
      sock: auth.sock,
      readyTimeout: ssh.connectTimeoutMs,
      keepaliveInterval: 0,
      // Ask for the key types known_hosts holds for this host first (as OpenSSH does), so a host
      // with several keys presents the one we can verify rather than a false "mismatch".
      ...(preferred.length > 0
        ? ({algorithms: {serverHostKey: {prepend: preferred}}} as Pick<ConnectConfig, 'algorithms'>)
        : {}),
      hostVerifier: (key: Buffer) => {
        verdict = checkHostKey(ssh.knownHostsFile, target.address, target.port, key)
        return verdict === 'match' || (verdict === 'unknown' && !ssh.strictHostKeyChecking)
      },
    })
  })
}

export interface ForEachOptions<T> {
  /** Whole-target budget (connect + fn); past it the session is closed and the target fails with SSH_HOST_TIMEOUT. */
  timeoutMs?: number
  /** Called as each target finishes (in completion order), e.g. to stream results. */
  onResult?: (r: {target: SshTarget; result?: T; error?: FabricError; elapsedMs: number}, index: number) => void
  /** Called when a target starts (connecting). */
  onStart?: (target: SshTarget, index: number) => void
  /** An interrupt: once true, no further target is started (the result of a target never started has neither result nor error). */
  shouldStop?: () => boolean
}

/**
 * Run `fn` over targets with at most `concurrency` sessions open at once; one failure does not stop
 * the rest. Each target gets one connection, closed when `fn` settles or its time budget runs out.
 */
export async function forEachTarget<T>(
  ctx: LiveContext,
  targets: SshTarget[],
  concurrency: number,
  fn: (session: SshSession) => Promise<T>,
  opts: ForEachOptions<T> = {},
): Promise<{target: SshTarget; result?: T; error?: FabricError; elapsedMs?: number}[]> {
  const results: {target: SshTarget; result?: T; error?: FabricError; elapsedMs?: number}[] = targets.map(target => ({
    target,
  }))
  let next = 0
  const one = async (target: SshTarget): Promise<T> => {
    let session: SshSession | undefined
    let expired = false
    let timer: NodeJS.Timeout | undefined
    const work = (async () => {
      session = await SshSession.open(ctx, target)
      if (expired) throw new SshError('SSH_HOST_TIMEOUT', target, 'timed out', '')
      return fn(session)
    })()
    try {
      if (!opts.timeoutMs) return await work
      const budget = opts.timeoutMs
      return await Promise.race([
        work,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            expired = true
            reject(
              new SshError(
                'SSH_HOST_TIMEOUT',
                target,
                `not done within ${budget} ms (connect and commands)`,
                'Check the host (load, sshd), or raise --timeout.',
              ),
            )
          }, budget)
        }),
      ])
    } finally {
      clearTimeout(timer)
      work.catch(() => {}) // settled later (after a timeout): nothing to report
      if (expired)
        void work
          .then(
            () => {},
            () => {},
          )
          .finally(() => session?.close())
      session?.close()
    }
  }
  const worker = async () => {
    while (next < targets.length && !opts.shouldStop?.()) {
      const i = next++
      const started = performance.now()
      opts.onStart?.(targets[i]!, i)
      try {
        results[i]!.result = await one(targets[i]!)
      } catch (error) {
        results[i]!.error =
          error instanceof FabricError
            ? error
            : new SshError('SSH_UNREACHABLE', targets[i]!, (error as Error).message, 'See --debug for details.', error)
      }
      results[i]!.elapsedMs = performance.now() - started
      opts.onResult?.(results[i] as {target: SshTarget; result?: T; error?: FabricError; elapsedMs: number}, i)
    }
  }
  await Promise.all(Array.from({length: Math.max(1, Math.min(concurrency, targets.length))}, worker))
  return results
}
