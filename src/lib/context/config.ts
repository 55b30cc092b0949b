import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import type {Document} from 'yaml'

import {FabricError} from '../cli/errors.js'
import {EXIT} from '../cli/exit-codes.js'
import {configFile} from '../cli/paths.js'
import {isAuthPath, redactText, redactValue, registerSecret, registerUrlSecrets} from '../cli/redact.js'
import {cacheDir, fnv1a, pruneCacheFiles, writeCacheFile} from '../cli/user-cache.js'
import type {ContextConfig, FileConfig} from './schema.js'

/**
 * The context file. Loaded lazily: with no file (the built-in `sim` context) neither `yaml` nor
 * `zod` (./schema.ts) is imported, which every command would otherwise pay for at start-up.
 * YAML is parsed in one place, `parseConfigText`, for both reading and `context use`'s rewrite.
 */
export const BUILTIN_SIM: ContextConfig = {name: 'sim', backend: 'sim'}

/** What `configSchema.parse({})` gives, without loading zod. */
export const EMPTY_CONFIG: FileConfig = {apiVersion: 'fabricctl/v1', kind: 'Config', contexts: []}

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

/** The single place the context file's YAML is parsed (and parse options are set). */
export async function parseConfigText(text: string): Promise<Document.Parsed> {
  const {parseYamlDocument} = await import('../cli/safe-yaml.js')
  return parseYamlDocument(text)
}

/** safe-yaml's limits (size, alias count) apply; a directory in place of the file is a clear error. */
async function parseConfigFile(file: string): Promise<{doc: Document.Parsed; text: string; toJS: () => unknown}> {
  const {documentToJS, readYamlFileText} = await import('../cli/safe-yaml.js')
  const invalid = (message: string) => badFile(file, message, file)
  const text = readYamlFileText(file, 'context file', invalid)
  const doc = await parseConfigText(text)
  if (doc.errors.length > 0) throw invalid(`YAML syntax: ${doc.errors[0]!.message.split('\n')[0]}`)
  return {doc, text, toJS: () => documentToJS(doc, invalid)}
}

/** Keys under `auth` that hold no secret (the *Env keys name a variable; its value is the secret). */
const AUTH_PUBLIC = ['type', 'authUrl', 'username', 'projectName', 'projectId', 'userDomain', 'projectDomain']
/** A URL with userinfo (`scheme://user:pass@`), as redact.ts's registerUrlSecrets reads it. */
const URL_WITH_USERINFO = /^[a-z][a-z0-9+.-]*:\/\/[^/@]*@/i

interface ConfigSecrets {
  /** Values of keys ending in `url`. */
  urls: string[]
  /** Values under `auth` other than the public keys: passwords, tokens (as text, whatever their YAML type). */
  values: unknown[]
  /** Names of the environment variables the *Env keys name. */
  env: string[]
}

/** Where the file holds secrets, or names them (see ConfigSecrets). */
function configSecrets(raw: unknown): ConfigSecrets {
  const found: ConfigSecrets = {urls: [], values: [], env: []}
  const walk = (value: unknown, underAuth: boolean, depth: number): void => {
    if (value === null || typeof value !== 'object' || depth > 32) return
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v === 'string' && /url$/i.test(k)) found.urls.push(v)
      if (underAuth) {
        if (k === 'passwordEnv' || k === 'tokenEnv') {
          if (typeof v === 'string') found.env.push(v)
        } else if (!AUTH_PUBLIC.includes(k)) {
          found.values.push(v)
        }
      }
      walk(v, underAuth || k === 'auth', depth + 1)
    }
  }
  walk(raw, false, 0)
  return found
}

/** Does the file itself hold a secret (not only the name of a variable holding one)? */
function holdsSecret(s: ConfigSecrets): boolean {
  return s.values.length > 0 || s.urls.some(u => URL_WITH_USERINFO.test(u))
}

/**
 * Remember every secret the file holds (passwords, tokens, URL userinfo) and the values of the environment
 * variables its *Env keys name, before validating it, so that no error about the file can echo one.
 */
function registerConfigSecrets(raw: unknown): void {
  const {urls, values, env} = configSecrets(raw)
  for (const u of urls) registerUrlSecrets(u)
  for (const v of values) registerSecret(v)
  for (const name of env) registerSecret(process.env[name])
}

// The validated context file is cached (issue 16: loading yaml and zod and validating were ~170 M instructions of
// a store command's start-up, twice a bare `node -e 0`): $XDG_CACHE_HOME/fabricctl/context-<hash of the path>.json
// holds the validated config and the key it was made under. It is used only while all of the key holds:
// - the same file: path, size, mtime, ctime, inode and device (nanoseconds);
// - the same text: a 64-bit hash of it, read each time (a file rewritten within one clock tick keeps its times);
// - the same validator: this module's file (in the bundle, the whole bundle) and the schema's, by size and mtime.
// A file that holds a secret itself (a password, a token, URL userinfo) is never cached, so the cache holds no
// secret; nor are its comments, since an entry holds the validated config, not the text. Anything wrong with the
// cache (missing, unreadable, corrupt, another key) is a miss: the file is read and validated as without it.
const CONFIG_CACHE_FORMAT = 1
const CONFIG_CACHE_PREFIX = 'context-'
/** Cache entries kept: one per context file a user (or a test run) reads; the oldest go. */
const CONFIG_CACHE_KEEP = 8

interface ConfigCacheEntry {
  format: number
  validator: string
  file: string
  stat: string
  hash: string
  config: FileConfig
}

export interface ConfigCacheOptions {
  /** The cache directory; null: no cache (read and validate every time). */
  dir: string | null
}

/** The validator's identity: this module's file and ./schema's (.js in dist/, .ts in src/), by size and mtime. */
function validatorId(): string {
  const self = fileURLToPath(import.meta.url)
  const dir = path.dirname(self)
  return [self, path.join(dir, 'schema.js'), path.join(dir, 'schema.ts')]
    .map(f => {
      try {
        const st = fs.statSync(f)
        return `${st.size}:${st.mtimeMs}`
      } catch {
        return '-'
      }
    })
    .join('/')
}

function statKey(file: string): string {
  const st = fs.statSync(file, {bigint: true})
  return [st.size, st.mtimeNs, st.ctimeNs, st.ino, st.dev].join(':')
}

/** A 64-bit hash of the text: two 32-bit FNV-1a, the second over the text with its length in front. */
function textHash(text: string): string {
  return `${fnv1a(text)}-${fnv1a(`${text.length}\0${text}`)}`
}

function cacheEntryFile(dir: string, file: string): string {
  return path.join(dir, `${CONFIG_CACHE_PREFIX}${fnv1a(file)}.json`)
}

/** The cached config of `file` while its key holds (see above), else undefined. */
function readCachedConfig(file: string, dir: string): FileConfig | undefined {
  try {
    const entry = JSON.parse(fs.readFileSync(cacheEntryFile(dir, file), 'utf8')) as ConfigCacheEntry
    if (entry.format !== CONFIG_CACHE_FORMAT || entry.file !== file || entry.stat !== statKey(file)) return undefined
    if (entry.validator !== validatorId() || entry.hash !== textHash(fs.readFileSync(file, 'utf8'))) return undefined
    return entry.config
  } catch {
    return undefined
  }
}

function writeCachedConfig(file: string, dir: string, text: string, stat: string, config: FileConfig): void {
  const entry: ConfigCacheEntry = {
    format: CONFIG_CACHE_FORMAT,
    validator: validatorId(),
    file,
    stat,
    hash: textHash(text),
    config,
  }
  try {
    writeCacheFile(cacheEntryFile(dir, file), JSON.stringify(entry))
    pruneCacheFiles(dir, CONFIG_CACHE_PREFIX, '.json', CONFIG_CACHE_KEEP)
  } catch {
    // not writable: the next run validates again
  }
}

/**
 * Read and validate the context file; a missing file is an empty config. A valid file's config comes from the
 * cache while its key holds (see above): then neither yaml nor zod is loaded.
 */
export async function loadConfig(
  file = configFile(),
  cache: ConfigCacheOptions = {dir: cacheDir()},
): Promise<FileConfig> {
  if (!fs.existsSync(file)) return structuredClone(EMPTY_CONFIG)
  const cached = cache.dir === null ? undefined : readCachedConfig(file, cache.dir)
  if (cached) {
    registerConfigSecrets(cached)
    return cached
  }
  let stat: string | undefined
  try {
    stat = statKey(file)
  } catch {
    // parseConfigFile says what is wrong with it
  }
  const {text, toJS} = await parseConfigFile(file)
  const raw = toJS() ?? {}
  registerConfigSecrets(raw)
  const {configSchema} = await import('./schema.js')
  const parsed = configSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const at = issue.path.length > 0 ? issue.path.join('.') : '(top level)'
    const given = issue.path.reduce<unknown>(
      (o, k) => (o && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k as PropertyKey] : undefined),
      raw,
    )
    const secret = isAuthPath(issue.path)
    const shown =
      secret && given !== null && typeof given !== 'object'
        ? `a ${typeof given}, not shown`
        : JSON.stringify(redactValue(given, secret))
    const detail = issue.code === 'unrecognized_keys' ? '' : given === undefined ? ' (missing)' : ` (got ${shown})`
    throw badFile(
      file,
      `at "${at}": ${redactText(issue.message)}${detail}.`,
      given === undefined || (secret && typeof given !== 'object') ? at : redactValue(given, secret),
    )
  }
  const names = new Set<string>()
  for (const c of parsed.data.contexts) {
    if (names.has(c.name)) throw badFile(file, `context "${c.name}" is defined twice.`, c.name)
    names.add(c.name)
  }
  if (cache.dir !== null && stat !== undefined && !holdsSecret(configSecrets(raw)))
    writeCachedConfig(file, cache.dir, text, stat, parsed.data)
  return parsed.data
}

/** Remove `<file>.<pid>.tmp` files left by a process that died (kill -9, full disk) before renaming. */
export function removeStaleTemps(file: string): void {
  const dir = path.dirname(file)
  const base = path.basename(file)
  let names: string[]
  try {
    names = fs.readdirSync(dir)
  } catch {
    return
  }
  for (const n of names) {
    const m = n.startsWith(`${base}.`) ? /\.(\d+)\.tmp$/.exec(n) : null
    if (m && n === `${base}.${m[1]}.tmp` && !pidAlive(Number(m[1]))) fs.rmSync(path.join(dir, n), {force: true})
  }
}

export function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Write `text` to `file` atomically: a temp file beside the real target (through a symlink), renamed over it; the temp never outlives a failure. */
function writeAtomic(file: string, text: string): string {
  let target = file
  try {
    target = fs.realpathSync(file)
  } catch {
    /* new file */
  }
  fs.mkdirSync(path.dirname(target), {recursive: true})
  removeStaleTemps(target)
  let mode = 0o600
  try {
    mode = fs.statSync(target).mode & 0o777
  } catch {
    /* new file */
  }
  const tmp = `${target}.${process.pid}.tmp`
  try {
    fs.writeFileSync(tmp, text, {mode})
    fs.renameSync(tmp, target)
  } catch (error) {
    fs.rmSync(tmp, {force: true})
    const e = error as NodeJS.ErrnoException
    throw new FabricError({
      code: e.code === 'ENOSPC' ? 'DISK_FULL' : 'CONFIG_WRITE_FAILED',
      message: `Cannot write the context file ${target}: ${e.code === 'ENOSPC' ? 'the disk is full' : e.message}.`,
      value: target,
      hint:
        e.code === 'ENOSPC'
          ? `Free space on the file system holding ${path.dirname(target)}; the file is unchanged.`
          : `Check the permissions of ${path.dirname(target)}; the file is unchanged.`,
      exitCode: EXIT.USAGE,
      cause: error,
    })
  }
  return target
}

/**
 * Make `name` the current context, changing only the `current-context` key: comments, layout and
 * everything else in the file stay as they are. Writes through a symlink to its target.
 * Returns the path written.
 */
export async function setCurrentContext(name: string, file = configFile()): Promise<string> {
  if (!fs.existsSync(file)) {
    const {toYamlText} = await import('../cli/safe-yaml.js')
    return writeAtomic(file, toYamlText({...EMPTY_CONFIG, 'current-context': name}))
  }
  const {doc, text} = await parseConfigFile(file)
  const node = doc.get('current-context', true) as {range?: [number, number, number]} | undefined
  // Replace just the value's text when the key exists (every other byte stays); else let the Document add the key.
  if (node?.range && typeof doc.get('current-context') === 'string')
    return writeAtomic(file, `${text.slice(0, node.range[0])}${name}${text.slice(node.range[1])}`)
  doc.set('current-context', name)
  return writeAtomic(file, doc.toString())
}

/** Every context: the built-in sim first unless the file overrides it. */
export function allContexts(config: FileConfig): ContextConfig[] {
  return config.contexts.some(c => c.name === 'sim') ? config.contexts : [BUILTIN_SIM, ...config.contexts]
}

/** Pick the context: --context, then FABRICCTL_CONTEXT, then current-context, then sim. */
export async function resolveContext(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ResolvedContext> {
  const file = configFile(env)
  const config = await loadConfig(file)
  const [wanted, source] = flag
    ? [flag, 'flag' as const]
    : env.FABRICCTL_CONTEXT
      ? [env.FABRICCTL_CONTEXT, 'env' as const]
      : config['current-context']
        ? [config['current-context'], 'file' as const]
        : ['sim', 'default' as const]
  const context = allContexts(config).find(c => c.name === wanted)
  if (!context) {
    const known = allContexts(config)
      .map(c => c.name)
      .join(', ')
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
