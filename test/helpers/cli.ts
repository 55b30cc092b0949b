import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
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

export function makeHome(prefix = 'fabricctl-test-'): TestHome {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  return {
    dir,
    env: {FABRICCTL_HOME: dir, FABRICCTL_CONFIG: path.join(dir, 'config.yaml'), NO_COLOR: '1', FABRICCTL_CONTEXT: ''},
    cleanup: () => fs.rmSync(dir, {recursive: true, force: true}),
  }
}

/** Run the built CLI (dist/, never a possibly stale bundle/: see test/bundle.test.ts) as a user would. */
export async function runCli(args: string[], opts: {home?: TestHome; env?: Record<string, string>; input?: string; timeoutMs?: number} = {}): Promise<CliResult> {
  const r = await execa(process.execPath, [BIN, ...args], {
    env: {FABRICCTL_NO_BUNDLE: '1', ...opts.home?.env, ...opts.env},
    extendEnv: true,
    reject: false,
    input: opts.input,
    stdin: opts.input === undefined ? 'ignore' : undefined,
    timeout: opts.timeoutMs ?? 120_000,
    cwd: ROOT,
  })
  let json: unknown
  try {
    json = JSON.parse(r.stdout)
  } catch {
    json = undefined
  }
  return {stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? -1, json}
}
