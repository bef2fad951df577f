import { describe } from 'vitest'
import type { PythonClient } from '../src/index.js'
import { itEachScenario, pythonScenarios, useScenarioServer } from '../src/client-scenarios.js'
import { startSshdScenarioServer } from './sshd-scenario-server.js'

describe.each<PythonClient>(['paramiko', 'asyncssh'])('%s against OpenSSH sshd (validates the harness)', (client) => {
  itEachScenario(pythonScenarios(client), useScenarioServer(startSshdScenarioServer))
})
