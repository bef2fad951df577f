import { randomBytes } from 'node:crypto'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clientTargetOf, makeClientScratch, runPythonClient, startEchoServer, startSshd, testUserTempDir } from '../src/index.js'
import type { ClientTarget, PythonClient, SshdHandle } from '../src/index.js'

describe.each<PythonClient>(['paramiko', 'asyncssh'])('%s against OpenSSH sshd (validates the harness)', (client) => {
  let sshd: SshdHandle
  let target: ClientTarget
  beforeAll(async () => {
    sshd = await startSshd()
    target = clientTargetOf(sshd)
  })
  afterAll(() => sshd?.close())

  it('exec: stdin in, stdout and stderr apart, the exit status relayed', async () => {
    const out = await runPythonClient(client, target, { scenario: 'exec', command: 'cat; echo err >&2; exit 5', stdin: 'hello\n' })
    expect(out).toMatchObject({ ok: true, result: { stdout: 'hello\n', stderr: 'err\n', exitStatus: 5 } })
  })

  it('sftp: put, listdir, posix_rename, get, all byte-exact', async () => {
    const dir = await testUserTempDir(`${client}-sftp-`)
    await using scratch = await makeClientScratch(client)
    try {
      const payload = randomBytes(500_000)
      const localFile = join(scratch.dir, 'local.bin')
      const downloadTo = join(scratch.dir, 'back.bin')
      await writeFile(localFile, payload)
      const out = await runPythonClient(client, target, { scenario: 'sftp', remoteDir: dir, localFile, downloadTo })
      expect(out).toMatchObject({
        ok: true,
        result: { afterPut: ['uploaded.bin'], afterRename: ['renamed.bin'], size: payload.length },
      })
      expect((await readFile(join(dir, 'renamed.bin'))).equals(payload)).toBe(true)
      expect((await readFile(downloadTo)).equals(payload)).toBe(true)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('direct-tcpip: 1 MB through a channel to a loopback echo server comes back byte-exact', async () => {
    await using echo = await startEchoServer()
    await using scratch = await makeClientScratch(client)
    const payload = randomBytes(1 << 20)
    const payloadFile = join(scratch.dir, 'payload.bin')
    const outputFile = join(scratch.dir, 'echoed.bin')
    await writeFile(payloadFile, payload)
    const out = await runPythonClient(client, target, {
      scenario: 'forward', destHost: echo.host, destPort: echo.port, payloadFile, outputFile,
    })
    expect(out).toMatchObject({ ok: true, result: { sent: payload.length, received: payload.length } })
    expect((await readFile(outputFile)).equals(payload)).toBe(true)
  })

  it('refuses a server whose host key is not the pinned one', async () => {
    const wrong = { ...target, hostKeys: [sshd.clientKeys.unauthorized.publicLine] }
    const out = await runPythonClient(client, wrong, { scenario: 'exec', command: 'echo reached' })
    expect(out.ok).toBe(false)
    if (!out.ok) expect(out.error).toMatch(/HostKey/)
  })
})
