import path from 'node:path'

import {openDb} from '../../src/lib/store/db.js'
import {FabricStore} from '../../src/lib/store/fabric-store.js'
import {runCli, type TestHome} from './cli.js'
import {assertMatchesSchema} from './schema.js'

/**
 * Helpers for a test file that works on one sim home (made in beforeAll, hence the getter): run
 * the CLI with every JSON document checked against its schema, and open the home's store directly.
 */
export function simHome(home: () => TestHome) {
  return {
    cli: async (...args: string[]) => {
      const r = await runCli(args, {home: home()})
      if (r.json) assertMatchesSchema(r.json)
      return r
    },
    withStore: async <T>(fn: (s: FabricStore) => T): Promise<T> => {
      const store = new FabricStore(await openDb(path.join(home().dir, 'sim.db')))
      try {
        return fn(store)
      } finally {
        store.close()
      }
    },
  }
}
