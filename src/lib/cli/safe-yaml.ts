import fs from 'node:fs'
import {type Document, parseDocument, stringify} from 'yaml'

import {FabricError} from './errors.js'
import {EXIT} from './exit-codes.js'

/**
 * Every YAML file fabricctl reads (the context file, known-bug catalogues) goes through here, with
 * limits (issue 19): a file larger than MAX_YAML_BYTES is refused before it is parsed, and an alias
 * bomb ("billion laughs") stops at MAX_YAML_ALIAS_COUNT instead of eating the machine. A directory
 * or an unreadable path in place of the file is a clear error naming it (exit 2), not EISDIR.
 */
export const MAX_YAML_BYTES = 4 * 1024 * 1024
export const MAX_YAML_ALIAS_COUNT = 100
export const YAML_PARSE_OPTIONS = {prettyErrors: true} as const
export const YAML_TOJS_OPTIONS = {maxAliasCount: MAX_YAML_ALIAS_COUNT} as const

// `yaml` is reached only through this module, imported statically here: a dynamic `import('yaml')` in the
// bundle resolves to the package's CommonJS build, whose namespace has no named exports (issue 16's bundle).
/** Parse YAML text into a Document with the one set of parse options. */
export function parseYamlDocument(text: string): Document.Parsed {
  return parseDocument(text, YAML_PARSE_OPTIONS)
}

/** YAML text of a value (context files, `context show`). */
export function toYamlText(value: unknown): string {
  return stringify(value)
}

export interface YamlProblem {
  file: string
  message: string
}

/**
 * Read and parse a YAML file within the limits. Returns the plain value (undefined for an empty
 * document). `invalid(message)` builds the caller's own error for bad YAML (it knows the format).
 */
export function readYamlFile(file: string, what: string, invalid: (message: string) => FabricError): unknown {
  return parseYamlText(readYamlFileText(file, what, invalid), invalid)
}

/** The text of a YAML file, within the size limit; a directory or an unreadable path is a clear error. */
export function readYamlFileText(file: string, what: string, invalid: (message: string) => FabricError): string {
  let stat: fs.Stats
  try {
    stat = fs.statSync(file)
  } catch (error) {
    throw unreadable(file, what, (error as NodeJS.ErrnoException).code ?? 'ERROR', error)
  }
  if (stat.isDirectory()) throw unreadable(file, what, 'EISDIR')
  if (stat.size > MAX_YAML_BYTES) throw invalid(`it is ${stat.size} bytes; the limit is ${MAX_YAML_BYTES} bytes`)
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    throw unreadable(file, what, (error as NodeJS.ErrnoException).code ?? 'ERROR', error)
  }
  return text
}

/** Parse YAML text within the limits (size, alias count). */
export function parseYamlText(text: string, invalid: (message: string) => FabricError): unknown {
  if (Buffer.byteLength(text) > MAX_YAML_BYTES) throw invalid(`it is larger than ${MAX_YAML_BYTES} bytes`)
  const doc = parseDocument(text, YAML_PARSE_OPTIONS)
  if (doc.errors.length > 0) throw invalid(`YAML syntax: ${doc.errors[0]!.message.split('\n')[0]}`)
  return documentToJS(doc, invalid)
}

/** A parsed document's value, within the alias-expansion limit. */
export function documentToJS(doc: Document.Parsed, invalid: (message: string) => FabricError): unknown {
  try {
    return doc.toJS(YAML_TOJS_OPTIONS) ?? undefined
  } catch (error) {
    // yaml throws a ReferenceError "Excessive alias count indicates a resource exhaustion attack".
    const msg = (error as Error).message
    if (/alias/i.test(msg))
      throw invalid(`too many YAML aliases (more than ${MAX_YAML_ALIAS_COUNT} expansions): ${msg}`)
    throw invalid(`YAML: ${msg}`)
  }
}

function unreadable(file: string, what: string, code: string, cause?: unknown): FabricError {
  const reason =
    code === 'EISDIR'
      ? 'it is a directory, not a file'
      : code === 'EACCES'
        ? 'permission denied'
        : code === 'ENOTDIR'
          ? 'part of its path is a file, not a directory'
          : code === 'ENOENT'
            ? 'it does not exist'
            : code
  return new FabricError({
    code: code === 'EISDIR' ? 'FILE_IS_DIRECTORY' : 'FILE_UNREADABLE',
    message: `Cannot read the ${what} ${file}: ${reason}.`,
    value: file,
    hint:
      code === 'EISDIR'
        ? `Give the path of a YAML file, not a directory (or remove the directory ${file}).`
        : 'Check the path and its permissions.',
    exitCode: EXIT.USAGE,
    cause,
  })
}
