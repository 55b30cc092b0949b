import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

/** Where the embedded store lives: $FABRICCTL_HOME, else $XDG_DATA_HOME/fabricctl, else ~/.local/share/fabricctl. */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FABRICCTL_HOME) return path.resolve(env.FABRICCTL_HOME)
  const base = env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share')
  return path.join(base, 'fabricctl')
}

/** The context file: $FABRICCTL_CONFIG, else $XDG_CONFIG_HOME/fabricctl/config.yaml. */
export function configFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FABRICCTL_CONFIG) return path.resolve(env.FABRICCTL_CONFIG)
  const base = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config')
  return path.join(base, 'fabricctl', 'config.yaml')
}

/** One database per simulated context, so several sim contexts can coexist. */
export function simDbPath(contextName: string, env: NodeJS.ProcessEnv = process.env): string {
  const file = contextName === 'sim' ? 'sim.db' : `sim-${contextName.replaceAll(/[^A-Za-z0-9_.-]/g, '_')}.db`
  return path.join(dataDir(env), file)
}

/**
 * A file shipped in the package's `data/` directory, found by walking up from the calling module
 * (dist/lib/…, src/lib/… or the bundled build's bundle/fabricctl.cjs), so every layout finds it.
 */
export function shippedDataFile(name: string, fromUrl: string): string {
  let dir = path.dirname(fileURLToPath(fromUrl))
  for (;;) {
    const candidate = path.join(dir, 'data', name)
    if (fs.existsSync(candidate)) return candidate
    const parent = path.dirname(dir)
    if (parent === dir) return path.resolve(path.dirname(fileURLToPath(fromUrl)), '..', '..', '..', 'data', name)
    dir = parent
  }
}
