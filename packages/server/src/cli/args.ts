/** The x-sshd command line: options into a checked, frozen {@link CliOptions}. */
import { UsageError } from './usage-error.js'

/** What a login may do, from `--allow`. */
export type Allowed = 'exec' | 'shell' | 'sftp' | 'forward'

/** The checked options of `x-sshd` (serve). */
export interface CliOptions {
  readonly command: 'serve'
  /** `--listen`'s host (brackets of an IPv6 address removed). */
  readonly host: string
  /** `--listen`'s port; 0 takes a free one. */
  readonly port: number
  /** `--host-key` files in order; empty: the state directory's key. */
  readonly hostKeys: readonly string[]
  /** `--authorized-keys`. */
  readonly authorizedKeys: string | undefined
  /** `--password-file`. */
  readonly passwordFile: string | undefined
  /** `--root`: the directory SFTP serves. */
  readonly root: string | undefined
  /** `--read-only`: SFTP refuses writes. */
  readonly readOnly: boolean
  /** `--allow`: what a login may do. */
  readonly allow: ReadonlySet<Allowed>
  /** `--log`: the log line format on stderr. */
  readonly log: 'text' | 'json'
  /** `--state-dir`; undefined: `$XDG_STATE_HOME/x-sshd` or `~/.local/state/x-sshd`. */
  readonly stateDir: string | undefined
  /** `--max-startups`; undefined: listen()'s default. */
  readonly maxStartups: number | undefined
  /** `--drain-ms`: close()'s timeoutMs on SIGTERM/SIGINT. */
  readonly drainMs: number
}

/** What a command line asks for. */
export type CliCommand = CliOptions | { readonly command: 'help' } | { readonly command: 'version' } | { readonly command: 'hash-password' }

/** The text `--help` prints. */
export const USAGE = `usage: x-sshd [options]
       x-sshd hash-password        read a password on stdin, print its $scrypt$ hash

  --listen HOST:PORT       address to listen on (default 127.0.0.1:2222; [::1]:2222; port 0: any)
  --host-key FILE          a host private key (repeatable; default <state-dir>/host_ed25519)
  --authorized-keys FILE   public keys allowed to log in (as any local user)
  --password-file FILE     user:hash lines (hashes from x-sshd hash-password)
  --root DIR               the directory SFTP serves (required when sftp is allowed)
  --read-only              SFTP refuses every write
  --allow LIST             comma list of exec,shell,sftp,forward (default sftp)
  --log text|json          log lines on stderr (default text)
  --state-dir DIR          where the generated host key lives (default $XDG_STATE_HOME/x-sshd)
  --max-startups N         connections still authenticating at once (default 10)
  --drain-ms N             on SIGTERM/SIGINT, how long sessions may finish (default 10000)
  --help, --version
At least one of --authorized-keys and --password-file is needed.
`

const ALLOWED: readonly Allowed[] = ['exec', 'shell', 'sftp', 'forward']
const VALUED = new Set(['--listen', '--host-key', '--authorized-keys', '--password-file', '--root', '--allow', '--log', '--state-dir', '--max-startups', '--drain-ms'])

/** Parses `HOST:PORT` or `[v6]:PORT`. @internal */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^\[([0-9A-Fa-f:.%\w]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]\s]+):(\d{1,5})$/.exec(text)
  const port = m ? Number(m[2]) : NaN
  if (!m || port > 65535) throw new UsageError(`--listen wants HOST:PORT or [V6]:PORT, not ${JSON.stringify(text)}`)
  return { host: m[1]!, port }
}

function count(name: string, text: string, min: number): number {
  if (!/^\d{1,9}$/.test(text) || Number(text) < min) throw new UsageError(`${name} wants an integer ≥ ${min}, not ${JSON.stringify(text)}`)
  return Number(text)
}

function parseAllow(text: string): Set<Allowed> {
  const out = new Set<Allowed>()
  for (const item of text.split(',')) {
    if (!(ALLOWED as readonly string[]).includes(item)) throw new UsageError(`--allow takes ${ALLOWED.join(',')}, not ${JSON.stringify(item)}`)
    out.add(item as Allowed)
  }
  return out
}

/**
 * Parses x-sshd's arguments (without node and the script).
 *
 * @throws UsageError for an unknown option, a missing or bad value, or options that cannot work
 * together (no way to log in; sftp without --root).
 */
export function parseArgs(argv: readonly string[]): CliCommand {
  if (argv[0] === 'hash-password') {
    if (argv.length > 1) throw new UsageError('hash-password takes no arguments')
    return { command: 'hash-password' }
  }
  const values = new Map<string, string[]>()
  const flags = new Set<string>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--help' || arg === '-h') return { command: 'help' }
    if (arg === '--version') return { command: 'version' }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1
    const name = eq > 0 ? arg.slice(0, eq) : arg
    if (name === '--read-only') {
      if (eq > 0) throw new UsageError('--read-only takes no value')
      flags.add(name)
      continue
    }
    if (!VALUED.has(name)) throw new UsageError(`unknown ${arg.startsWith('-') ? 'option' : 'argument'} ${JSON.stringify(arg)} (see --help)`)
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i]
    if (value === undefined) throw new UsageError(`${name} needs a value`)
    if (name !== '--host-key' && values.has(name)) throw new UsageError(`${name} given twice`)
    values.set(name, [...(values.get(name) ?? []), value])
  }
  const one = (name: string): string | undefined => values.get(name)?.[0]
  const { host, port } = parseListen(one('--listen') ?? '127.0.0.1:2222')
  const allow = parseAllow(one('--allow') ?? 'sftp')
  const log = one('--log') ?? 'text'
  if (log !== 'text' && log !== 'json') throw new UsageError(`--log is text or json, not ${JSON.stringify(log)}`)
  const options: CliOptions = {
    command: 'serve',
    host,
    port,
    hostKeys: values.get('--host-key') ?? [],
    authorizedKeys: one('--authorized-keys'),
    passwordFile: one('--password-file'),
    root: one('--root'),
    readOnly: flags.has('--read-only'),
    allow,
    log,
    stateDir: one('--state-dir'),
    maxStartups: one('--max-startups') === undefined ? undefined : count('--max-startups', one('--max-startups')!, 1),
    drainMs: one('--drain-ms') === undefined ? 10_000 : count('--drain-ms', one('--drain-ms')!, 0),
  }
  if (options.authorizedKeys === undefined && options.passwordFile === undefined) throw new UsageError('nobody could log in: give --authorized-keys or --password-file')
  if (allow.has('sftp') && options.root === undefined) throw new UsageError('--root is required when sftp is allowed')
  return Object.freeze(options)
}
