import fs from 'node:fs'
import path from 'node:path'
import {stringify} from 'yaml'

import {FabricError} from '../cli/errors.js'
import {EXIT} from '../cli/exit-codes.js'
import {configFile} from '../cli/paths.js'
import {readYamlFile} from '../cli/safe-yaml.js'
import {type ContextConfig, type FileConfig, configSchema} from './schema.js'

export const BUILTIN_SIM: ContextConfig = {name: 'sim', backend: 'sim'}

export interface ResolvedContext {
  context: ContextConfig
  /** Where the choice came from: flag, env, file or default. */
  source: 'flag' | 'env' | 'file' | 'default'
  file: string
}

function badFile(file: string, message: string, value: unknown): FabricError {
  return new FabricError({
    code: 'CONFIG_INVALID',
    message: `The context file ${file} is invalid: ${message}`,
    value,
    hint: `Fix that key in ${file} (format: docs/contexts.md), or point FABRICCTL_CONFIG at another file.`,
    exitCode: EXIT.USAGE,
  })
}

/** Read and validate the context file; a missing file is an empty config. */
export function loadConfig(file = configFile()): FileConfig {
  if (!fs.existsSync(file)) return configSchema.parse({})
  // safe-yaml: size and alias-count limits; a directory in place of the file is a clear error.
  const raw = readYamlFile(file, 'context file', message => badFile(file, message, file)) ?? {}
  const parsed = configSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const at = issue.path.length > 0 ? issue.path.join('.') : '(top level)'
    const given = issue.path.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k as PropertyKey] : undefined), raw)
    const detail = issue.code === 'unrecognized_keys' ? '' : given === undefined ? ' (missing)' : ` (got ${JSON.stringify(given)})`
    throw badFile(file, `at "${at}": ${issue.message}${detail}.`, given ?? at)
  }
  const names = new Set<string>()
  for (const c of parsed.data.contexts) {
    if (names.has(c.name)) throw badFile(file, `context "${c.name}" is defined twice.`, c.name)
    names.add(c.name)
  }
  return parsed.data
}

export function saveConfig(config: FileConfig, file = configFile()): void {
  fs.mkdirSync(path.dirname(file), {recursive: true})
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, stringify(config), {mode: 0o600})
  fs.renameSync(tmp, file)
}

/** Every context: the built-in sim first unless the file overrides it. */
export function allContexts(config: FileConfig): ContextConfig[] {
  return config.contexts.some(c => c.name === 'sim') ? config.contexts : [BUILTIN_SIM, ...config.contexts]
}

/** Pick the context: --context, then FABRICCTL_CONTEXT, then current-context, then sim. */
export function resolveContext(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): ResolvedContext {
  const file = configFile(env)
  const config = loadConfig(file)
  const [wanted, source] = flag ? [flag, 'flag' as const]
    : env.FABRICCTL_CONTEXT ? [env.FABRICCTL_CONTEXT, 'env' as const]
      : config['current-context'] ? [config['current-context'], 'file' as const]
        : ['sim', 'default' as const]
  const context = allContexts(config).find(c => c.name === wanted)
  if (!context) {
    const known = allContexts(config).map(c => c.name).join(', ')
    throw new FabricError({
      code: 'CONTEXT_NOT_FOUND',
      message: `No context named "${wanted}" (from ${source === 'flag' ? '--context' : source === 'env' ? 'FABRICCTL_CONTEXT' : `current-context in ${file}`}).`,
      value: wanted,
      hint: `Known contexts: ${known}. List them with \`fabricctl context list\`.`,
      exitCode: EXIT.USAGE,
    })
  }
  return {context, source, file}
}
