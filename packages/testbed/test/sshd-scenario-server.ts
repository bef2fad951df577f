// Test-only: OpenSSH's sshd as the oracle server of the shared client scenarios.
import { rm } from 'node:fs/promises'
import { clientTargetOf, startSshd, testUserTempDir } from '../src/index.js'
import type { SshdHandle } from '../src/index.js'
import type { ScenarioServer } from '../src/client-scenarios.js'

/** An sshd with its client target; SFTP directories are test-account temp dirs (same path both ways). */
export interface SshdScenarioServer extends ScenarioServer {
  readonly sshd: SshdHandle
  close(): Promise<void>
}

/** Starts sshd (publickey auth, the ed25519 client key offered) for the shared scenarios. */
export async function startSshdScenarioServer(): Promise<SshdScenarioServer> {
  const sshd = await startSshd()
  return {
    sshd,
    target: clientTargetOf(sshd),
    sftpDir: async (name) => {
      const dir = await testUserTempDir(`${name}-`)
      return { remote: dir, local: dir, [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }) }
    },
    close: () => sshd.close(),
  }
}
