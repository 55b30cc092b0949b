import os from 'node:os'
import path from 'node:path'

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
