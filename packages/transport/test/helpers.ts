import type { SshServerHandle } from '@x/testbed'
import { knownHosts, Transport, type TransportOptions } from '@x/transport'

/** A Transport to a test server, checking its host key against the server's own known_hosts file. */
export function transportTo(server: Pick<SshServerHandle, 'host' | 'port' | 'knownHostsFile'>, options: TransportOptions = {}): Transport {
  return new Transport(`${server.host}:${server.port}`, {
    hostKeyVerifier: knownHosts({ files: [server.knownHostsFile] }),
    timeouts: { connectMs: 5_000, handshakeMs: 10_000, authMs: 15_000, channelMs: 15_000 },
    ...options,
  })
}

/** A Transport that is started and authenticated with the server's ed25519 test key. */
export async function authenticatedTransport(server: SshServerHandle, options: TransportOptions = {}): Promise<Transport> {
  const t = transportTo(server, options)
  try {
    await t.startClient()
    const next = await t.authPublicKey(server.user, server.clientKeys.ed25519.privateText)
    if (next.length > 0) throw new Error(`server wants more: ${next.join(',')}`)
    return t
  } catch (err) {
    t.destroy()
    throw err
  }
}

/** Collects a readable stream into one Buffer. */
export async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer))
  return Buffer.concat(chunks)
}

/** Runs `command` on a fresh session channel and gathers its output and exit status. */
export async function runCommand(t: Transport, command: string, setup?: (ch: Awaited<ReturnType<Transport['openSession']>>) => void) {
  const ch = await t.openSession()
  setup?.(ch)
  await ch.exec(command)
  ch.end()
  const [stdout, stderr, status] = await Promise.all([collect(ch), collect(ch.stderr), ch.exitStatus()])
  return { stdout: stdout.toString(), stderr: stderr.toString(), ...status }
}

export { testUserTempDir } from '@x/testbed'
