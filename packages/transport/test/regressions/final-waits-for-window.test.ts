// Regression: ChannelDuplex reported 'finish' as soon as it called the ssh2 channel's end(), but
// ssh2 1.17 still held the tail of a large write, waiting for window space. When the peer had
// already sent EOF, autodestroy then sent CHANNEL_CLOSE ahead of that tail: a reply written
// after the client half-closed arrived short (an `ssh -R` service answering a request).
import { createHash, randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { startSshd, type SshdHandle } from '@x/testbed'
import type { Transport } from '@x/transport'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { authenticatedTransport, collect } from '../helpers.js'

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

it('delivers an 8 MiB reply written after the peer half-closed, whole', async () => {
  const reply = randomBytes(8 << 20)
  const port = await t.requestPortForward('127.0.0.1', 0, (ch) => {
    ch.resume()
    // Many small writes, as a pipe makes them: each is accepted into ssh2's own buffer.
    ch.on('end', () => {
      for (let at = 0; at < reply.length; at += 32 * 1024) ch.write(reply.subarray(at, at + 32 * 1024))
      ch.end()
    })
  })
  for (let round = 0; round < 3; round++) {
    const sock = connect(port, '127.0.0.1')
    sock.end('request')
    const received = await collect(sock)
    expect(received.length).toBe(reply.length)
    expect(createHash('sha256').update(received).digest('hex')).toBe(createHash('sha256').update(reply).digest('hex'))
  }
  await t.cancelPortForward('127.0.0.1', port)
}, 60_000)
