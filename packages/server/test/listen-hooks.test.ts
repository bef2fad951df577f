// listen()'s hooks for servers that are not plain sshds: a Unix socket to listen on, a connect
// hook for direct-tcpip targets only the server knows, and keyboard-interactive rounds of its own.
import { writeFile } from 'node:fs/promises'
import { createConnection } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authorizedKeysText, clientKeys, runCommand, startEchoServer } from '@x/testbed'
import type { TcpServerHandle } from '@x/testbed'
import { AuthorizedKeys, listen } from '../src/index.js'
import type { SshServer } from '../src/index.js'
import { startListenFixture } from './support/listen-server.js'
import type { ListenFixture } from './support/listen-server.js'

const SSH = '/usr/bin/ssh'
let echo: TcpServerHandle
let f: ListenFixture
const prompts: string[] = []
beforeAll(async () => {
  echo = await startEchoServer()
  f = await startListenFixture({
    auth: {
      authorizedKeys: AuthorizedKeys.parse(authorizedKeysText(await clientKeys())),
      methods: [['publickey', 'keyboard-interactive']],
      keyboardInteractive: async (_user, ask) => {
        const [code] = await ask({ instructions: 'second factor', prompts: [{ prompt: 'Verification code: ', echo: false }] })
        prompts.push('asked')
        return code === '424242'
      },
    },
    forwarding: {
      local: (_login, host) => host === 'web.lab',
      connect: (_login, host, port) => (host === 'web.lab' && port === 80 ? createConnection({ host: echo.host, port: echo.port }) : Promise.reject(new Error('unknown'))),
    },
  })
})
afterAll(async () => {
  await f?.close()
  await echo?.close()
})

async function askpass(code: string): Promise<NodeJS.ProcessEnv> {
  const path = join(f.dir, `code-${code}.sh`)
  await writeFile(path, `#!/bin/sh\necho ${code}\n`, { mode: 0o755 })
  return { SSH_ASKPASS: path, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' }
}
const ssh = async (args: string[], code: string, input = '') =>
  runCommand(SSH, ['-o', 'BatchMode=no', '-o', 'PreferredAuthentications=publickey,keyboard-interactive', ...f.ssh, `${f.user}@127.0.0.1`, ...args], { allowFailure: true, timeoutMs: 20_000, input, env: await askpass(code) })

describe('listen() hooks', () => {
  it('runs its own keyboard-interactive round after publickey, and refuses a wrong code', async () => {
    expect((await ssh(['echo in'], '424242')).stdout).toBe('in\n')
    expect((await ssh(['echo in'], '000000')).stderr).toMatch(/Permission denied/)
    expect(prompts.length).toBeGreaterThanOrEqual(2)
  })

  it('reaches a name only the server knows through the connect hook (ssh -W web.lab:80)', async () => {
    expect((await ssh(['-W', 'web.lab:80'], '424242', 'lab\n')).stdout).toBe('lab\n')
    expect((await ssh(['-W', 'other.lab:80'], '424242', 'lab\n')).stdout).toBe('')
  })

  it('listens on a Unix socket (ssh through socat as ProxyCommand)', async () => {
    const path = join(f.dir, 'ssh.sock')
    const keys = await clientKeys()
    let server: SshServer | undefined
    try {
      server = await listen({ path, hostKeys: [...[await (await import('@x/transport')).loadPrivateKey(join(f.dir, 'host_ed25519'))]], auth: { authorizedKeys: AuthorizedKeys.parse(authorizedKeysText(keys)) }, exec: 'process' })
      expect(server.address().address).toBe(path)
      const r = await runCommand(SSH, ['-F', '/dev/null', '-o', 'BatchMode=yes', '-o', `ProxyCommand=socat - UNIX-CONNECT:${path}`, '-o', `UserKnownHostsFile=${f.knownHostsFile}`, '-o', 'HostKeyAlias=[127.0.0.1]:' + f.port, '-o', 'IdentitiesOnly=yes', '-i', keys.ed25519.privatePath, `${f.user}@unix`, 'echo over unix'], { allowFailure: true, timeoutMs: 20_000, input: '' })
      expect(r.stdout, r.stderr).toBe('over unix\n')
    } finally {
      await server?.close()
    }
  })
})
