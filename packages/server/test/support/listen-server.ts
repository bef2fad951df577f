// Test-only: a listen() server with a fresh ed25519 host key, every testbed client key
// authorized, and the OpenSSH options to reach it as the testbed's account.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadPrivateKey } from '@x/transport'
import { authorizedKeysText, clientKeys, generateKey, testUser } from '@x/testbed'
import type { ClientKeys } from '@x/testbed'
import { AuthorizedKeys, listen } from '../../src/index.js'
import type { ListenOptions, ServerLogEvent, SshServer } from '../../src/index.js'

/** A running listen() server and what tests look at. */
export interface ListenFixture {
  readonly server: SshServer
  readonly port: number
  /** The account sessions run as and clients log in as. */
  readonly user: string
  readonly keys: ClientKeys
  readonly dir: string
  /** The host key as a known_hosts line for 127.0.0.1:port. */
  readonly knownHostsLine: string
  readonly knownHostsFile: string
  /** The host key's public line ('ssh-ed25519 AAAA…'). */
  readonly hostPublicLine: string
  /** ssh options: -F /dev/null, BatchMode, the known_hosts, the ed25519 key, the port. */
  readonly ssh: string[]
  readonly log: ServerLogEvent[]
  close(): Promise<void>
}

/** Starts listen() with `options` over the defaults (authorized_keys of every testbed key, exec and shell as processes). */
export async function startListenFixture(options: Partial<ListenOptions> = {}): Promise<ListenFixture> {
  const [keys, account] = await Promise.all([clientKeys(), testUser()])
  const dir = await mkdtemp(join(tmpdir(), 'x-listen-'))
  const host = await generateKey('ed25519', join(dir, 'host_ed25519'))
  const log: ServerLogEvent[] = []
  const server = await listen({
    hostKeys: [await loadPrivateKey(host.privatePath)],
    auth: { authorizedKeys: AuthorizedKeys.parse(authorizedKeysText(keys)) },
    exec: 'process',
    shell: 'process',
    log: (e) => log.push(e),
    ...options,
  })
  const port = server.address().port
  const hostPublicLine = host.publicLine.split(' ').slice(0, 2).join(' ')
  const knownHostsLine = `[127.0.0.1]:${port} ${hostPublicLine}`
  const knownHostsFile = join(dir, 'known_hosts')
  await writeFile(knownHostsFile, `${knownHostsLine}\n`)
  const ssh = [
    '-F', '/dev/null',
    '-o', 'BatchMode=yes',
    '-o', `UserKnownHostsFile=${knownHostsFile}`,
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'IdentitiesOnly=yes',
    '-o', 'LogLevel=ERROR',
    '-i', keys.ed25519.privatePath,
    '-p', String(port),
  ]
  return {
    server, port, user: account.name, keys, dir, knownHostsLine, knownHostsFile, hostPublicLine, ssh, log,
    close: async () => {
      await server.destroy()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
