import { describe, expect, it } from 'vitest'
import { channelRequestAnswers, runPlink } from '../src/index.js'
import {
  WINADJ,
  itEachScenario,
  plinkScenarios,
  plinkShellScenarios,
  psftpScenarios,
  useScenarioServer,
} from '../src/client-scenarios.js'
import { startSshdScenarioServer } from './sshd-scenario-server.js'

describe('PuTTY plink and psftp against OpenSSH sshd (validates the harness)', () => {
  const server = useScenarioServer(startSshdScenarioServer)
  itEachScenario(plinkScenarios, server)
  itEachScenario(plinkShellScenarios('all-but-last'), server)
  itEachScenario(psftpScenarios, server)

  it('plink in simple mode (no forward) sends no winadj at all', async () => {
    const r = await runPlink(server().target, { input: 'seq 1 200000 >/dev/null; seq 1 100000; exit\n', forceWinadj: false })
    expect(r.code, r.stderr).toBe(0)
    expect(channelRequestAnswers(r.sshlog).some((q) => q.type === WINADJ)).toBe(false)
  })
})
