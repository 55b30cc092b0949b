// vitest globalSetup for the live project: brings the lab up once per run (or reuses a healthy
// one) and, at the end, tears down every lab (native, full, prod) this run started, unless
// FABRICCTL_LAB_KEEP=1 or another vitest run is still using it. After that it checks every profile
// whose lab is not up (fabl-*, fabf-*, and the reserved fabp-*) for leftovers: namespaces, links,
// mounts, guard routes, processes.
//
// A lab that cannot come up must not stop the other tiers: setup never throws. It records the
// reason in FABRICCTL_LAB_UP_ERROR (inherited by the test workers), and every live file then fails
// with that reason (useLab), while the unit tier runs as usual.
//
// FABRICCTL_LAB_PROFILE lists the other profiles the run covers (e.g. `full,prod`; native always):
// their labs come up on demand in the first file that needs them (useProfileLab / useLabMatrix in
// lab.ts), and a prod lab stays up for the run's other files until this teardown.
import fs from 'node:fs'
import path from 'node:path'
import {
  LAB_DIR,
  LAB_PROFILES,
  LAB_STATE,
  LAB_UP_ERROR_ENV,
  labCannotRunReason,
  labLeftovers,
  labProfilesWanted,
  run,
  useLab,
} from './lab.js'

const USERS = path.join(LAB_STATE, 'users')
const owner = `vitest-${process.pid}-${Date.now()}`
const userFile = path.join(USERS, `${process.pid}`)

function otherLiveUsers(): string[] {
  let files: string[] = []
  try {
    files = fs.readdirSync(USERS)
  } catch {
    return []
  }
  return files.filter(f => {
    if (f === String(process.pid)) return false
    try {
      process.kill(Number(f), 0)
      return true
    } catch {
      fs.rmSync(path.join(USERS, f), {force: true})
      return false
    }
  })
}

export async function setup(): Promise<void> {
  delete process.env[LAB_UP_ERROR_ENV]
  if (labCannotRunReason() && process.env.FABRICCTL_REQUIRE_LIVE !== '1') return // test files skip with the reason
  try {
    fs.mkdirSync(USERS, {recursive: true})
    fs.writeFileSync(userFile, owner)
    process.env.FABRICCTL_LAB_OWNER = owner
    const profiles = labProfilesWanted() // throws on an unknown name in FABRICCTL_LAB_PROFILE
    process.stderr.write(`[live] lab profiles this run covers: ${profiles.join(', ')}\n`)
    await useLab()
  } catch (error) {
    const msg = error instanceof Error ? error.message : String(error)
    process.env[LAB_UP_ERROR_ENV] = msg
    process.stderr.write(
      `\n[live] the lab did not come up; every live test file will fail with this reason:\n${msg}\n\n`,
    )
  }
}

export async function teardown(): Promise<void> {
  fs.rmSync(userFile, {force: true})
  if (labCannotRunReason()) return
  const problems: string[] = []
  const keep = process.env.FABRICCTL_LAB_KEEP === '1'
  const shared = otherLiveUsers().length > 0
  for (const p of LAB_PROFILES) {
    const runDir = path.join(p.state, 'run')
    let startedBy = ''
    try {
      startedBy = fs.readFileSync(path.join(runDir, 'started-by'), 'utf8').trim()
    } catch {
      /* not started by a vitest run */
    }
    if (startedBy === owner && !keep && !shared) {
      const down = await run(path.join(LAB_DIR, 'down'), ['--profile', p.name], {timeoutMs: 300_000})
      if (down.exitCode !== 0)
        problems.push(`test/lab/down --profile ${p.name} exited ${down.exitCode}: ${down.stderr.slice(-2000)}`)
    }
    // a lab that is up now (reused, kept, or still used by another run) is not a leftover, nor is
    // one that an up or down elsewhere is busy with (its lock is held)
    if (fs.existsSync(path.join(runDir, 'lab.env'))) continue
    const lock = path.join(p.state, '.lock')
    if (fs.existsSync(lock) && (await run('flock', ['-n', lock, 'true'], {timeoutMs: 10_000})).exitCode !== 0) continue
    const left = await labLeftovers(p.name)
    if (left.length) problems.push(`${p.name} profile (${p.prefix}*) left behind: ${left.join('; ')}`)
  }
  if (problems.length) throw new Error(`the live tier left lab pieces behind:\n${problems.join('\n')}`)
}
