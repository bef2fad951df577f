/**
 * One SSH host of the embedded lab: an @x/server `listen()` in this process that behaves like a
 * small sshd — host key, real authentication, exec, SFTP in the home directory, direct-tcpip to
 * the names it can reach, tcpip-forward — listening on TCP or only on a Unix socket (a host
 * nobody else can dial).
 */
import { mkdir } from 'node:fs/promises'
import { PrivateKey } from '@x/transport'
import { fsSftp, listen } from '@x/server'
import { authPolicyOf, type HostAuthPolicy } from './host-auth.js'
import { forwardingPolicyOf, type HostNetwork, type TunnelRecord } from './host-network.js'
import { execHandler } from './host-session.js'
import { generateKeyPair } from './keys.js'

/** Configures {@link startSshHost}. */
export interface SshHostOptions {
  /** The host's name in the lab ('bastion'); commands see it as $LAB_HOST. */
  readonly name: string
  /** TCP on 127.0.0.1 (port 0: any free one), or a Unix socket path. */
  readonly listen: { readonly port: number } | { readonly path: string }
  /** Home directory of the user: where commands run, and the root SFTP paths start in. */
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
  /** Every direct-tcpip connection made so far (the host's log). */
  readonly tunnels: readonly TunnelRecord[]
  close(): Promise<void>
}

/** Starts a lab host; resolves once it listens. */
export async function startSshHost(options: SshHostOptions): Promise<SshHost> {
  await mkdir(options.home, { recursive: true })
  const key = generateKeyPair(options.name)
  const tunnels: TunnelRecord[] = []
  const server = await listen({
    ...('path' in options.listen ? { path: options.listen.path } : { host: '127.0.0.1', port: options.listen.port }),
    hostKeys: [await PrivateKey.load(key.privateKey)],
    auth: authPolicyOf(options.auth),
    exec: execHandler({ hostName: options.name, home: options.home, user: options.auth.user }),
    sftp: fsSftp({ root: options.home }),
    forwarding: forwardingPolicyOf(options.network, tunnels),
    transport: options.banner ? { banner: options.banner } : undefined,
  })
  let closing: Promise<void> | undefined
  const close = (): Promise<void> => (closing ??= server.destroy())
  return {
    name: options.name,
    port: 'port' in options.listen ? server.address().port : undefined,
    hostKey: key.publicLine,
    tunnels,
    close,
    [Symbol.asyncDispose]: close,
  }
}
