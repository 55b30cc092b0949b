import {parentPort, workerData} from 'node:worker_threads'

import type {ContextConfig} from '../context/schema.js'
import {openFabric} from '../backends/open.js'
import {gather, type GatherOptions} from './gather.js'

/**
 * The exporter's gather thread: one gather per request, so the main thread keeps serving the
 * cached exposition while the (synchronous, SQLite-bound) sim diagnosis runs, and a gather that
 * overruns its budget can be stopped by terminating this thread.
 */
const data = workerData as {context: ContextConfig; options: GatherOptions}

// Load what a gather needs before the first one is timed (a cold start costs seconds on a busy machine).
const PRELOAD: Record<'sim' | 'live', string[]> = {
  sim: [
    '../backends/sim/index.js',
    '../sim/store-file.js',
    '../diagnose/sim.js',
    '../backends/sim/leaf-service.js',
    '../audit/sources/sim.js',
  ],
  live: [
    '../backends/live/index.js',
    '../live/reader.js',
    '../diagnose/live.js',
    '../backends/live/leaf-service.js',
    '../audit/sources/ssh.js',
  ],
}
const common = [
  '../diagnose/states.js',
  '../diagnose/index.js',
  './verified.js',
  '../audit/catalogue.js',
  '../audit/run.js',
  '../leaf/service.js',
]
await Promise.all([...common, ...PRELOAD[data.context.backend]].map(m => import(m).catch(() => {})))
parentPort!.postMessage({ready: true})

parentPort!.on('message', async (msg: {id: number}) => {
  try {
    const fabric = await openFabric(data.context, () => {})
    try {
      const snapshot = await gather(fabric, data.options)
      parentPort!.postMessage({id: msg.id, snapshot})
    } finally {
      fabric.close()
    }
  } catch (error) {
    parentPort!.postMessage({id: msg.id, error: (error as Error).message || String(error)})
  }
})
