// vitest globalSetup for the live project: brings the lab up once per run (or reuses a healthy
// one) and, at the end, tears down only a lab this run started, unless FABRICCTL_LAB_KEEP=1 or
// another vitest run is still using it. After a teardown it checks that nothing was left behind.
import fs from 'node:fs'
import path from 'node:path'
import {LAB_DIR, LAB_RUN, LAB_STATE, labCannotRunReason, labLeftovers, run, useLab} from './lab.js'

const USERS = path.join(LAB_STATE, 'users')
const owner = `vitest-${process.pid}-${Date.now()}`
const userFile = path.join(USERS, `${process.pid}`)

function otherLiveUsers(): string[] {
  let files: string[] = []
  try { files = fs.readdirSync(USERS) } catch { return [] }
  return files.filter((f) => {
    if (f === String(process.pid)) return false
    try { process.kill(Number(f), 0); return true } catch { fs.rmSync(path.join(USERS, f), {force: true}); return false }
  })
}

export async function setup(): Promise<void> {
  if (labCannotRunReason() && process.env.FABRICCTL_REQUIRE_LIVE !== '1') return // test files skip with the reason
  fs.mkdirSync(USERS, {recursive: true})
  fs.writeFileSync(userFile, owner)
  process.env.FABRICCTL_LAB_OWNER = owner
  await useLab()
}

export async function teardown(): Promise<void> {
  fs.rmSync(userFile, {force: true})
  if (process.env.FABRICCTL_LAB_KEEP === '1') return
  let startedBy = ''
  try { startedBy = fs.readFileSync(path.join(LAB_RUN, 'started-by'), 'utf8').trim() } catch { return }
  if (startedBy !== owner) return // a lab we reused: not ours to stop
  if (otherLiveUsers().length) return // another vitest run still uses it
  const down = await run(path.join(LAB_DIR, 'down'), [], {timeoutMs: 300_000})
  const left = await labLeftovers()
  if (down.exitCode !== 0 || left.length) {
    throw new Error(`test/lab/down left the lab behind (exit ${down.exitCode}): ${left.join('; ')}\n${down.stderr.slice(-2000)}`)
  }
}
