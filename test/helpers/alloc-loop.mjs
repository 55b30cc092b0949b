// An allocation loop that keeps the simulated store open (like a long-running fabricctl process):
// node alloc-loop.mjs <worker-id> <stop-file> <max>. Prints one JSON line per allocation:
// {name, ip, at} when it reported success, {name, error, at} when it reported failure.
import fs from 'node:fs'

const [id, stopFile, max] = process.argv.slice(2)
const {openSimFabric} = await import('../../dist/lib/sim/store-file.js')
const {SimPortService} = await import('../../dist/lib/backends/sim/ports.js')
const store = await openSimFabric('sim', () => {})
const svc = new SimPortService(store)
for (let i = 0; i < Number(max) && !fs.existsSync(stopFile); i++) {
  const name = `w${id}-${i}`
  try {
    const r = await svc.allocate({label: 'prod-env', az: 'az1', name, count: 1, failIfExists: true, dryRun: false})
    process.stdout.write(`${JSON.stringify({name, ip: r.ports[0].ip, at: Date.now()})}\n`)
  } catch (error) {
    process.stdout.write(`${JSON.stringify({name, error: String(error.code ?? error.message), at: Date.now()})}\n`)
  }
  await new Promise(resolve => setTimeout(resolve, 25))
}
store.close()
