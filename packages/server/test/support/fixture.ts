// Test-only: a listen() server whose exec and shell requests run runSession with options a test
// can change, recording each result and channel, plus the OpenSSH options to reach it.
import type { ServerChannel } from '@x/transport'
import { testUser } from '@x/testbed'
import type { RunSessionOptions, SessionResult, SessionUser } from '../../src/index.js'
import { lookupUser, runSession } from '../../src/index.js'
import type { SessionHandler } from '../../src/index.js'
import { startListenFixture } from './listen-server.js'

/** What a test may change for later sessions. */
export type FixtureSessionOptions = Omit<RunSessionOptions, 'user' | 'command' | 'endpoints'>

/** A running test server and what the tests look at. */
export interface SessionFixture {
  readonly server: { readonly port: number }
  /** ssh options (-F /dev/null, known_hosts, key, port). */
  readonly ssh: string[]
  /** The account sessions run as: the testbed's unprivileged user (so the uid switch is exercised). */
  readonly user: SessionUser
  readonly dir: string
  readonly results: SessionResult[]
  readonly channels: ServerChannel[]
  /** Changes the options later sessions get. */
  options: FixtureSessionOptions
  close(): Promise<void>
}

/** Starts the fixture; sessions run as the testbed's `xssh-test` account. */
export async function startSessionFixture(): Promise<SessionFixture> {
  await testUser()
  const user = await lookupUser('xssh-test')
  const results: SessionResult[] = []
  const channels: ServerChannel[] = []
  let options: FixtureSessionOptions = {}
  const serve: SessionHandler = async (channel, request) => {
    channels.push(channel)
    const { login } = request
    results.push(await runSession(channel, {
      killGraceMs: 1000,
      ...options,
      user,
      command: request.kind === 'shell' ? undefined : request.command,
      endpoints: { remoteAddress: login.remote.address, remotePort: login.remote.port, localAddress: login.local.address, localPort: login.local.port },
    }))
  }
  const f = await startListenFixture({ exec: serve, shell: serve, acceptEnv: ['LANG', 'LC_*'] })
  return {
    server: { port: f.port },
    ssh: f.ssh,
    user,
    dir: f.dir,
    results,
    channels,
    get options() {
      return options
    },
    set options(next) {
      options = next
    },
    close: () => f.close(),
  }
}
