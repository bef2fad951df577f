/**
 * Reads config files line by line as readconf.c `read_config_file_depth()` does, following
 * Include: globbed paths in sorted order, depth ≤ 16 (READCONF_MAX_DEPTH), the including block's
 * activity restored after each file, and parse-only reading under a block that did not match.
 */
import { realpathSync } from 'node:fs'
import { ConfigError } from '@x/transport'
import { applyLine } from './apply-line.js'
import { MAX_CONFIG_FILE_BYTES, readConfigBytes, UnreadableConfigError } from './file-safety.js'
import { globInclude, globTilde } from './include-glob.js'
import { lexLine } from './lexer.js'
import { lineError, type LineContext, type PassState, type ReadFlags } from './line-context.js'

/** OpenSSH's READCONF_MAX_DEPTH: the top file is depth 0, an Include there reads depth 1. */
export const MAX_INCLUDE_DEPTH = 16
/**
 * All config bytes one resolve may process, Includes and both passes counted: a DAG of Includes
 * can fan out without looping. 2 MiB (one file at the size cap, read in both passes) keeps the
 * worst case under a second on a loaded 2-core machine; 4 MiB took 1.0–1.5 s there.
 */
export const MAX_TOTAL_CONFIG_BYTES = 2 * MAX_CONFIG_FILE_BYTES

/** State shared by every file read in one resolve call. */
export interface ReaderState {
  readonly pass: PassState
  /** Lines of files already read (both passes read the same files). */
  readonly cache: Map<string, readonly string[]>
  readonly budget: { bytes: number }
}

/** Where an Include was written, for errors about the included file. */
interface Site {
  readonly file: string
  readonly line: number
  readonly stack: readonly string[]
}

function loadLines(state: ReaderState, path: string, flags: ReadFlags): readonly string[] {
  const key = `${flags.checkPerm ? 'p' : '-'}${path}`
  const cached = state.cache.get(key)
  if (cached !== undefined) return cached
  const bytes = readConfigBytes(path, flags.checkPerm, state.pass.local.uid)
  const lines = bytes.toString('utf8').split('\n')
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
  state.cache.set(key, lines)
  return lines
}

/** Applies the lines of `text` (the contents of `file`) with the given flags and activity. */
export function readConfigText(state: ReaderState, file: string, lines: readonly string[], flags: ReadFlags,
  active: { value: boolean }, depth: number, stack: readonly string[]): void {
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? ''
    state.budget.bytes += raw.length + 1
    if (state.budget.bytes > MAX_TOTAL_CONFIG_BYTES) {
      throw new ConfigError(`${file} line ${i + 1}: more than ${MAX_TOTAL_CONFIG_BYTES} bytes of config read (Include fan-out?)`, { file, line: i + 1 })
    }
    if (raw.includes('\0')) throw new ConfigError(`${file} line ${i + 1}: NUL byte in config`, { file, line: i + 1 })
    const lexed = lexLine(raw)
    if (lexed === null) continue
    const ctx: LineContext = {
      pass: state.pass, flags, file, line: i + 1, active, keyword: lexed.keyword, rest: lexed.rest,
      include: (pattern) => includeFiles(state, pattern, flags, active, depth, { file, line: i + 1, stack }),
    }
    applyLine(ctx, lexed)
  }
}

/**
 * Reads one config file; returns false when it does not exist (callers decide whether that is
 * fine). Unreadable, non-regular, oversized or badly-owned files throw ConfigError.
 */
export function readConfigFile(state: ReaderState, path: string, flags: ReadFlags, active: { value: boolean },
  depth: number, site?: Site): boolean {
  const where = site === undefined ? { file: path } : { file: site.file, line: site.line }
  if (depth > MAX_INCLUDE_DEPTH) {
    throw new ConfigError(`${where.file}${site ? ` line ${site.line}` : ''}: Too many recursive configuration includes (more than ${MAX_INCLUDE_DEPTH})`, where)
  }
  let lines: readonly string[]
  try {
    lines = loadLines(state, path, flags)
  } catch (err) {
    if (!(err instanceof UnreadableConfigError)) throw err
    if (err.missing && site === undefined) return false
    throw new ConfigError(site === undefined ? err.message : `${site.file} line ${site.line}: ${err.message}`, where, { cause: err })
  }
  let real = path
  try {
    real = realpathSync(path)
  } catch {
    // Already read; a path that cannot be resolved now is only used for loop detection.
  }
  const stack = [...(site?.stack ?? []), real]
  readConfigText(state, path, lines, flags, active, depth, stack)
  return true
}

function includeFiles(state: ReaderState, pattern: string, flags: ReadFlags, active: { value: boolean }, depth: number, site: Site): void {
  const { local } = state.pass
  const paths = globInclude(globTilde(pattern, local.includeHome, local.userHome))
  const wasActive = active.value
  for (const path of paths) {
    let real = path
    try {
      real = realpathSync(path)
    } catch {
      // A dangling symlink: reading it below fails with the right error.
    }
    if (site.stack.includes(real)) {
      // OpenSSH would recurse until depth 17 and fail; a loop always ends that way, so say so now.
      throw lineError(site, `Include loop: ${path} is already being read`)
    }
    readConfigFile(state, path, { user: flags.user, checkPerm: true, neverMatch: flags.neverMatch || !wasActive }, active, depth + 1, site)
    // An included file's Host/Match lines must not change the including file's block.
    active.value = wasActive
  }
}
