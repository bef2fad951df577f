// PuTTY's plink shell against listen(), with and without a pty, repeated because what it proves
// is a race: the tail of a 2.7 MB output must arrive whole (the pty is read to its end before
// exit-status), and winadj requests are answered in order, never after our CHANNEL_CLOSE (plink
// treats an answer for a closed channel as fatal). Both failed about one run in two before.
import { expect, it } from 'vitest'
import { channelRequestAnswers, runPlink } from '@x/testbed'
import { startClientsFixture } from './support/client-target.js'

const WINADJ = 'winadj@putty.projects.tartarus.org'

/**
 * Every winadj is answered, in order, except those that crossed the server's CHANNEL_CLOSE on the
 * wire (plink sends them as it consumes the last data): the unanswered ones are a suffix.
 */
function expectAnsweredUntilClose(winadj: ReadonlyArray<{ answer: string | null }>): void {
  const first = winadj.findIndex((q) => q.answer === null)
  if (first >= 0) expect(winadj.slice(first).every((q) => q.answer === null)).toBe(true)
  expect(winadj.filter((q) => q.answer === 'failure').length).toBeGreaterThanOrEqual(8)
}

for (let round = 1; round <= 3; round++) {
  it(`round ${round}: plink shell with a pty: 2.7 MB of output arrive whole and every winadj is answered`, async () => {
    const f = await startClientsFixture()
    try {
    const r = await runPlink(f.target, { input: 'seq 1 400000; echo "END-$((6*7))"; exit 7\n' })
    expect(r.code, r.stderr).toBe(7)
    const text = r.stdout.toString().replaceAll('\r\n', '\n')
    const expected = Array.from({ length: 400000 }, (_, i) => `${i + 1}\n`).join('')
    expect(text.includes(`${expected}END-42\n`)).toBe(true)
    const requests = channelRequestAnswers(r.sshlog)
    expect(requests.slice(0, 2)).toEqual([
      { type: 'pty-req', answer: 'success' },
      { type: 'shell', answer: 'success' },
    ])
    const winadj = requests.filter((q) => q.type === WINADJ)
    expect(winadj.length).toBeGreaterThanOrEqual(10)
    expectAnsweredUntilClose(winadj)
    } finally {
      await f.close()
    }
  })

  it(`round ${round}: plink shell without a pty (-T): 2.7 MB byte-exact and every winadj answered`, async () => {
    const f = await startClientsFixture()
    try {
    const r = await runPlink(f.target, { input: 'seq 1 400000; echo "END-$((6*7))"; exit 7\n', pty: false })
    expect(r.code, r.stderr).toBe(7)
    const expected = Array.from({ length: 400000 }, (_, i) => `${i + 1}\n`).join('')
    // sshd prints the motd before a shell's output (PrintMotd); ours prints none. The rest is exact.
    expect(`\n${r.stdout.toString()}`.endsWith(`\n${expected}END-42\n`)).toBe(true)
    const requests = channelRequestAnswers(r.sshlog)
    expect(requests[0]).toEqual({ type: 'shell', answer: 'success' })
    const winadj = requests.filter((q) => q.type === WINADJ)
    expect(winadj.length).toBeGreaterThanOrEqual(10)
    expectAnsweredUntilClose(winadj)
    } finally {
      await f.close()
    }
  })

}
