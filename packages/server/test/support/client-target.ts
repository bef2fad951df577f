// Test-only: a listen() server with an SFTP root and loopback forwarding, as real clients see it.
import { chown, mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { testUser, testUserTempDir } from '@x/testbed'
import type { ClientTarget } from '@x/testbed'
import type { ScenarioServer, SftpDir } from '@x/testbed/client-scenarios'
import { fsSftp } from '../../src/index.js'
import { startListenFixture } from './listen-server.js'
import type { ListenFixture } from './listen-server.js'

/**
 * A listen() server for real clients: exec, shell, fsSftp confined to `root`, -L to 127.0.0.1.
 * As a {@link ScenarioServer}, its SFTP directories are made under the root (`/<name>`).
 */
export interface ClientsFixture extends ScenarioServer {
  readonly fixture: ListenFixture
  /** The server as the testbed's client runners take it (ed25519 client key). */
  readonly target: ClientTarget
  /** The SFTP root (owned by the test account); SFTP's '/' is this directory. */
  readonly root: string
  close(): Promise<void>
}

/** Starts listen() the way the client tests need it. */
export async function startClientsFixture(): Promise<ClientsFixture> {
  const root = await testUserTempDir('clients-root-')
  try {
    const fixture = await startListenFixture({
      sftp: fsSftp({ root }),
      forwarding: { local: (_login, host) => host === '127.0.0.1' },
    })
    const target: ClientTarget = {
      host: '127.0.0.1',
      port: fixture.port,
      user: fixture.user,
      hostKeys: [fixture.hostPublicLine],
      privateKeyPath: fixture.keys.ed25519.privatePath,
    }
    return {
      fixture, target, root,
      sftpDir: (name) => sftpDirUnder(root, name),
      close: async () => {
        await fixture.close()
        await rm(root, { recursive: true, force: true })
      },
    }
  } catch (err) {
    await rm(root, { recursive: true, force: true })
    throw err
  }
}

/** Makes `root/name` for the test account; SFTP names it `/name`. */
async function sftpDirUnder(root: string, name: string): Promise<SftpDir> {
  const user = await testUser()
  const local = join(root, name)
  await mkdir(local)
  await chown(local, user.uid, user.gid)
  return { remote: `/${name}`, local, [Symbol.asyncDispose]: () => rm(local, { recursive: true, force: true }) }
}
