/** x-ssh-router's command line: `serve` or `check`, with `--config FILE`. @internal */

/** What the command line asks for. */
export type CliCommand =
  | { readonly command: 'help' }
  | { readonly command: 'check'; readonly config: string }
  | { readonly command: 'serve'; readonly config: string; readonly log: 'text' | 'json' | 'none'; readonly drainMs: number }

/** A command line that cannot be run (exit 2). */
export class UsageError extends Error {
  readonly code = 'ERR_USAGE'
}

export const USAGE = `usage: x-ssh-router serve --config FILE [--log text|json|none] [--drain-ms N]
       x-ssh-router check --config FILE
  serve   route SSH connections as FILE says; SIGHUP reloads FILE, SIGTERM drains and exits
  check   validate FILE and print the effective routes
`

/** Parses `argv` (without node and the script). @throws UsageError */
export function parseArgs(argv: readonly string[]): CliCommand {
  const [command, ...rest] = argv
  if (command === '--help' || command === '-h' || command === 'help') return { command: 'help' }
  if (command !== 'check' && command !== 'serve') throw new UsageError(command === undefined ? 'a command is required' : `unknown command "${command}"`)
  const values = new Map<string, string>()
  const allowed = command === 'serve' ? ['--config', '--log', '--drain-ms'] : ['--config']
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!
    if (a === '--help' || a === '-h') return { command: 'help' }
    const eq = a.indexOf('=')
    const name = eq > 0 ? a.slice(0, eq) : a
    if (!allowed.includes(name)) throw new UsageError(`unknown argument "${a}"`)
    const value = eq > 0 ? a.slice(eq + 1) : rest[++i]
    if (value === undefined || value === '') throw new UsageError(`${name} needs a value`)
    values.set(name, value)
  }
  const config = values.get('--config')
  if (config === undefined) throw new UsageError('--config FILE is required')
  if (command === 'check') return { command, config }
  const log = values.get('--log') ?? 'text'
  if (log !== 'text' && log !== 'json' && log !== 'none') throw new UsageError('--log must be text, json or none')
  const drain = values.get('--drain-ms') ?? '10000'
  if (!/^\d+$/.test(drain)) throw new UsageError('--drain-ms must be a number of milliseconds')
  return { command, config, log, drainMs: Number(drain) }
}
