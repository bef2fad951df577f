// Test-only: one raw ssh2 Server (the testbed's) serving sessions with runSession, plus the
// OpenSSH options to reach it.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { clientKeys, startSsh2Server, testUser } from '@x/testbed'
import type { Ssh2ServerHandle } from '@x/testbed'
import type { SessionChannelLike, SessionResult, SessionUser } from '../../src/index.js'
import { lookupUser } from '../../src/index.js'
import { sshOptions } from './openssh.js'
import type { ServeOptions } from './ssh2-session-channel.js'
import { serveSessions } from './ssh2-session-channel.js'

/** A running test server and what the tests look at. */
export interface SessionFixture {
  readonly server: Ssh2ServerHandle
  /** ssh options (-F /dev/null, known_hosts, key, port). */
  readonly ssh: string[]
  /** The account sessions run as: the testbed's unprivileged user (so the uid switch is exercised). */
  readonly user: SessionUser
  readonly dir: string
  readonly results: SessionResult[]
  readonly channels: SessionChannelLike[]
  /** Changes the options later sessions get. */
  options: Omit<ServeOptions, 'user'>
  close(): Promise<void>
}

/** Starts the fixture; sessions run as the testbed's `xssh-test` account. */
export async function startSessionFixture(): Promise<SessionFixture> {
  const [keys] = await Promise.all([clientKeys(), testUser()])
  const user = await lookupUser('xssh-test')
  const results: SessionResult[] = []
  const channels: SessionChannelLike[] = []
  const fixture: Partial<SessionFixture> & { options: Omit<ServeOptions, 'user'> } = { options: {} }
  const server = await startSsh2Server({
    onConnection: (client) =>
      serveSessions(client, {
        get user() {
          return user
        },
        get forcedCommand() {
          return fixture.options.forcedCommand
        },
        get env() {
          return fixture.options.env
        },
        get killGraceMs() {
          return fixture.options.killGraceMs ?? 1000
        },
        onResult: (result) => results.push(result),
        onChannel: (channel) => channels.push(channel),
      }),
  })
  const dir = await mkdtemp(join(tmpdir(), 'x-server-process-'))
  const ssh = await sshOptions(server, keys.ed25519, dir)
  return Object.assign(fixture, {
    server,
    ssh,
    user,
    dir,
    results,
    channels,
    close: async () => {
      await server.close()
      await rm(dir, { recursive: true, force: true })
    },
  }) as SessionFixture
}
