import {Command, Flags, type Interfaces} from '@oclif/core'

import {resolveContext, type ResolvedContext} from '../context/config.js'
import {describeContext, openFabric} from '../backends/open.js'
import type {ContextConfig} from '../context/schema.js'
import type {Fabric} from '../fabric.js'
import {writeJson} from '../output/json.js'
import {toTerminal} from '../output/safe.js'
import {makeStyle, type Style} from '../output/style.js'
import {renderErrorText, toFabricError} from './error-map.js'
import {isFabricError, usageError} from './errors.js'
import {EXIT, type ExitCode} from './exit-codes.js'
import {hasSecrets, redactText, redactValue} from './redact.js'
import type {EnvelopeKey, Kind, ResultOf} from './result.js'

export type GlobalFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof FabricCommand)['baseFlags'] & T['flags']
>

/** Every JSON document fabricctl prints carries these two keys. */
export interface Document {
  kind: string
  schemaVersion: number
}

/**
 * The conventions every command inherits (DESIGN.md §6): --json prints one object and nothing
 * else on stdout; human output otherwise; errors name what was wrong, the value, and what to do,
 * as a JSON error object in --json mode; exit codes 0–5; stack traces only with --debug.
 */
export abstract class FabricCommand extends Command {
  static override baseFlags = {
    json: Flags.boolean({
      description: 'Print one JSON object (with kind and schemaVersion) on stdout, nothing else.',
      helpGroup: 'GLOBAL',
    }),
    context: Flags.string({
      description: 'Context to use (overrides $FABRICCTL_CONTEXT and current-context).',
      helpGroup: 'GLOBAL',
    }),
    debug: Flags.boolean({description: 'Show stack traces and internal details on errors.', helpGroup: 'GLOBAL'}),
    'no-color': Flags.boolean({
      description: 'Never colour output (colour is also off when stdout is not a TTY or $NO_COLOR is set).',
      helpGroup: 'GLOBAL',
    }),
  }

  protected jsonMode = false
  protected debugMode = false
  protected style: Style = makeStyle({noColor: true})
  private opened?: ResolvedContext
  private fabric?: Fabric
  /** The context resolved last (for the envelope of a command that does not open the fabric). */
  private resolved?: ContextConfig

  override async init(): Promise<void> {
    await super.init()
    // Decide output mode from argv before parsing, so even a parse error is reported in the right format.
    this.jsonMode = this.argv.includes('--json')
    this.debugMode = this.argv.includes('--debug')
    this.style = makeStyle({noColor: this.argv.includes('--no-color')})
  }

  /**
   * oclif's parse, with every failure a usage error (exit 2) naming the flag or argument: oclif's
   * own argument parsers throw plain Errors ("Expected an integer …") that would otherwise be internal.
   */
  /* eslint-disable @typescript-eslint/no-explicit-any */
  protected override async parse<
    F extends Record<string, any>,
    B extends Record<string, any>,
    A extends Record<string, any>,
  >(options?: Interfaces.Input<F, B, A>, argv?: string[]): Promise<Interfaces.ParserOutput<F, B, A>> {
    const input = (options ?? this.ctor) as any
    const args = Object.fromEntries(
      Object.entries((input.args ?? {}) as Record<string, any>).map(([name, arg]) => [
        name,
        {
          ...arg,
          parse: async (value: string, ctx: unknown, self: unknown) => {
            try {
              return await arg.parse(value, ctx, self)
            } catch (error) {
              if (isFabricError(error)) throw error
              throw usageError(
                'BAD_ARGUMENT',
                `Argument ${name.toUpperCase()}: ${(error as Error).message}.`,
                value,
                "See the command's --help for its arguments and examples.",
              )
            }
          },
        },
      ]),
    )
    const wrapped = {
      ...input,
      strict: input.strict,
      flags: input.flags,
      baseFlags: input.baseFlags,
      enableJsonFlag: input.enableJsonFlag,
      args,
    }
    let out: Interfaces.ParserOutput<F, B, A>
    try {
      out = await super.parse(wrapped, argv)
    } catch (error) {
      throw toFabricError(error as Error, this.argv)
    }
    // oclif's integer parser takes 99999999999999999999999 as 1e23: refuse what is past exact integers.
    for (const [name, value] of [...Object.entries(out.flags ?? {}), ...Object.entries(out.args ?? {})]) {
      if (typeof value === 'number' && !Number.isSafeInteger(value) && Number.isInteger(value)) {
        throw usageError(
          'BAD_USAGE',
          `${name in (out.flags ?? {}) ? `--${name}` : `Argument ${name.toUpperCase()}`}: ${value} is out of range.`,
          value,
          "See the command's --help for the allowed range.",
        )
      }
    }
    return out
  }
  /* eslint-enable @typescript-eslint/no-explicit-any */

  /** Resolve the context the user asked for (flag, env, file, default). */
  protected async context(flag: string | undefined): Promise<ResolvedContext> {
    const r = await resolveContext(flag)
    this.resolved = r.context
    return r
  }

  /** Open the fabric of the chosen context; closed automatically when the command ends. */
  protected async openFabric(contextFlag: string | undefined): Promise<Fabric> {
    this.opened = await this.context(contextFlag)
    this.fabric = await openFabric(this.opened.context, msg => this.notice(msg))
    return this.fabric
  }

  /** The context `openFabric` resolved (its file included), without reading the file again. */
  protected openedContext(): ResolvedContext {
    if (!this.opened) throw new Error('openedContext() before openFabric()')
    return this.opened
  }

  /** A line for a person, on stderr, so stdout stays clean for JSON and pipes. */
  protected notice(message: string): void {
    process.stderr.write(toTerminal(`${redactText(message)}\n`))
  }

  /** Print the result: the JSON document in --json mode, else the human rendering. */
  protected emit<T extends Document>(doc: T, human: () => string): void {
    // Redaction (src/lib/cli/redact.ts) costs nothing unless a secret was loaded or a URL has userinfo.
    const safe = (text: string) => (hasSecrets() || text.includes('@') ? redactText(text) : text)
    if (this.jsonMode)
      writeJson(doc, {transform: safe}) // large documents compact and streamed (output/json.ts)
    else {
      const text = safe(human())
      // toTerminal: names in the rendering escaped (safe output), fabricctl's own colours kept.
      if (text) process.stdout.write(toTerminal(text.endsWith('\n') ? text : `${text}\n`))
    }
  }

  /** The envelope's values: the context and backend of the fabric opened (else of the context resolved). */
  protected envelopeValue(key: EnvelopeKey): string {
    const opened = this.fabric ?? (this.resolved && {context: this.resolved, info: describeContext(this.resolved).info})
    if (!opened) throw new Error(`the envelope needs a context (${key}), but the command resolved none`)
    return key === 'context' ? opened.context.name : opened.info.backend
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
    const fe = toFabricError(err, this.argv)
    if (this.jsonMode) {
      process.stdout.write(`${redactText(JSON.stringify(redactValue(fe.toJSON()), null, 2))}\n`)
    } else {
      process.stderr.write(
        redactText(renderErrorText(fe, makeStyle({noColor: this.argv.includes('--no-color'), stream: process.stderr}))),
      )
    }
    if (this.debugMode) process.stderr.write(`${redactText(debugText(err))}\n`)
    else if (!isFabricError(err) && fe.code === 'INTERNAL')
      process.stderr.write('(run again with --debug for the stack trace)\n')
    await this.drainStdout()
    this.exit(fe.exitCode)
  }
}

/** The stack and the chain of causes, for --debug (redacted by the caller). */
function debugText(err: Error): string {
  const parts = [err.stack ?? String(err)]
  let cause = (err as {cause?: unknown}).cause
  for (let i = 0; cause instanceof Error && i < 5; i++, cause = (cause as {cause?: unknown}).cause)
    parts.push(`Caused by: ${cause.stack ?? String(cause)}`)
  return parts.join('\n')
}

/**
 * A command that returns its result (oclif's `Command._run`, Salesforce's `SfCommand<T>`): `run()`
 * returns the typed body of one registered JSON kind; the base adds the envelope (`kind`,
 * `schemaVersion`, then `envelope`'s keys: context, backend) and prints it, as JSON with --json,
 * else through `render`; then it ends with `exitCode(result)`.
 */
export abstract class ResultCommand<K extends Kind> extends FabricCommand {
  /**
   * The kind of document `run()` returns; its zod schema is registered in src/lib/schemas/. A command
   * with two kinds (K a union: `port diagnose` PORT / --all) sets the one it returns in `run()`.
   */
  protected abstract readonly kind: K
  /** Envelope keys this kind carries after kind/schemaVersion, in order. */
  protected readonly envelope: readonly EnvelopeKey[] = ['context']

  abstract override run(): Promise<ResultOf<K>>

  /** The human rendering of the result. */
  protected abstract render(result: ResultOf<K>): string

  /** How the command ends once the result is printed (1 a check failed, 3 partial). */
  protected exitCode(_result: ResultOf<K>): ExitCode {
    return EXIT.OK
  }

  override async init(): Promise<void> {
    await super.init()
    // oclif's _run calls init, run, catch, finally: the result is printed inside run's try, so an
    // error while rendering is reported like any other and the fabric is closed after printing.
    const run = this.run.bind(this)
    this.run = async () => {
      const result = await run()
      this.emit(this.document(result), () => this.render(result))
      this.finish(this.exitCode(result))
      return result
    }
  }

  /** The JSON document: the envelope, then the result's keys in their order. */
  protected document(result: ResultOf<K>): {kind: K; schemaVersion: 1} {
    return {
      kind: this.kind,
      schemaVersion: 1,
      ...Object.fromEntries(this.envelope.map(k => [k, this.envelopeValue(k)])),
      ...result,
    }
  }
}
