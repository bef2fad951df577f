import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'vitest'
import { clientKeys } from './client-keys.js'
import type { ClientScenario } from './client-scenario.js'
import { makeClientScratch } from './client-scratch.js'
import { runPythonClient } from './python-clients.js'
import type { PythonClient } from './python-clients.js'
import { startEchoServer } from './tcp-servers.js'

/** Lists the paramiko or asyncssh scenarios every server under test must pass. */
export function pythonScenarios(client: PythonClient): readonly ClientScenario[] {
  return [
    {
      name: 'exec: stdin in, stdout and stderr apart, the exit status relayed',
      run: async ({ target }) => {
        const out = await runPythonClient(client, target, { scenario: 'exec', command: 'cat; echo err >&2; exit 5', stdin: 'hello\n' })
        expect(out).toMatchObject({ ok: true, result: { stdout: 'hello\n', stderr: 'err\n', exitStatus: 5 } })
      },
    },
    {
      name: 'sftp: put, listdir, posix_rename, get, all byte-exact',
      run: async (server) => {
        await using dir = await server.sftpDir(client)
        await using scratch = await makeClientScratch(client)
        const payload = randomBytes(500_000)
        const localFile = join(scratch.dir, 'local.bin')
        const downloadTo = join(scratch.dir, 'back.bin')
        await writeFile(localFile, payload)
        const out = await runPythonClient(client, server.target, { scenario: 'sftp', remoteDir: dir.remote, localFile, downloadTo })
        expect(out).toMatchObject({
          ok: true,
          result: { afterPut: ['uploaded.bin'], afterRename: ['renamed.bin'], size: payload.length },
        })
        expect((await readFile(join(dir.local, 'renamed.bin'))).equals(payload)).toBe(true)
        expect((await readFile(downloadTo)).equals(payload)).toBe(true)
      },
    },
    {
      name: 'direct-tcpip: 1 MB through a channel to a loopback echo server comes back byte-exact',
      run: async ({ target }) => {
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
      },
    },
    {
      name: 'refuses a server whose host key is not the pinned one',
      run: async ({ target }) => {
        const wrong = { ...target, hostKeys: [(await clientKeys()).unauthorized.publicLine] }
        const out = await runPythonClient(client, wrong, { scenario: 'exec', command: 'echo reached' })
        expect(out.ok).toBe(false)
        if (!out.ok) expect(out.error).toMatch(/HostKey/)
      },
    },
  ]
}
