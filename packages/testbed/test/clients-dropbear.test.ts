import { describe, expect, it } from 'vitest'
import { clientTargetOf, runDbclient } from '../src/index.js'
import { dbclientScenarios, itEachScenario, useScenarioServer } from '../src/client-scenarios.js'
import { startSshdScenarioServer } from './sshd-scenario-server.js'

describe('Dropbear dbclient against OpenSSH sshd (validates the harness)', () => {
  const server = useScenarioServer(startSshdScenarioServer)
  itEachScenario(dbclientScenarios, server)

  it('an ecdsa client key converted by dropbearconvert logs in too', async () => {
    const { sshd } = server()
    const r = await runDbclient(clientTargetOf(sshd, sshd.clientKeys.ecdsa), 'id -un')
    expect(r.stdout.toString(), r.stderr).toBe(`${sshd.user}\n`)
  })
})
