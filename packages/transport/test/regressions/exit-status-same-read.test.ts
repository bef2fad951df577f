// Regression: ssh2 parses a whole TCP read at once, so a command that exits at once can have
// its exec reply, output, exit-status and CLOSE arrive in one read. Listeners attached after a
// promise continuation missed 'exit' (the exit code came back null) and could miss 'close'.
import { startSshd, type SshdHandle } from '@x/testbed'
import type { Transport } from '@x/transport'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { authenticatedTransport, runCommand } from '../helpers.js'

let sshd: SshdHandle
let t: Transport
beforeAll(async () => {
  sshd = await startSshd()
  t = await authenticatedTransport(sshd)
})
afterAll(async () => {
  await t?.close()
  await sshd?.close()
})

it('reports the exit code of 60 commands that exit at once', async () => {
  // 5 at a time: sshd frees a session slot a moment after its channel closes, and its
  // MaxSessions (10) must not refuse the next round.
  for (let round = 0; round < 12; round++) {
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => runCommand(t, `echo ${i}; exit ${i + 1}`)))
    expect(results.map((r) => r.code)).toEqual(Array.from({ length: 5 }, (_, i) => i + 1))
    expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 5 }, (_, i) => `${i}\n`))
  }
})
