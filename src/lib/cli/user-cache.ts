// fabricctl's per-user cache directory, shared by the bundle's V8 code cache (src/bundle-loader.ts) and the
// validated context file (src/lib/context/config.ts). Node built-ins only: bundle/main.cjs inlines it.
// Everything here is a cache: a file that cannot be read, parsed or written is a miss, never an error.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/** The per-user cache directory: $XDG_CACHE_HOME/fabricctl, else ~/.cache/fabricctl. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : undefined
  return path.join(base ?? path.join(os.homedir(), '.cache'), 'fabricctl')
}

/** Write `data` to `file` through a temp file renamed over it (a reader never sees half a file); owner-only. */
export function writeCacheFile(file: string, data: string | NodeJS.ArrayBufferView): void {
  fs.mkdirSync(path.dirname(file), {recursive: true, mode: 0o700})
  const tmp = `${file}.${process.pid}.tmp`
  try {
    fs.writeFileSync(tmp, data, {mode: 0o600})
    fs.renameSync(tmp, file)
  } catch (error) {
    fs.rmSync(tmp, {force: true})
    throw error
  }
}

/** Remove all but the `keep` newest files in `dir` named `<prefix>…<suffix>` (each rebuild or new key adds one). */
export function pruneCacheFiles(dir: string, prefix: string, suffix: string, keep: number): void {
  const files = fs
    .readdirSync(dir)
    .filter(f => f.startsWith(prefix) && f.endsWith(suffix))
    .map(f => ({file: path.join(dir, f), mtime: fs.statSync(path.join(dir, f)).mtimeMs}))
    .sort((a, b) => b.mtime - a.mtime)
  for (const old of files.slice(keep)) fs.rmSync(old.file, {force: true})
}

/** 32-bit FNV-1a, hex: a short stable file name for a key (node:crypto would cost more than it saves here). */
export function fnv1a(text: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0
  return h.toString(16)
}
