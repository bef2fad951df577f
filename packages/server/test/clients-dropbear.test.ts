// listen() against Dropbear's dbclient (Debian's dropbear-bin): the scenarios of
// @x/testbed/client-scenarios, which packages/testbed/test/clients-dropbear.test.ts runs against
// OpenSSH's sshd, plus what only our forwarding policy shows.
import { describe, expect, it } from 'vitest'
import { echoThrough, startDbclientForward, startEchoServer } from '@x/testbed'
import { dbclientScenarios, itEachScenario, useScenarioServer } from '@x/testbed/client-scenarios'
import { startClientsFixture } from './support/client-target.js'

describe('listen() with Dropbear dbclient', () => {
  const server = useScenarioServer(startClientsFixture)
  itEachScenario(dbclientScenarios, server)

  it('-L to a destination the forwarding policy refuses carries no byte', async () => {
    await using echo = await startEchoServer()
    await using fwd = await startDbclientForward(server().target, echo.port, { remoteHost: 'localhost' })
    await expect(echoThrough(fwd.localPort, Buffer.from('ping\n'))).rejects.toThrow()
    expect(echo.connections).toBe(0)
  })
})
