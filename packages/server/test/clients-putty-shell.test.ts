// PuTTY's plink shell against listen(), with and without a pty, repeated because what it proves
// is a race: the tail of a 2.7 MB output must arrive whole (the pty is read to its end before
// exit-status), and winadj requests are answered in order, never after our CHANNEL_CLOSE (plink
// treats an answer for a closed channel as fatal). Both failed about one run in two before.
// The scenarios are @x/testbed/client-scenarios' (run against sshd in the testbed), each round
// on a fresh server.
import { it } from 'vitest'
import { plinkShellScenarios } from '@x/testbed/client-scenarios'
import { startClientsFixture } from './support/client-target.js'

for (let round = 1; round <= 3; round++) {
  for (const scenario of plinkShellScenarios('until-close')) {
    it(`round ${round}: ${scenario.name}`, async () => {
      const f = await startClientsFixture()
      try {
        await scenario.run(f)
      } finally {
        await f.close()
      }
    })
  }
}
