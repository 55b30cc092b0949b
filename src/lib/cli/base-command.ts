import {Command, Flags, type Interfaces} from '@oclif/core'

import {resolveContext, type ResolvedContext} from '../context/config.js'
import {type FabricHandle, openFabric} from '../fabric.js'
import {writeJson} from '../output/json.js'
import {makeStyle, type Style} from '../output/style.js'
import {FabricError, isFabricError} from './errors.js'
import {EXIT, type ExitCode} from './exit-codes.js'
import {hasSecrets, redactText, redactValue} from './redact.js'

export type GlobalFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof FabricCommand)['baseFlags'] & T['flags']>

/** Every JSON document fabricctl prints carries these two keys. */
export interface Document { kind: string; schemaVersion: number }

/**
 * The conventions every command inherits (DESIGN.md §6): --json prints one object and nothing
 * else on stdout; human output otherwise; errors name what was wrong, the value, and what to do,
 * as a JSON error object in --json mode; exit codes 0–5; stack traces only with --debug.
 */
export abstract class FabricCommand extends Command {
  static override baseFlags = {
    json: Flags.boolean({description: 'Print one JSON object (with kind and schemaVersion) on stdout, nothing else.', helpGroup: 'GLOBAL'}),
    context: Flags.string({description: 'Context to use (overrides $FABRICCTL_CONTEXT and current-context).', helpGroup: 'GLOBAL'}),
    debug: Flags.boolean({description: 'Show stack traces and internal details on errors.', helpGroup: 'GLOBAL'}),
    'no-color': Flags.boolean({description: 'Never colour output (colour is also off when stdout is not a TTY or $NO_COLOR is set).', helpGroup: 'GLOBAL'}),
  }

  protected jsonMode = false
  protected debugMode = false
  protected style: Style = makeStyle({noColor: true})
  private fabric?: FabricHandle

  override async init(): Promise<void> {
    await super.init()
    // Decide output mode from argv before parsing, so even a parse error is reported in the right format.
    this.jsonMode = this.argv.includes('--json')
    this.debugMode = this.argv.includes('--debug')
    this.style = makeStyle({noColor: this.argv.includes('--no-color')})
  }

  /** Resolve the context the user asked for (flag, env, file, default). */
  protected async context(flag: string | undefined): Promise<ResolvedContext> {
    return resolveContext(flag)
  }

  /** Open the fabric of the chosen context; closed automatically when the command ends. */
  protected async openFabric(contextFlag: string | undefined): Promise<FabricHandle> {
    const {context} = await this.context(contextFlag)
    this.fabric = await openFabric(context, msg => this.notice(msg))
    return this.fabric
  }

  /** A line for a person, on stderr, so stdout stays clean for JSON and pipes. */
  protected notice(message: string): void {
    process.stderr.write(`${redactText(message)}\n`)
  }

  /** Print the result: the JSON document in --json mode, else the human rendering. */
  protected emit<T extends Document>(doc: T, human: () => string): void {
    // Redaction (src/lib/cli/redact.ts) costs nothing unless a secret was loaded or a URL has userinfo.
    const safe = (text: string) => (hasSecrets() || text.includes('@') ? redactText(text) : text)
    if (this.jsonMode) writeJson(doc, {transform: safe}) // large documents compact and streamed (output/json.ts)
    else {
      const text = safe(human())
      if (text) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
    }
  }

  /** Wait until everything written to stdout is flushed (`catch` does this before every non-zero exit). */
  protected async drainStdout(): Promise<void> {
    await new Promise<void>(resolve => process.stdout.write('', () => resolve()))
  }

  /** End with a non-zero exit code after output was printed (a failed check, a partial result). */
  protected finish(code: ExitCode): void {
    if (code !== EXIT.OK) this.exit(code)
  }

  protected override async finally(err: Error | undefined): Promise<void> {
    this.fabric?.close()
    this.fabric = undefined
    return super.finally(err)
  }

  protected override async catch(err: Error & {oclif?: {exit?: number}; exitCode?: number}): Promise<void> {
    // this.exit() throws an ExitError carrying the code: pass it through — after stdout has drained,
    // because the process exit that follows does not wait for a pipe (large output would be cut).
    if (err.oclif?.exit !== undefined && err.constructor.name === 'ExitError') {
      await this.drainStdout()
      throw err
    }
    const fe = toFabricError(err)
    if (this.jsonMode) {
      process.stdout.write(`${redactText(JSON.stringify(redactValue(fe.toJSON()), null, 2))}\n`)
    } else {
      const s = makeStyle({noColor: this.argv.includes('--no-color'), stream: process.stderr})
      const lines = [`${s.red('Error:')} ${fe.message}`]
      if (fe.hint) lines.push(`${s.dim('What to do:')} ${fe.hint}`)
      process.stderr.write(`${redactText(lines.join('\n'))}\n`)
    }
    if (this.debugMode) process.stderr.write(`${redactText(debugText(err))}\n`)
    else if (!isFabricError(err) && fe.code === 'INTERNAL') process.stderr.write('(run again with --debug for the stack trace)\n')
    await this.drainStdout()
    this.exit(fe.exitCode)
  }
}

/** The stack and the chain of causes, for --debug (redacted by the caller). */
function debugText(err: Error): string {
  const parts = [err.stack ?? String(err)]
  let cause = (err as {cause?: unknown}).cause
  for (let i = 0; cause instanceof Error && i < 5; i++, cause = (cause as {cause?: unknown}).cause) parts.push(`Caused by: ${cause.stack ?? String(cause)}`)
  return parts.join('\n')
}

/** Map oclif's parse errors and unexpected exceptions onto FabricError. */
function toFabricError(err: Error & {oclif?: {exit?: number}}): FabricError {
  if (isFabricError(err)) return err
  const name = err.constructor?.name ?? ''
  const isParse = /Parse|Flag|Arg|Validation|Options|Required|Unexpected|NonExistent/.test(name) || err.oclif?.exit === 2
  if (isParse) {
    return new FabricError({
      code: 'BAD_USAGE',
      message: err.message.replace(/\n\s*See more help with --help$/, '').trim(),
      value: process.argv.slice(2).join(' '),
      hint: 'See the command\'s --help for its flags and examples.',
      exitCode: EXIT.USAGE,
    })
  }
  return new FabricError({
    code: 'INTERNAL',
    message: `Internal error: ${err.message}`,
    hint: 'This is a fabricctl bug; please report it with the output of --debug.',
    exitCode: EXIT.CHECK_FAILED,
  })
}
