import type { SessionUser } from './user.js'

/** Debian's sshd default PATH for an ordinary user (configure --with-default-path). */
export const DEFAULT_USER_PATH = '/usr/local/bin:/usr/bin:/bin:/usr/games'
/** Debian's sshd default PATH for uid 0 (configure --with-superuser-path). */
export const DEFAULT_SUPERUSER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/** Describes the two ends of the TCP connection, for SSH_CLIENT and SSH_CONNECTION. */
export interface SessionEndpoints {
  /** The client's address. */
  readonly remoteAddress: string
  /** The client's port. */
  readonly remotePort: number
  /** The address the client connected to. */
  readonly localAddress: string
  /** The port the client connected to. */
  readonly localPort: number
}

/** Holds what {@link sessionEnvironment} builds the environment from. */
export interface SessionEnvironmentInput {
  /** The account the session runs as. */
  readonly user: SessionUser
  /** The shell that runs the session (SHELL). */
  readonly shell: string
  /** Variables the client sent with `env` requests and the server accepted (AcceptEnv). */
  readonly clientEnv?: Readonly<Record<string, string>> | undefined
  /** The pty's TERM, when the session has a pty and the client sent one. */
  readonly term?: string | undefined
  /** The pty's slave device path (SSH_TTY). */
  readonly tty?: string | undefined
  readonly endpoints?: SessionEndpoints | undefined
  /** The forwarded agent's socket (SSH_AUTH_SOCK). */
  readonly agentSocket?: string | undefined
  /** The client's command, set only when a forced command replaced it (SSH_ORIGINAL_COMMAND). */
  readonly originalCommand?: string | undefined
  /**
   * Server-chosen variables (authorized_keys `environment=` under PermitUserEnvironment, sshd's
   * SetEnv), applied after the defaults, as sshd does.
   */
  readonly extraEnv?: Readonly<Record<string, string>> | undefined
  /** PATH when `extraEnv` gives none; default DEFAULT_USER_PATH or, for uid 0, DEFAULT_SUPERUSER_PATH. */
  readonly path?: string | undefined
  /** TZ of the server, passed on as sshd does; default `process.env.TZ`. */
  readonly tz?: string | undefined
}

/**
 * Builds a session's environment in sshd's order (OpenSSH session.c do_setup_env), where a later
 * name replaces an earlier one: the client's accepted variables; USER, LOGNAME, HOME, PATH, MAIL,
 * SHELL; TZ; TERM; SSH_AUTH_SOCK; `extraEnv`; SSH_CLIENT, SSH_CONNECTION, SSH_TTY and
 * SSH_ORIGINAL_COMMAND. Nothing of the server process's own environment leaks in but TZ, and a
 * client's own SSH_ORIGINAL_COMMAND is dropped.
 */
export function sessionEnvironment(input: SessionEnvironmentInput): Record<string, string> {
  const { user } = input
  const env: Record<string, string> = Object.create(null) as Record<string, string>
  const set = (name: string, value: string | undefined): void => {
    if (value !== undefined) env[name] = value
  }
  // Unlike sshd, never take SSH_ORIGINAL_COMMAND from the client: a forced command's script trusts
  // it, and a shell request under a forced command would otherwise keep a forged one.
  for (const [name, value] of Object.entries(input.clientEnv ?? {})) {
    if (name !== 'SSH_ORIGINAL_COMMAND') set(name, value)
  }
  set('USER', user.name)
  set('LOGNAME', user.name)
  set('HOME', user.home)
  set('PATH', input.path ?? (user.uid === 0 ? DEFAULT_SUPERUSER_PATH : DEFAULT_USER_PATH))
  set('MAIL', `/var/mail/${user.name}`)
  set('SHELL', input.shell)
  set('TZ', 'tz' in input ? input.tz : process.env.TZ)
  if (input.term) set('TERM', input.term)
  set('SSH_AUTH_SOCK', input.agentSocket)
  for (const [name, value] of Object.entries(input.extraEnv ?? {})) set(name, value)
  const ends = input.endpoints
  if (ends) {
    set('SSH_CLIENT', `${ends.remoteAddress} ${ends.remotePort} ${ends.localPort}`)
    set('SSH_CONNECTION', `${ends.remoteAddress} ${ends.remotePort} ${ends.localAddress} ${ends.localPort}`)
  }
  set('SSH_TTY', input.tty)
  set('SSH_ORIGINAL_COMMAND', input.originalCommand)
  return { ...env }
}
