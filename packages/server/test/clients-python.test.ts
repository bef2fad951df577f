// listen() against Debian's paramiko 2.12 and asyncssh 2.10: the scenarios of
// @x/testbed/client-scenarios, which packages/testbed/test/clients-python.test.ts runs against
// OpenSSH's sshd.
import { describe } from 'vitest'
import type { PythonClient } from '@x/testbed'
import { itEachScenario, pythonScenarios, useScenarioServer } from '@x/testbed/client-scenarios'
import { startClientsFixture } from './support/client-target.js'

describe.each<PythonClient>(['paramiko', 'asyncssh'])('listen() with %s', (client) => {
  itEachScenario(pythonScenarios(client), useScenarioServer(startClientsFixture))
})
