/**
 * One SSH host of the embedded lab: an ssh2 Server in this process that behaves like a small
 * sshd — host key, real authentication, exec, SFTP, direct-tcpip to the names it can reach,
 * tcpip-forward — listening on TCP or only on a Unix socket (a host nobody else can dial).
 */
import { mkdir } from 'node:fs/promises'
import { createServer, type Socket } from 'node:net'
import ssh2 from 'ssh2'
import { authHandler, type HostAuthPolicy } from './host-auth.js'
import { serveDirectTcpip, serveRemoteForwards, type HostNetwork, type TunnelRecord } from './host-network.js'
import { serveSession } from './host-session.js'
import { generateKeyPair } from './keys.js'

/** Configures {@link startSshHost}. */
export interface SshHostOptions {
  /** The host's name in the lab ('bastion'); commands see it as $LAB_HOST. */
  readonly name: string
  /** TCP on 127.0.0.1 (port 0: any free one), or a Unix socket path. */
  readonly listen: { readonly port: number } | { readonly path: string }
  /** Home directory of the user: where commands run and relative SFTP paths start. */
  readonly home: string
  readonly auth: HostAuthPolicy
  readonly network: HostNetwork
  /** Sent before authentication (SSH_MSG_USERAUTH_BANNER). */
  readonly banner?: string
}

/** A running lab host. */
export interface SshHost extends AsyncDisposable {
  readonly name: string
  /** 127.0.0.1 and the port for a TCP host; undefined port for a Unix-socket-only host. */
  readonly port: number | undefined
  /** The host key as an OpenSSH public key line (what known_hosts holds). */
  readonly hostKey: string
  /** Every direct-tcpip channel opened so far (the host's log). */
  readonly tunnels: readonly TunnelRecord[]
  close(): Promise<void>
}

/** Starts a lab host; resolves once it listens. */
export async function startSshHost(options: SshHostOptions): Promise<SshHost> {
  await mkdir(options.home, { recursive: true })
  const key = generateKeyPair(options.name)
  const tunnels: TunnelRecord[] = []
  const sockets = new Set<Socket>()
  const server = new ssh2.Server({ hostKeys: [key.privateKey], ...(options.banner ? { banner: options.banner } : {}) }, (client, info) => {
    client.on('error', () => {})
    client.on('authentication', authHandler(options.auth))
    client.on('ready', () => {
      const serverPort = 'port' in options.listen ? tcpPort() : 22
      const sshConnection = info.ip ? `${info.ip} ${info.port} 127.0.0.1 ${serverPort}` : undefined
      client.on('session', (accept) => serveSession(accept(), { hostName: options.name, home: options.home, user: options.auth.user, sshConnection }))
      serveDirectTcpip(client, options.network, options.auth.user, tunnels)
      serveRemoteForwards(client)
    })
  })
  server.on('error', () => {})
  const listener = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
    server.injectSocket(socket)
  })
  const tcpPort = (): number => (listener.address() as { port: number }).port
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject)
    if ('path' in options.listen) listener.listen(options.listen.path, resolve)
    else listener.listen(options.listen.port, '127.0.0.1', resolve)
  })
  let closing: Promise<void> | undefined
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      listener.close(() => resolve())
    })
    return closing
  }
  return {
    name: options.name,
    port: 'port' in options.listen ? tcpPort() : undefined,
    hostKey: key.publicLine,
    tunnels,
    close,
    [Symbol.asyncDispose]: close,
  }
}
