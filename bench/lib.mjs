// Shared helpers for bench/*.bench.mjs: a private FABRICCTL_HOME, running the CLI, timing, percentiles.
import {execFileSync, spawnSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const BIN = path.join(ROOT, 'bin', 'run.js')

export function benchContext() {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'fabricctl-bench-'))
  const env = {...process.env, FABRICCTL_HOME: home, FABRICCTL_CONFIG: path.join(home, 'config.yaml'), NO_COLOR: '1'}
  delete env.FABRICCTL_CONTEXT
  return {
    home,
    env,
    /** Run fabricctl; returns {ms, status, stdout, stderr}. */
    cli(args, opts = {}) {
      const t0 = process.hrtime.bigint()
      const r = spawnSync(process.execPath, [BIN, ...args], {
        env: {...env, ...opts.env},
        encoding: 'utf8',
        maxBuffer: 1 << 30,
        timeout: opts.timeoutMs ?? 600_000,
      })
      return {ms: Number(process.hrtime.bigint() - t0) / 1e6, status: r.status, stdout: r.stdout, stderr: r.stderr}
    },
    /** Median wall time of `runs` runs of a command (after one warm-up). */
    medianMs(cmd, args, runs = 10, opts = {}) {
      spawnSync(cmd, args, {env: {...env, ...opts.env}})
      const times = []
      for (let i = 0; i < runs; i++) {
        const t0 = process.hrtime.bigint()
        spawnSync(cmd, args, {env: {...env, ...opts.env}, stdio: 'ignore'})
        times.push(Number(process.hrtime.bigint() - t0) / 1e6)
      }
      return percentile(times, 50)
    },
    cleanup() {
      fs.rmSync(home, {recursive: true, force: true})
    },
  }
}

export function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b)
  if (s.length === 0) return NaN
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))
  return s[idx]
}

export function sh(cmd, args) {
  return execFileSync(cmd, args, {encoding: 'utf8'})
}

/**
 * Paired start-up runs: each round runs the anchor (`node -e 0`) and then the command, so both see the same
 * machine load. Returns medians of wall and CPU time of both, and the medians of the per-round ratios
 * (wall and CPU: on a loaded machine the CPU ratio is the steadier one).
 */
export function pairedRatio(env, args, rounds = 9, {anchor = ['-e', '0'], extraEnv = {}} = {}) {
  const e = {...env, ...extraEnv}
  const run = a => timed(process.execPath, a, {env: e})
  run(anchor)
  const first = run(args)
  const cmd = [],
    base = [],
    ratios = [],
    cpuRatios = [],
    cmdCpu = [],
    baseCpu = []
  for (let i = 0; i < rounds; i++) {
    const b = run(anchor)
    const c = run(args)
    base.push(b.ms)
    cmd.push(c.ms)
    baseCpu.push(b.cpuMs)
    cmdCpu.push(c.cpuMs)
    ratios.push(c.ms / b.ms)
    if (b.cpuMs > 0) cpuRatios.push(c.cpuMs / b.cpuMs)
  }
  return {
    ms: percentile(cmd, 50),
    anchorMs: percentile(base, 50),
    ratio: percentile(ratios, 50),
    cpuMs: percentile(cmdCpu, 50),
    anchorCpuMs: percentile(baseCpu, 50),
    cpuRatio: percentile(cpuRatios, 50),
    status: first.status,
    stderr: first.stderr,
  }
}

/**
 * Run a command under /usr/bin/time: wall ms, CPU ms (user + system, the figure that survives a loaded machine)
 * and peak RSS (MiB). `stdout` is discarded unless opts.keepStdout.
 */
export function timed(cmd, args, opts = {}) {
  const fmtFile = path.join(os.tmpdir(), `fabricctl-time-${process.pid}-${Math.random().toString(36).slice(2)}`)
  const t0 = process.hrtime.bigint()
  const r = spawnSync('/usr/bin/time', ['-o', fmtFile, '-f', '%U %S %M', cmd, ...args], {
    env: opts.env,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    stdio: ['ignore', opts.keepStdout ? 'pipe' : 'ignore', 'pipe'],
    timeout: opts.timeoutMs ?? 600_000,
  })
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  let cpuMs = NaN,
    rssMiB = NaN
  try {
    const [u, s, m] = fs.readFileSync(fmtFile, 'utf8').trim().split('\n').pop().split(' ').map(Number)
    cpuMs = (u + s) * 1000
    rssMiB = m / 1024
  } catch {
    // not measured / not JSON
  }
  fs.rmSync(fmtFile, {force: true})
  return {ms, cpuMs, rssMiB, status: r.status, stdout: r.stdout, stderr: r.stderr}
}

/** A minimal Neutron client for the lab's noauth Neutron (bench rows that compare against raw HTTP). */
export function labNeutronCall(lab, timeoutMs) {
  const url = lab.neutron.url.replace(/\/$/, '')
  const headers = {'Content-Type': 'application/json', 'X-Project-Id': lab.neutron.projectId}
  return async (method, p, body) => {
    const res = await fetch(`${url}${p}`, {
      method,
      headers,
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(timeoutMs),
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text.slice(0, 200)}`)
    return text ? JSON.parse(text) : {}
  }
}
