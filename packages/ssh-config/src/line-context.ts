/**
 * What a config line is applied against: the options collected so far, the pass being run, and
 * where the line came from (for ConfigError's file and line).
 */
import { ConfigError } from '@x/transport'
import type { OptionState } from './option-state.js'
import type { SshConfigWarning, SshConfigWarningReason } from './types.js'

/** Everything the resolver knows about the local side, fixed for one resolve call. */
export interface LocalInfo {
  readonly homeDir: string
  /** Home used for `~` in Include patterns: OpenSSH's glob reads $HOME there. */
  readonly includeHome: string
  readonly localUser: string
  readonly localHostname: string
  readonly uid: number
  readonly env: NodeJS.ProcessEnv
  readonly allowMatchExec: boolean
  readonly systemConfigPath: string
  /** Home directory of another local user, for `~user` (undefined when unknown). */
  readonly userHome: (user: string) => string | undefined
  /** Reports a line that applies but is ignored (the resolver dedupes across passes). */
  readonly warn: (warning: SshConfigWarning) => void
}

/** One pass over the config files (ssh.c reads them once, and again for `Match final`). */
export interface PassState {
  readonly opts: OptionState
  readonly local: LocalInfo
  /** The name Host lines match: the command-line host, or the canonical name in the final pass. */
  readonly host: string
  /** The host as given (Match originalhost, %n). */
  readonly originalHost: string
  readonly final: boolean
  /** Set when a `Match final` (or `canonical`) line asks for a second pass; null in that pass. */
  wantFinal: boolean | null
}

/** Per-file reading flags (readconf.h SSHCONF_*). */
export interface ReadFlags {
  /** A user config: relative Include goes to ~/.ssh, `~` allowed (SSHCONF_USERCONF). */
  readonly user: boolean
  /** Check owner and mode (SSHCONF_CHECKPERM). */
  readonly checkPerm: boolean
  /** Parse only: nothing in this file may apply (SSHCONF_NEVERMATCH). */
  readonly neverMatch: boolean
}

/** The line being applied. */
export interface LineContext {
  readonly pass: PassState
  readonly flags: ReadFlags
  readonly file: string
  readonly line: number
  /** Whether options apply here; Host and Match lines change it (shared across an Include). */
  readonly active: { value: boolean }
  readonly keyword: string
  /** The rest of the line after the keyword (for commands, ProxyJump and Match). */
  readonly rest: string
  /** Includes files: set by the reader, which owns depth and loop checks. */
  readonly include: (pattern: string) => void
}

/** A keyword handler: reads its arguments from `args` and updates the options when the line is active. */
export type Handler = (ctx: LineContext, args: ArgReader) => void

/** Returns `arg`, or throws ssh's error for a missing one (`what`) when it is absent or empty. */
export function need(ctx: LineContext, arg: string | undefined, what = 'Missing argument.'): string {
  if (arg === undefined || arg === '') throw lineError(ctx, what)
  return arg
}

/** Creates a ConfigError naming the line's file and 1-based line number. */
export function lineError(ctx: Pick<LineContext, 'file' | 'line'>, message: string, cause?: unknown): ConfigError {
  return new ConfigError(`${ctx.file} line ${ctx.line}: ${message}`, { file: ctx.file, line: ctx.line }, { cause })
}

/** Reads a line's arguments one by one (readconf.c `argv_next()`). */
export class ArgReader {
  private index = 0

  /** Wraps the arguments argv_split produced. */
  constructor(private readonly args: readonly string[]) {}

  /** Returns the next argument, or undefined when none is left. */
  next(): string | undefined {
    return this.index < this.args.length ? this.args[this.index++] : undefined
  }

  /** Returns the next argument without taking it. */
  peek(): string | undefined {
    return this.args[this.index]
  }

  /** Counts the arguments not taken yet. */
  get remaining(): number {
    return this.args.length - this.index
  }

  /** Takes every argument that is left (readconf.c `argv_consume()`). */
  consume(): void {
    this.index = this.args.length
  }
}

/** Reports `ctx`'s keyword as ignored for `reason` when its line applies to the host. */
export function reportIgnored(ctx: LineContext, reason: SshConfigWarningReason): void {
  if (ctx.active.value && !ctx.flags.neverMatch) ctx.pass.local.warn({ keyword: ctx.keyword, file: ctx.file, line: ctx.line, reason })
}
