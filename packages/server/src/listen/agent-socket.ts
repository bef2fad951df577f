/**
 * The SSH_AUTH_SOCK of a session whose client forwards its agent (`ssh -A`): a Unix socket in a
 * private directory owned by the session's user, as sshd's auth_input_request_forwarding makes
 * it; each connection to it becomes an auth-agent@openssh.com channel to the client.
 */
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Transport } from '@x/transport'
import type { SessionUser } from '../process/user.js'
import { relay } from './forwarding.js'

/** A listening agent socket; `close()` removes it and ends its connections. */
export interface AgentSocket extends AsyncDisposable {
  readonly path: string
  close(): Promise<void>
}

/**
 * Makes an SSH_AUTH_SOCK for `user` (owned by them when this process is root) in a private
 * directory; each connection to it becomes an auth-agent@openssh.com channel to the client of
 * `transport`, which must have asked for agent forwarding (else the open is refused and the
 * connection closed).
 */
export async function openAgentSocket(transport: Transport<'server'>, user: SessionUser): Promise<AgentSocket> {
  const dir = await mkdtemp(join(tmpdir(), 'ssh-'))
  const sockets = new Set<Socket>()
  let server: Server | undefined
  try {
    await chmod(dir, 0o700)
    const path = join(dir, `agent.${process.pid}`)
    server = createServer((sock) => {
      sockets.add(sock)
      sock.once('close', () => sockets.delete(sock))
      transport.openForwardAgentChannel().then(
        (channel) => relay(channel, sock),
        () => sock.destroy(),
      )
    })
    const s = server
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject)
      s.listen(path, () => {
        s.off('error', reject)
        resolve()
      })
    })
    await chmod(path, 0o600)
    if (process.getuid?.() === 0 && user.uid !== 0) {
      await chown(path, user.uid, user.gid)
      await chown(dir, user.uid, user.gid)
    }
    const close = async (): Promise<void> => {
      for (const sock of sockets) sock.destroy()
      await new Promise<void>((resolve) => s.close(() => resolve()))
      await rm(dir, { recursive: true, force: true })
    }
    return { path, close, [Symbol.asyncDispose]: close }
  } catch (err) {
    server?.close()
    await rm(dir, { recursive: true, force: true })
    throw err
  }
}
