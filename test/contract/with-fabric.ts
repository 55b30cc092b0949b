import type {Fabric} from '../../src/lib/fabric.js'

/** Open a fabric for one contract test, run it, and close the fabric whatever happened. */
export function fabricRunner(open: () => Promise<Fabric>) {
  return async (fn: (f: Fabric) => Promise<void>): Promise<void> => {
    const fabric = await open()
    try {
      await fn(fabric)
    } finally {
      fabric.close()
    }
  }
}
