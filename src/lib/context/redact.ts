import {redactValue} from '../cli/redact.js'
import type {ContextConfig} from './schema.js'

/** A copy of the context safe to print: every secret under `auth` replaced, URL userinfo removed (src/lib/cli/redact.ts). */
export function redactContext(c: ContextConfig): ContextConfig {
  return redactValue(c)
}
