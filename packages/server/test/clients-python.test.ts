// listen() against Debian's paramiko 2.12 and asyncssh 2.10: the scenarios
// packages/testbed/test/clients-python.test.ts runs against OpenSSH's sshd.
import { randomBytes } from 'node:crypto'
import { chown, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeClientScratch, runPythonClient, startEchoServer, testUser } from '@x/testbed'
import type { PythonClient } from '@x/testbed'
import { startClientsFixture } from './support/client-target.js'
import type { ClientsFixture } from './support/client-target.js'

describe.each<PythonClient>(['paramiko', 'asyncssh'])('listen() with %s', (client) => {
  let f: ClientsFixture
  beforeAll(async () => {
    f = await startClientsFixture()
  })
  afterAll(() => f?.close())

  it('exec: stdin in, stdout and stderr apart, the exit status relayed', async () => {
    const out = await runPythonClient(client, f.target, { scenario: 'exec', command: 'cat; echo err >&2; exit 5', stdin: 'hello\n' })
    expect(out).toMatchObject({ ok: true, result: { stdout: 'hello\n', stderr: 'err\n', exitStatus: 5 } })
  })

  it('sftp in the root: put, listdir, posix_rename, get, all byte-exact', async () => {
    const user = await testUser()
    const sub = join(f.root, client)
    await mkdir(sub)
    await chown(sub, user.uid, user.gid)
    await using scratch = await makeClientScratch(client)
    const payload = randomBytes(500_000)
    const localFile = join(scratch.dir, 'local.bin')
    const downloadTo = join(scratch.dir, 'back.bin')
    await writeFile(localFile, payload)
    const out = await runPythonClient(client, f.target, { scenario: 'sftp', remoteDir: `/${client}`, localFile, downloadTo })
    expect(out).toMatchObject({
      ok: true,
      result: { afterPut: ['uploaded.bin'], afterRename: ['renamed.bin'], size: payload.length },
    })
    expect((await readFile(join(sub, 'renamed.bin'))).equals(payload)).toBe(true)
    expect((await readFile(downloadTo)).equals(payload)).toBe(true)
  })

  it('direct-tcpip: 1 MB through a channel to a loopback echo server comes back byte-exact', async () => {
    await using echo = await startEchoServer()
    await using scratch = await makeClientScratch(client)
    const payload = randomBytes(1 << 20)
    const payloadFile = join(scratch.dir, 'payload.bin')
    const outputFile = join(scratch.dir, 'echoed.bin')
    await writeFile(payloadFile, payload)
    const out = await runPythonClient(client, f.target, {
      scenario: 'forward', destHost: echo.host, destPort: echo.port, payloadFile, outputFile,
    })
    expect(out).toMatchObject({ ok: true, result: { sent: payload.length, received: payload.length } })
    expect((await readFile(outputFile)).equals(payload)).toBe(true)
  })

  it('refuses the server when the pinned host key is another one', async () => {
    const wrong = { ...f.target, hostKeys: [f.fixture.keys.unauthorized.publicLine] }
    const out = await runPythonClient(client, wrong, { scenario: 'exec', command: 'echo reached' })
    expect(out.ok).toBe(false)
    if (!out.ok) expect(out.error).toMatch(/HostKey/)
  })
})
