// @x/testbed/client-scenarios: the real-client scenarios shared by @x/testbed's tests (against
// OpenSSH's sshd, the oracle) and @x/server's (against listen()). Imports vitest, so only test
// files import it; listed by hand (no `export *`).
export { itEachScenario, useScenarioServer } from './client-scenario.js'
export type { ClientScenario, ScenarioServer, SftpDir } from './client-scenario.js'
export { dbclientScenarios } from './dbclient-scenarios.js'
export { plinkScenarios, plinkShellScenarios, psftpScenarios, WINADJ } from './putty-scenarios.js'
export type { WinadjAnswers } from './putty-scenarios.js'
export { pythonScenarios } from './python-scenarios.js'
