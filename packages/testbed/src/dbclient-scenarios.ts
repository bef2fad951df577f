import { randomBytes } from 'node:crypto'
import { expect } from 'vitest'
import type { ClientScenario } from './client-scenario.js'
import { runDbclient, startDbclientForward } from './dbclient.js'
import { echoThrough } from './echo-through.js'
import { startEchoServer } from './tcp-servers.js'

/** Lists the Dropbear dbclient scenarios every server under test must pass. */
export const dbclientScenarios: readonly ClientScenario[] = [
  {
    name: 'exec: stdin in, stdout and stderr apart, the exit code relayed',
    run: async ({ target }) => {
      const r = await runDbclient(target, 'cat; echo err >&2; exit 4', { input: 'from stdin\n' })
      expect(r.stdout.toString(), r.stderr).toBe('from stdin\n')
      expect(r.stderr).toBe('err\n')
      expect(r.code).toBe(4)
    },
  },
  {
    name: '-L: two connections through the forward echo 1 MB each byte-exact',
    run: async ({ target }) => {
      await using echo = await startEchoServer()
      await using fwd = await startDbclientForward(target, echo.port)
      for (let i = 0; i < 2; i++) {
        const payload = randomBytes(1 << 20)
        expect((await echoThrough(fwd.localPort, payload)).equals(payload)).toBe(true)
      }
    },
  },
]
