import { randomBytes } from 'node:crypto'
import { createConnection } from 'node:net'
import { once } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clientTargetOf, runDbclient, startDbclientForward, startEchoServer, startSshd } from '../src/index.js'
import type { ClientTarget, SshdHandle } from '../src/index.js'

/** Sends `payload` through 127.0.0.1:`port` and resolves with every byte that comes back. */
async function echoThrough(port: number, payload: Buffer): Promise<Buffer> {
  const socket = createConnection({ host: '127.0.0.1', port })
  const chunks: Buffer[] = []
  let length = 0
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`echo: ${length} of ${payload.length} bytes`)), 15_000)
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      length += chunk.length
      if (length >= payload.length) {
        clearTimeout(timer)
        resolve()
      }
    })
    socket.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
  })
  try {
    await once(socket, 'connect')
    socket.write(payload)
    await done
    return Buffer.concat(chunks)
  } finally {
    socket.destroy()
  }
}

describe('Dropbear dbclient against OpenSSH sshd (validates the harness)', () => {
  let sshd: SshdHandle
  let target: ClientTarget
  beforeAll(async () => {
    sshd = await startSshd()
    target = clientTargetOf(sshd)
  })
  afterAll(() => sshd?.close())

  it('exec: stdin in, stdout and stderr apart, the exit code relayed', async () => {
    const r = await runDbclient(target, 'cat; echo err >&2; exit 4', { input: 'from stdin\n' })
    expect(r.stdout.toString(), r.stderr).toBe('from stdin\n')
    expect(r.stderr).toBe('err\n')
    expect(r.code).toBe(4)
  })

  it('-L: two connections through the forward echo 1 MB each byte-exact', async () => {
    await using echo = await startEchoServer()
    await using fwd = await startDbclientForward(target, echo.port)
    for (let i = 0; i < 2; i++) {
      const payload = randomBytes(1 << 20)
      expect((await echoThrough(fwd.localPort, payload)).equals(payload)).toBe(true)
    }
  })

  it('an ecdsa client key converted by dropbearconvert logs in too', async () => {
    const r = await runDbclient(clientTargetOf(sshd, sshd.clientKeys.ecdsa), 'id -un')
    expect(r.stdout.toString(), r.stderr).toBe(`${sshd.user}\n`)
  })
})
