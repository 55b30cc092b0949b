import type {LeafDriverRegistry} from '../seam/leaf-drivers.js'
import type {LeafConfig} from '../model/types.js'
import type {EvpnPeer, RunningState} from './driver.js'

/**
 * What the traffic meets on a leaf, read through its driver (diagnose and trace): the driver's parsed model
 * of everything the leaf carries (`observed`, managed or not), the facts it read with it (VTEP) and, when
 * asked for, its EVPN sessions. A leaf that cannot be read is a reading with the error, not an exception.
 */
export type LeafReading =
  | {
      leaf: string
      reachable: true
      driver: string
      running: RunningState
      /** The whole leaf as the driver models it (`running.observed ?? running.config`). */
      observed: LeafConfig
      /** The EVPN sessions, or why they are unknown (the driver does not read them, or reading them failed). */
      peers?: {peers: EvpnPeer[]; source: string} | {peers: null; reason: string}
    }
  | {leaf: string; reachable: false; error: string}

/** Read leaves through the fabric's leaf-driver registry, in parallel; each driver is closed after its read. */
export async function readLeavesThrough(
  drivers: Pick<LeafDriverRegistry, 'open'>,
  names: readonly string[],
  opts: {peers?: boolean} = {},
): Promise<Map<string, LeafReading>> {
  const out = new Map<string, LeafReading>()
  await Promise.all(
    names.map(async leaf => {
      let d: Awaited<ReturnType<LeafDriverRegistry['open']>> | undefined
      try {
        d = await drivers.open(leaf)
        const running = await d.read()
        const reading: LeafReading = {
          leaf,
          reachable: true,
          driver: d.driver,
          running,
          observed: running.observed ?? running.config,
        }
        if (opts.peers)
          reading.peers = d.evpnPeers
            ? await Promise.resolve(d.evpnPeers()).catch((error: unknown) => ({
                peers: null,
                reason: `reading its EVPN sessions failed: ${(error as Error).message}`,
              }))
            : {peers: null, reason: `the ${d.driver} driver does not read EVPN sessions`}
        out.set(leaf, reading)
      } catch (error) {
        out.set(leaf, {leaf, reachable: false, error: (error as Error).message})
      } finally {
        d?.close()
      }
    }),
  )
  return out
}
