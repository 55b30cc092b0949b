import {parentPort, workerData} from 'node:worker_threads'

import type {ContextConfig} from '../context/schema.js'
import {openFabric} from '../fabric.js'
import {gather, type GatherOptions} from './gather.js'

/**
 * The exporter's gather thread: one gather per request, so the main thread keeps serving the
 * cached exposition while the (synchronous, SQLite-bound) sim diagnosis runs, and a gather that
 * overruns its budget can be stopped by terminating this thread.
 */
const data = workerData as {context: ContextConfig; options: GatherOptions}

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
