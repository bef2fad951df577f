import { waitFor, type SshServerHandle } from '@x/testbed'

/** What a server's log says about one client connection, found by the client's port. */
export interface AuthEvidence {
  /** The log lines naming that connection. */
  readonly lines: readonly string[]
  /** A line says a user authenticated (sshd "Accepted …", Dropbear "… auth succeeded …"). */
  readonly authenticated: boolean
  /** A line says an authentication attempt was made (accepted, failed or postponed). */
  readonly attempted: boolean
  /** A line says the connection ended before authentication (sshd "[preauth]", Dropbear "Exit before auth"). */
  readonly endedBeforeAuth: boolean
}

function evidence(server: SshServerHandle, log: string, clientPort: number): AuthEvidence {
  const mark = server.kind === 'dropbear' ? `127.0.0.1:${clientPort}` : `127.0.0.1 port ${clientPort}`
  const lines = log.split('\n').filter((line) => line.includes(mark))
  return {
    lines,
    authenticated: lines.some((l) => /Accepted (publickey|password|keyboard-interactive)|auth succeeded/i.test(l)),
    attempted: lines.some((l) => /Accepted|Failed|Postponed|auth succeeded|bad password|auth fail|Invalid user/i.test(l)),
    endedBeforeAuth: lines.some((l) => (server.kind === 'dropbear' ? /Exit before auth/.test(l) : /\[preauth\]/.test(l))),
  }
}

/**
 * Reads what `server` logged about the connection from 127.0.0.1:`clientPort`, waiting (at
 * most `timeoutMs`) until the log says how it ended: authenticated, or closed before auth.
 * OpenSSH's LogLevel VERBOSE or DEBUG1 and Dropbear's default log both name the client port.
 */
export async function authEvidence(server: SshServerHandle, clientPort: number, timeoutMs = 3_000): Promise<AuthEvidence> {
  let last = evidence(server, '', clientPort)
  await waitFor(async () => {
    last = evidence(server, await server.log(), clientPort)
    return last.authenticated || last.endedBeforeAuth
  }, { timeoutMs, intervalMs: 50 }).catch(() => {})
  return last
}
