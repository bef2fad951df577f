import { Client, type ClientChannel } from 'ssh2'
import { Connection } from '@x/connection'
import { BENCH_HOST_KEY, BENCH_KEX, type BenchCipher, type BenchSite } from './site.js'
import type { SshdHandle } from '@x/testbed'

/** A (not yet opened) Connection to the bench target as a user writes it: alias, ssh_config, optional `-J`. */
export function ourConnection(site: BenchSite, cipher: BenchCipher, proxyJump?: string): Connection {
  return new Connection('target', {
    config: { text: site.configText(cipher) },
    auth: { agent: false },
    ...(proxyJump === undefined ? {} : { proxyJump }),
  })
}

/** Opens `ourConnection(…)`; resolves it connected and authenticated. */
export async function openOurs(site: BenchSite, cipher: BenchCipher, proxyJump?: string): Promise<Connection> {
  const conn = ourConnection(site, cipher, proxyJump)
  await conn.open()
  return conn
}

/**
 * Connects ssh2's Client directly to `server` (or through `sock`, a forwardOut stream), pinned
 * like the other sides, checking the host key against the server's ed25519 key.
 */
export function openRawSsh2(site: BenchSite, server: SshdHandle, cipher: BenchCipher, sock?: ClientChannel): Promise<Client> {
  const expected = server.hostKeys.find((k) => k.type === BENCH_HOST_KEY)
  const expectedBlob = expected?.publicLine.split(/\s+/)[1]
  return new Promise((resolve, reject) => {
    const client = new Client()
    client.once('ready', () => resolve(client))
    client.once('error', reject)
    client.connect({
      ...(sock === undefined ? { host: server.host, port: server.port } : { sock }),
      username: server.user,
      privateKey: site.keyText,
      algorithms: { cipher: [cipher], kex: [BENCH_KEX], serverHostKey: [BENCH_HOST_KEY] },
      hostVerifier: (key: Buffer) => key.toString('base64') === expectedBlob,
      readyTimeout: 30_000,
    })
  })
}

/** Opens a raw ssh2 chain: each server in `via` is reached through the previous one's forwardOut. */
export async function openRawSsh2Chain(site: BenchSite, via: readonly SshdHandle[], cipher: BenchCipher): Promise<Client[]> {
  const clients: Client[] = []
  try {
    let sock: ClientChannel | undefined
    for (const server of [...via, site.target]) {
      const client = await openRawSsh2(site, server, cipher, sock)
      clients.push(client)
      if (server === site.target) break
      const next = via[clients.length] ?? site.target
      sock = await forwardOut(client, next.host, next.port)
    }
    return clients
  } catch (err) {
    for (const c of clients.reverse()) c.end()
    throw err
  }
}

/** ssh2's forwardOut as a promise. */
export function forwardOut(client: Client, host: string, port: number): Promise<ClientChannel> {
  return new Promise((resolve, reject) =>
    client.forwardOut('127.0.0.1', 0, host, port, (err, stream) => (err ? reject(err) : resolve(stream))))
}

/** ssh2's exec as a promise: resolves the exit code once the channel closed, counting stdout bytes. */
export function rawExec(client: Client, command: string): Promise<{ code: number; stdoutBytes: number }> {
  return new Promise((resolve, reject) =>
    client.exec(command, (err, stream) => {
      if (err) return reject(err)
      let code = -1
      let stdoutBytes = 0
      stream.on('data', (d: Buffer) => { stdoutBytes += d.length })
      stream.stderr.resume()
      stream.on('exit', (c: number) => { code = c })
      stream.on('close', () => resolve({ code, stdoutBytes }))
    }))
}

/** Ends ssh2 clients innermost first and waits (≤ 2 s each) for their sockets to close. */
export async function endRawSsh2(clients: readonly Client[]): Promise<void> {
  for (const c of [...clients].reverse()) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000)
      c.once('close', () => { clearTimeout(timer); resolve() })
      c.end()
    })
  }
}
