// listen() against PuTTY's plink and psftp (Debian's putty-tools): the scenarios of
// @x/testbed/client-scenarios, which packages/testbed/test/clients-putty.test.ts runs against
// OpenSSH's sshd. The shell scenarios are in clients-putty-shell.test.ts.
import { describe } from 'vitest'
import { itEachScenario, plinkScenarios, psftpScenarios, useScenarioServer } from '@x/testbed/client-scenarios'
import { startClientsFixture } from './support/client-target.js'

describe('listen() with PuTTY plink and psftp', () => {
  const server = useScenarioServer(startClientsFixture)
  itEachScenario(plinkScenarios, server)
  itEachScenario(psftpScenarios, server)
})
