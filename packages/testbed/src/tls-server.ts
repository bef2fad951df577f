import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:https'
import type { Server, Socket } from 'node:net'
import { join } from 'node:path'
import { listenInNetns, portChoice } from './netns.js'
import { LOOPBACK, listenOnLoopback } from './ports.js'
import { runCommand } from './run-command.js'
import { closeNetServer } from './tcp-servers.js'
import { makeTempDir, removeTempDir } from './temp-dir.js'

/** Names the openssl tool (absolute path) that makes the self-signed certificate. */
export const OPENSSL = '/usr/bin/openssl'

/** Holds the body an HTTPS test server answers `GET /` with. */
export const HTTPS_TEST_BODY = 'xssh-testbed https ok\n'

/** Configures {@link startTlsHttpsServer}. */
export interface HttpsServerOptions {
  /**
   * Listen on 127.0.0.1 inside this network namespace (a name under /run/netns). The server
   * still runs in this process: a helper entered into the namespace binds the socket and
   * hands it over (see `listenInNetns`).
   */
  netns?: string
  /**
   * Listen on this port. Default: any free port, or, with `netns`, a port outside the host's
   * ephemeral range that the host's loopback leaves free.
   */
  port?: number
}

/** Controls a running HTTPS test server. */
export interface HttpsServerHandle {
  /** Always '127.0.0.1'. */
  readonly host: string
  readonly port: number
  /** The server's self-signed certificate (PEM): pass it as `ca` to trust the server. */
  readonly ca: string
  /** What `GET /` answers ({@link HTTPS_TEST_BODY}). */
  readonly body: string
  /** Destroys every connection and closes the listener (bounded); idempotent. */
  close(): Promise<void>
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>
}

/**
 * Starts a Node `https` server on 127.0.0.1 and a free port with a certificate made at run
 * time (`openssl req -x509`, P-256, valid for 127.0.0.1 and localhost). `GET /` answers
 * 200 with {@link HTTPS_TEST_BODY}; anything else is 404.
 *
 * @throws Error when /usr/bin/openssl is missing (scripts/prepare-test-host.mjs installs it).
 */
export async function startTlsHttpsServer(options: HttpsServerOptions = {}): Promise<HttpsServerHandle> {
  if (!existsSync(OPENSSL)) throw new Error(`${OPENSSL} is missing: run scripts/prepare-test-host.mjs`)
  const { key, cert } = await selfSignedCertificate()
  const sockets = new Set<Socket>()
  const server = createServer({ key, cert }, (req, res) => {
    const ok = req.method === 'GET' && req.url === '/'
    res.writeHead(ok ? 200 : 404, { 'content-type': 'text/plain' })
    res.end(ok ? HTTPS_TEST_BODY : 'not found\n')
  })
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
  })
  server.on('error', () => {})
  server.on('tlsClientError', () => {}) // a client that rejects our certificate is a test's business
  if (options.netns === undefined) {
    const port = options.port === undefined ? await listenOnLoopback(server) : await listenOn(server, options.port)
    let closing: Promise<void> | undefined
    const close = (): Promise<void> => (closing ??= closeNetServer(server, sockets))
    return { host: LOOPBACK, port, ca: cert, body: HTTPS_TEST_BODY, close, [Symbol.asyncDispose]: close }
  }
  // The listener lives in the namespace; it feeds its connections to the (never listening)
  // https server, the way http servers accept sockets from elsewhere.
  const listener = await listenInNetns(options.netns, await portChoice(options.netns, options.port).pick())
  listener.on('connection', (socket: Socket) => server.emit('connection', socket))
  listener.on('error', () => {})
  const address = listener.address()
  const port = typeof address === 'object' && address ? address.port : 0
  let closing: Promise<void> | undefined
  const close = (): Promise<void> => (closing ??= closeNetServer(listener, sockets))
  return { host: LOOPBACK, port, ca: cert, body: HTTPS_TEST_BODY, close, [Symbol.asyncDispose]: close }
}

function listenOn(server: Server, port: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: LOOPBACK, port }, () => {
      server.off('error', reject)
      resolve(port)
    })
  })
}

async function selfSignedCertificate(): Promise<{ key: string; cert: string }> {
  const dir = await makeTempDir('tls')
  try {
    const keyPath = join(dir, 'key.pem')
    const certPath = join(dir, 'cert.pem')
    await runCommand(OPENSSL, [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', `/CN=${LOOPBACK}`,
      '-addext', `subjectAltName=IP:${LOOPBACK},DNS:localhost`,
    ], { timeoutMs: 15_000 })
    const [key, cert] = await Promise.all([readFile(keyPath, 'utf8'), readFile(certPath, 'utf8')])
    return { key, cert }
  } finally {
    await removeTempDir(dir)
  }
}
