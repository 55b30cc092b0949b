import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {Console} from 'node:console'
import {createRequire} from 'node:module'
import {Readable} from 'node:stream'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {execa} from 'execa'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const BIN = path.join(ROOT, 'bin', 'run.js')

export interface CliResult {
  stdout: string
  stderr: string
  exitCode: number
  /** stdout parsed as JSON (undefined when it is not JSON). */
  json: any
}

/** A private FABRICCTL_HOME and context file, so tests never touch the user's fabric or each other's. */
export interface TestHome {
  dir: string
  env: Record<string, string>
  cleanup(): void
}

export interface RunOptions {
  home?: TestHome
  env?: Record<string, string>
  /** Text on the command's stdin (otherwise stdin is empty, as with `</dev/null`). */
  input?: string
  timeoutMs?: number
  /**
   * In-process only: called just before the command runs, inside the runner's queue (e.g. to reset the
   * process-wide state a fresh process would start without; see `importDist`).
   */
  beforeRun?: () => unknown
}

/**
 * Import a built dist/ module (path relative to dist/, e.g. 'lib/cli/redact.js') as the same module instance the
 * in-process commands use: oclif loads commands with Node's own `import()`, while an `import()` written in a test
 * file goes through vitest's module runner and would give a second, unrelated copy of the module's state.
 */
export function importDist<T = any>(rel: string): T {
  // Node's own loader (require of an ES module, Node >= 20.19): it shares the ES module cache with import().
  return createRequire(import.meta.url)(path.join(ROOT, 'dist', rel)) as T
}

export function makeHome(prefix = 'fabricctl-test-'): TestHome {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  return {
    dir,
    // XDG_CACHE_HOME too: the validated context file's cache (lib/context/config.ts) stays in the test's home.
    env: {
      FABRICCTL_HOME: dir,
      FABRICCTL_CONFIG: path.join(dir, 'config.yaml'),
      XDG_CACHE_HOME: path.join(dir, 'xdg-cache'),
      NO_COLOR: '1',
      FABRICCTL_CONTEXT: '',
    },
    cleanup: () => fs.rmSync(dir, {recursive: true, force: true}),
  }
}

function result(stdout: string, stderr: string, exitCode: number): CliResult {
  let json: unknown
  try {
    json = JSON.parse(stdout)
  } catch {
    json = undefined
  }
  return {stdout, stderr, exitCode, json}
}

/**
 * Run the built CLI (dist/) as a separate process, exactly as a user would. Slow (~0.5 s a call on
 * a loaded machine): keep it for what only a process shows — argv handling, the process exit code,
 * stdout drained into a pipe, no stack trace, several processes at once.
 */
export async function runCliProcess(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  const r = await execa(process.execPath, [BIN, ...args], {
    env: {FABRICCTL_NO_BUNDLE: '1', ...opts.home?.env, ...opts.env},
    extendEnv: true,
    reject: false,
    input: opts.input,
    stdin: opts.input === undefined ? 'ignore' : undefined,
    timeout: opts.timeoutMs ?? 120_000,
    cwd: ROOT,
  })
  // execa strips one final newline; the in-process runner does the same so both give the same strings.
  return result(r.stdout, r.stderr, r.exitCode ?? -1)
}

// ---------------------------------------------------------------------------------------------------
// In-process runner: the oclif Config is loaded once per test file (each file runs in its own worker
// process), then each call runs the command in this process with stdout, stderr and the exit code
// captured, the way oclif's own tests (@oclif/test captureOutput) and heroku's runCommand do.

interface Oclif {
  config: any
  /** What oclif's `run` does for one argv, on the one Config (its `run(argv, config)` reloads a Config every call). */
  run: (argv: string[]) => Promise<void>
  /** bin/run.js's handler for what escapes oclif (dist/lib/cli/entry.js): prints, then process.exit. */
  handleTopLevel: (err: Error, argv: string[]) => Promise<void>
}
let oclif: Promise<Oclif> | undefined
let hoist: (argv: string[]) => string[] = argv => argv

function loadOclif(): Promise<Oclif> {
  oclif ??= (async () => {
    const {Config, ux} = await import('@oclif/core')
    const {loadHelpClass, normalizeArgv} = await import('@oclif/core/help')
    const {helpAddition, versionAddition} = await import('@oclif/core/run')
    // The same dist/ module bin/run.js uses, so global flags before the command work as for users.
    const {hoistGlobalFlags} = await import(pathToFileURL(path.join(ROOT, 'dist', 'lib', 'cli', 'argv.js')).href)
    const {handleTopLevelError} = await import(pathToFileURL(path.join(ROOT, 'dist', 'lib', 'cli', 'entry.js')).href)
    hoist = hoistGlobalFlags
    const config = await Config.load({root: ROOT})
    const showHelp = async (argv: string[]) => {
      const Help = await loadHelpClass(config)
      await new Help(config, config.pjson.oclif.helpOptions ?? config.pjson.helpOptions).showHelp(argv)
    }
    const run = async (raw: string[]) => {
      const argv = hoistGlobalFlags(raw) as string[]
      const [id, ...rest] = normalizeArgv(config, argv) as [string, ...string[]]
      await config.runHook('init', {argv: rest, id})
      if (versionAddition(argv, config)) return ux.stdout(config.userAgent)
      if (helpAddition(argv, config)) return showHelp(argv)
      const cmd = config.findCommand(id)
      if (!cmd && config.findTopic(id)) return showHelp([id])
      await config.runCommand(id, rest, cmd)
    }
    const handleTopLevel = (err: Error, argv: string[]) =>
      handleTopLevelError(err, argv, pathToFileURL(path.join(ROOT, 'package.json')).href)
    return {config, run, handleTopLevel}
  })()
  return oclif
}

/** Calls are serialised: process.env, argv and the standard streams are process-wide. */
let queue: Promise<unknown> = Promise.resolve()

/** Thrown by the stubbed process.exit so a command that calls it stops where a process would. */
class ProcessExit extends Error {
  constructor(readonly code: number) {
    super(`process.exit(${code})`)
  }
}

type Write = typeof process.stdout.write

/**
 * Run a fabricctl command in this process (the built dist/ commands, through oclif's `run` as
 * bin/run.js does) with a private environment, and return what a process would have printed and
 * its exit code. Same API as `runCliProcess`; about 20× faster.
 */
export async function runCli(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  // FABRICCTL_TEST_RUNNER=process: every runCli is a real process (the live project sets it; also handy
  // to check that a failure is not an artefact of running in-process).
  if (process.env.FABRICCTL_TEST_RUNNER === 'process') return runCliProcess(args, opts)
  const o = await loadOclif()
  const go = queue.then(() => runInProcess(o, args, opts))
  queue = go.catch(() => undefined)
  return go
}

async function runInProcess(o: Oclif, args: string[], opts: RunOptions): Promise<CliResult> {
  let out = ''
  let err = ''
  const capture = (sink: (s: string) => void): Write =>
    function (this: unknown, chunk: unknown, encoding?: unknown, cb?: unknown) {
      const callback = typeof encoding === 'function' ? encoding : cb
      sink(
        typeof chunk === 'string'
          ? chunk
          : Buffer.from(chunk as Uint8Array).toString(
              typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8',
            ),
      )
      if (typeof callback === 'function') process.nextTick(callback as () => void)
      return true
    } as Write

  // Save everything the call changes.
  const saved = {
    env: {...process.env},
    argv: process.argv,
    exitCode: process.exitCode,
    exit: process.exit,
    console: globalThis.console,
    outWrite: process.stdout.write,
    errWrite: process.stderr.write,
    outTTY: Object.getOwnPropertyDescriptor(process.stdout, 'isTTY'),
    errTTY: Object.getOwnPropertyDescriptor(process.stderr, 'isTTY'),
    stdin: Object.getOwnPropertyDescriptor(process, 'stdin'),
  }
  let exitCode: number | undefined
  let timer: NodeJS.Timeout | undefined
  try {
    await opts.beforeRun?.()
    for (const [k, v] of Object.entries({...opts.home?.env, ...opts.env})) process.env[k] = v
    process.argv = [process.execPath, BIN, ...args]
    process.exitCode = undefined
    process.stdout.write = capture(s => (out += s))
    process.stderr.write = capture(s => (err += s))
    // Not a terminal: no colour, no progress bars, no ink views — as under a pipe.
    Object.defineProperty(process.stdout, 'isTTY', {value: false, configurable: true, writable: true})
    Object.defineProperty(process.stderr, 'isTTY', {value: false, configurable: true, writable: true})
    const stdin = Readable.from(opts.input === undefined ? [] : [opts.input]) as Readable & {isTTY?: boolean}
    stdin.isTTY = false
    Object.defineProperty(process, 'stdin', {value: stdin, configurable: true, writable: true})
    globalThis.console = new Console({stdout: process.stdout, stderr: process.stderr})
    process.exit = ((code?: number | string | null) => {
      throw new ProcessExit(Number(code ?? process.exitCode ?? 0))
    }) as typeof process.exit

    const run = async (): Promise<number> => {
      try {
        await o.run(args)
        return Number(process.exitCode ?? 0)
      } catch (error) {
        if (error instanceof ProcessExit) return error.code
        const e = error as Error & {oclif?: {exit?: number}}
        if (e.oclif?.exit !== undefined && e.constructor.name === 'ExitError') return e.oclif.exit
        // Anything else reached bin/run.js, which prints it with fabricctl's top-level handler and exits.
        try {
          await o.handleTopLevel(e, hoist(args))
        } catch (exit) {
          if (exit instanceof ProcessExit) return exit.code
          throw exit
        }
        return 1
      }
    }
    const timeoutMs = opts.timeoutMs ?? 120_000
    exitCode = await Promise.race([
      run(),
      new Promise<number>(resolve => {
        timer = setTimeout(() => {
          err += `\n[runCli: timed out after ${timeoutMs} ms]`
          resolve(-1)
        }, timeoutMs)
      }),
    ])
  } finally {
    clearTimeout(timer)
    process.stdout.write = saved.outWrite
    process.stderr.write = saved.errWrite
    restoreProperty(process.stdout, 'isTTY', saved.outTTY)
    restoreProperty(process.stderr, 'isTTY', saved.errTTY)
    restoreProperty(process, 'stdin', saved.stdin)
    globalThis.console = saved.console
    process.exit = saved.exit
    process.exitCode = saved.exitCode
    process.argv = saved.argv
    for (const k of Object.keys(process.env)) if (!(k in saved.env)) delete process.env[k]
    Object.assign(process.env, saved.env)
  }
  return result(stripFinalNewline(out), stripFinalNewline(err), exitCode ?? -1)
}

function restoreProperty(target: object, key: string, desc: PropertyDescriptor | undefined): void {
  if (desc) Object.defineProperty(target, key, desc)
  else delete (target as Record<string, unknown>)[key]
}

function stripFinalNewline(s: string): string {
  if (s.endsWith('\r\n')) return s.slice(0, -2)
  return s.endsWith('\n') ? s.slice(0, -1) : s
}
