import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type {Client, ConnectConfig} from 'ssh2'

import {FabricError} from '../cli/errors.js'
import {EXIT} from '../cli/exit-codes.js'
import type {LiveContext} from '../context/schema.js'
import {checkHostKey} from './known-hosts.js'

export interface ExecResult { stdout: string; stderr: string; code: number | null }

export interface SshTarget { name: string; address: string; port: number }

/** Why a target could not be reached: stable codes for reports (exit 3 when some targets fail). */
export type SshFailure = 'SSH_UNREACHABLE' | 'SSH_TIMEOUT' | 'SSH_AUTH_FAILED' | 'SSH_HOSTKEY_UNKNOWN' | 'SSH_HOSTKEY_MISMATCH' | 'SSH_COMMAND_TIMEOUT'

export class SshError extends FabricError {
  constructor(readonly failure: SshFailure, target: SshTarget, message: string, hint: string, cause?: unknown) {
    super({code: failure, message: `${target.name} (${target.address}:${target.port}): ${message}`, value: target.name, hint,
      exitCode: failure === 'SSH_TIMEOUT' || failure === 'SSH_COMMAND_TIMEOUT' ? EXIT.TIMEOUT : EXIT.PARTIAL, cause})
  }
}

/**
 * One SSH connection per target, reused for every command run on it (ssh2, loaded lazily).
 * Host keys are verified against the context's known_hosts; an unknown key is refused unless the
 * context opts out with strictHostKeyChecking: false. A jump host is used when configured.
 */
export class SshSession {
  private constructor(readonly target: SshTarget, private readonly client: Client, private readonly jump: Client | undefined, private readonly commandTimeoutMs: number) {}

  static async open(ctx: LiveContext, target: SshTarget): Promise<SshSession> {
    const ssh = ctx.ssh
    const {Client} = await import('ssh2')
    const privateKey = readKey(ssh.identityFile, target)
    let jump: Client | undefined
    let sock: ConnectConfig['sock']
    if (ssh.jumpHost) {
      const jt: SshTarget = {name: `jump ${ssh.jumpHost.address}`, address: ssh.jumpHost.address, port: ssh.jumpHost.port}
      jump = await connect(new Client(), jt, {username: ssh.jumpHost.user ?? ssh.user, privateKey}, ctx)
      sock = await new Promise((resolve, reject) => jump!.forwardOut('127.0.0.1', 0, target.address, target.port, (err, stream) => (err ? reject(new SshError('SSH_UNREACHABLE', target, `jump host could not open a channel: ${err.message}`, 'Check that the jump host can reach the target.', err)) : resolve(stream))))
    }
    const client = await connect(new Client(), target, {username: ssh.user, privateKey, sock}, ctx)
    return new SshSession(target, client, jump, ssh.commandTimeoutMs)
  }

  /** Run one command; resolves with its output and exit code (a non-zero code is not an error here). */
  exec(command: string, opts: {timeoutMs?: number; stdin?: string} = {}): Promise<ExecResult> {
    const timeoutMs = opts.timeoutMs ?? this.commandTimeoutMs
    return new Promise((resolve, reject) => {
      this.client.exec(command, (err, stream) => {
        if (err) return reject(new SshError('SSH_UNREACHABLE', this.target, `cannot run a command: ${err.message}`, 'The connection dropped; retry.', err))
        let stdout = ''
        let stderr = ''
        const timer = setTimeout(() => {
          stream.close()
          reject(new SshError('SSH_COMMAND_TIMEOUT', this.target, `"${command.slice(0, 80)}" did not finish within ${timeoutMs} ms`, 'Raise ssh.commandTimeoutMs in the context, or check the host.'))
        }, timeoutMs)
        stream.on('data', (d: Buffer) => (stdout += d.toString()))
        stream.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
        stream.on('close', (code: number | null) => {
          clearTimeout(timer)
          resolve({stdout, stderr, code})
        })
        if (opts.stdin !== undefined) stream.end(opts.stdin)
        else stream.end()
      })
    })
  }

  close(): void {
    this.client.end()
    this.jump?.end()
  }
}

function readKey(file: string | undefined, target: SshTarget): Buffer | undefined {
  const candidates = file ? [file] : ['id_ed25519', 'id_ecdsa', 'id_rsa'].map(f => path.join(os.homedir(), '.ssh', f))
  for (const f of candidates) if (fs.existsSync(f)) return fs.readFileSync(f)
  if (file) throw new SshError('SSH_AUTH_FAILED', target, `identity file ${file} does not exist`, 'Fix ssh.identityFile in the context.')
  return undefined
}

function connect(client: Client, target: SshTarget, auth: Pick<ConnectConfig, 'username' | 'privateKey' | 'sock'>, ctx: LiveContext): Promise<Client> {
  const ssh = ctx.ssh
  return new Promise((resolve, reject) => {
    let verdict: ReturnType<typeof checkHostKey> | undefined
    const fail = (e: SshError) => {
      client.end()
      reject(e)
    }
    client.once('ready', () => resolve(client))
    client.once('error', (err: Error & {level?: string}) => {
      if (verdict === 'mismatch') return fail(new SshError('SSH_HOSTKEY_MISMATCH', target, 'the host key does not match known_hosts', `Someone may be intercepting, or the host was rebuilt: verify it, then update ${ssh.knownHostsFile ?? 'known_hosts'}.`, err))
      if (verdict === 'unknown') return fail(new SshError('SSH_HOSTKEY_UNKNOWN', target, `the host key is not in ${ssh.knownHostsFile ?? 'known_hosts'}`, 'Add the host key to known_hosts (ssh-keyscan, verified), or set ssh.strictHostKeyChecking: false in the context to accept unknown keys.', err))
      if (/timed out/i.test(err.message)) return fail(new SshError('SSH_TIMEOUT', target, `no SSH answer within ${ssh.connectTimeoutMs} ms`, 'Check that the host is up and reachable, or raise ssh.connectTimeoutMs.', err))
      if (err.level === 'client-authentication') return fail(new SshError('SSH_AUTH_FAILED', target, `authentication failed for user ${auth.username}`, 'Check ssh.user and ssh.identityFile in the context.', err))
      fail(new SshError('SSH_UNREACHABLE', target, err.message, 'Check that the host is up and sshd listens on that address and port.', err))
    })
    client.connect({
      host: target.address,
      port: target.port,
      username: auth.username,
      privateKey: auth.privateKey,
      sock: auth.sock,
      readyTimeout: ssh.connectTimeoutMs,
      keepaliveInterval: 0,
      hostVerifier: (key: Buffer) => {
        verdict = checkHostKey(ssh.knownHostsFile, target.address, target.port, key)
        return verdict === 'match' || (verdict === 'unknown' && !ssh.strictHostKeyChecking)
      },
    })
  })
}

/** Run `fn` over targets with at most `concurrency` sessions open at once; one failure does not stop the rest. */
export async function forEachTarget<T>(
  ctx: LiveContext, targets: SshTarget[], concurrency: number,
  fn: (session: SshSession) => Promise<T>,
): Promise<{target: SshTarget; result?: T; error?: FabricError}[]> {
  const results: {target: SshTarget; result?: T; error?: FabricError}[] = targets.map(target => ({target}))
  let next = 0
  const worker = async () => {
    while (next < targets.length) {
      const i = next++
      let session: SshSession | undefined
      try {
        session = await SshSession.open(ctx, targets[i]!)
        results[i]!.result = await fn(session)
      } catch (error) {
        results[i]!.error = error instanceof FabricError ? error : new SshError('SSH_UNREACHABLE', targets[i]!, (error as Error).message, 'See --debug for details.', error)
      } finally {
        session?.close()
      }
    }
  }
  await Promise.all(Array.from({length: Math.max(1, Math.min(concurrency, targets.length))}, worker))
  return results
}
