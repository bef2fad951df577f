import { createServer } from 'node:net'
import type { Socket } from 'node:net'
import ssh2 from 'ssh2'
import type { ClientInfo, Connection, ServerConfig } from 'ssh2'
import { fingerprintOfPublicLine } from './fingerprint.js'
import type { HostKey } from './host-keys.js'
import { knownHostsLines } from './host-keys.js'
import { LOOPBACK, listenOnLoopback } from './ports.js'
import { closeNetServer } from './tcp-servers.js'

const { Server, utils } = ssh2

/** Configures {@link startSsh2Server}. */
export interface Ssh2ServerOptions {
  /**
   * Scripts each connection: called once the client's identification line has arrived,
   * with the ssh2 server-side `Connection` (an 'error' listener is already attached).
   * Without it, every connection is ended at once.
   */
  onConnection?: (client: Connection, info: ClientInfo) => void
  /** More ssh2 ServerConfig fields (algorithms, banner, greeting, ident, keepalive…). */
  config?: Omit<ServerConfig, 'hostKeys'>
}

/** Controls a running in-process ssh2 server. */
export interface Ssh2ServerHandle {
  /** Always '127.0.0.1'. */
  readonly host: string
  readonly port: number
  /** Its ed25519 host key. */
  readonly hostKey: HostKey
  /** The known_hosts line for `[127.0.0.1]:port`. */
  readonly knownHostsLine: string
  /** How many TCP connections are open right now. */
  readonly connections: number
  /** Errors the client connections emitted, in order (for assertions). */
  readonly errors: readonly Error[]
  /** Destroys every connection and closes the listener (bounded); idempotent. */
  close(): Promise<void>
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>
}

/**
 * Starts an in-process `ssh2` Server on 127.0.0.1 and a free port, with a fresh ed25519
 * host key, for protocol corners a real server can't be made to show (DESIGN.md §4).
 *
 * @example
 * ```ts
 * await using server = await startSsh2Server({
 *   onConnection: (client) => client.on('authentication', (ctx) => ctx.reject(['password'])),
 * })
 * ```
 */
export async function startSsh2Server(options: Ssh2ServerOptions = {}): Promise<Ssh2ServerHandle> {
  const keyPair = generateUsableEd25519()
  const errors: Error[] = []
  const server = new Server({ ...options.config, hostKeys: [keyPair.private] }, (client, info) => {
    client.on('error', (err: Error) => errors.push(err))
    if (options.onConnection) options.onConnection(client, info)
    else client.end()
  })
  server.on('error', (err: Error) => errors.push(err))
  // Our own listener hands sockets to ssh2, so close() can destroy every one of them, also
  // those that never sent an identification line.
  const sockets = new Set<Socket>()
  const tcp = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {}) // ssh2 reports it on the Connection too
    socket.on('close', () => sockets.delete(socket))
    server.injectSocket(socket)
  })
  tcp.on('error', (err) => errors.push(err))
  const port = await listenOnLoopback(tcp)
  const [type = '', blob = ''] = keyPair.public.trim().split(/\s+/)
  const publicLine = `${type} ${blob}`
  const hostKey: HostKey = { type, publicLine, fingerprint: fingerprintOfPublicLine(publicLine) }
  let closing: Promise<void> | undefined
  const close = (): Promise<void> => (closing ??= closeNetServer(tcp, sockets))
  return {
    host: LOOPBACK,
    port,
    hostKey,
    knownHostsLine: knownHostsLines(LOOPBACK, port, [hostKey])[0] ?? '',
    get connections() {
      return sockets.size
    },
    errors,
    close,
    [Symbol.asyncDispose]: close,
  }
}

/**
 * Generates an ed25519 key pair ssh2 can read back. ssh2 1.17's generateKeyPairSync strips
 * leading zero bytes from the public key, so about 1 pair in 256 fails to parse
 * (mscdex/ssh2#1390, #1513); such a pair is generated again.
 */
export function generateUsableEd25519(): { private: string; public: string } {
  for (let attempt = 0; attempt < 32; attempt++) {
    const pair = utils.generateKeyPairSync('ed25519')
    if (!(utils.parseKey(pair.private) instanceof Error) && !(utils.parseKey(pair.public) instanceof Error)) return pair
  }
  throw new Error('ssh2 produced no parsable ed25519 key pair in 32 attempts')
}
