// authorized_keys options enforced by listen() itself, as OpenSSH's regress key-options.sh and
// forward-control.sh check them with the real ssh client: the cases ported, one key line each.
import { spawn } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clientKeys, runCommand, startEchoServer, waitFor } from '@x/testbed'
import type { TcpServerHandle } from '@x/testbed'
import { AuthorizedKeys } from '../src/index.js'
import { startListenFixture } from './support/listen-server.js'
import type { ListenFixture } from './support/listen-server.js'

const SSH = '/usr/bin/ssh'
let echo: TcpServerHandle
let other: TcpServerHandle
let keyBody: string
beforeAll(async () => {
  ;[echo, other] = await Promise.all([startEchoServer(), startEchoServer()])
  keyBody = (await clientKeys()).ed25519.publicLine.split(' ').slice(0, 2).join(' ')
})
afterAll(async () => {
  await echo?.close()
  await other?.close()
})

/** A server whose only line for the ed25519 key carries `options`; forwarding allowed by policy. */
async function withLine<T>(options: string, run: (f: ListenFixture, ssh: (args: string[], input?: string) => ReturnType<typeof runCommand>) => Promise<T>): Promise<T> {
  const f = await startListenFixture({
    auth: { authorizedKeys: AuthorizedKeys.parse(`${options} ${keyBody}\n`), permitUserEnvironment: true },
    forwarding: { local: true, remote: true },
  })
  try {
    return await run(f, (args, input) => runCommand(SSH, [...f.ssh, `${f.user}@127.0.0.1`, ...args], { allowFailure: true, timeoutMs: 20_000, input: input ?? '' }))
  } finally {
    await f.close()
  }
}

const denied = /Permission denied/

describe('authorized_keys options over OpenSSH ssh (regress key-options.sh)', () => {
  it('command= runs instead, the client command in SSH_ORIGINAL_COMMAND, for exec and shell alike', async () => {
    await withLine('command="echo forced:$SSH_ORIGINAL_COMMAND"', async (_f, ssh) => {
      expect((await ssh(['echo', 'mine'])).stdout).toBe('forced:echo mine\n')
      expect((await ssh(['-T'])).stdout).toBe('forced:\n')
      // A subsystem is replaced too (sshd: the forced command wins over sftp).
      expect((await ssh(['-s', 'sftp'])).stdout).toBe('forced:sftp\n')
    })
  })

  it('command= with a pty, and no-pty refusing one', async () => {
    await withLine('command="tty"', async (_f, ssh) => {
      expect((await ssh(['-tt'])).stdout).toMatch(/^\/dev\/pts\/\d+\r\n$/)
    })
    await withLine('no-pty', async (f, ssh) => {
      // ssh -tt treats a refused pty as fatal (clientloop.c client_status_confirm): nothing ran.
      const r = await ssh(['-tt', 'tty'])
      expect(r.stderr).toMatch(/PTY allocation request failed/)
      expect(r).toMatchObject({ stdout: '', code: 255 })
      expect(f.log.some((e) => e.event === 'refused' && e.what === 'pty')).toBe(true)
    })
  })

  it('restrict refuses pty and forwarding; restrict,pty and restrict,port-forwarding re-enable each', async () => {
    await withLine('restrict', async (_f, ssh) => {
      expect((await ssh(['-tt', 'tty'])).stderr).toMatch(/PTY allocation request failed/)
      expect((await ssh(['-W', `127.0.0.1:${echo.port}`], 'x\n')).stdout).toBe('')
    })
    await withLine('restrict,pty', async (_f, ssh) => {
      expect((await ssh(['-tt', 'tty'])).stdout).toMatch(/^\/dev\/pts\/\d+/)
      expect((await ssh(['-W', `127.0.0.1:${echo.port}`], 'x\n')).stdout).toBe('')
    })
    await withLine('restrict,port-forwarding', async (_f, ssh) => {
      expect((await ssh(['-W', `127.0.0.1:${echo.port}`], 'x\n')).stdout).toBe('x\n')
    })
  })

  it('environment= sets variables when PermitUserEnvironment allows', async () => {
    await withLine('environment="FROM_KEY=yes"', async (_f, ssh) => {
      expect((await ssh(['echo $FROM_KEY'])).stdout).toBe('yes\n')
    })
  })

  it('from= admits 127.0.0.1 by address, CIDR and wildcard, and refuses other and negated ones', async () => {
    for (const ok of ['from="127.0.0.1"', 'from="127.0.0.0/8"', 'from="127.*"', 'from="10.0.0.1,127.0.0.1"']) {
      await withLine(ok, async (_f, ssh) => expect((await ssh(['echo in'])).stdout, ok).toBe('in\n'))
    }
    for (const no of ['from="10.0.0.0/8"', 'from="!127.0.0.1,*"', 'from="192.0.2.1"']) {
      await withLine(no, async (f, ssh) => {
        const r = await ssh(['echo in'])
        expect(r.stdout, no).toBe('')
        expect(r.stderr).toMatch(denied)
        expect(f.server.connections.size).toBeLessThanOrEqual(1)
      })
    }
  })

  it('expiry-time= in the past refuses; in the future admits', async () => {
    await withLine('expiry-time="19990101"', async (_f, ssh) => expect((await ssh(['echo in'])).stderr).toMatch(denied))
    await withLine('expiry-time="29990101"', async (_f, ssh) => expect((await ssh(['echo in'])).stdout).toBe('in\n'))
  })
})

describe('forwarding options over OpenSSH ssh (regress forward-control.sh, cfgmatchlisten.sh)', () => {
  it('permitopen= allows only the listed target', async () => {
    await withLine(`permitopen="127.0.0.1:${echo.port}"`, async (_f, ssh) => {
      expect((await ssh(['-W', `127.0.0.1:${echo.port}`], 'open\n')).stdout).toBe('open\n')
      expect((await ssh(['-W', `127.0.0.1:${other.port}`], 'open\n')).stdout).toBe('')
    })
  })

  it('no-port-forwarding refuses -W and -R', async () => {
    await withLine('no-port-forwarding', async (f, ssh) => {
      expect((await ssh(['-W', `127.0.0.1:${echo.port}`], 'x\n')).stdout).toBe('')
      const r = await ssh(['-o', 'ExitOnForwardFailure=yes', '-R', `0:127.0.0.1:${echo.port}`, '-N'])
      expect(r.code).not.toBe(0)
      expect(r.stderr).toMatch(/remote port forwarding failed/)
      expect(f.log.some((e) => e.event === 'refused' && e.what === 'tcpip-forward')).toBe(true)
    })
  })

  it('permitlisten= allows -R only on the listed port', async () => {
    const { freePort } = await import('@x/testbed')
    const [allowed, refused] = [await freePort(), await freePort()]
    await withLine(`permitlisten="localhost:${allowed}"`, async (f, ssh) => {
      const no = await ssh(['-o', 'ExitOnForwardFailure=yes', '-R', `${refused}:127.0.0.1:${echo.port}`, '-N'])
      expect(no.stderr).toMatch(/remote port forwarding failed/)
      const child = spawn(SSH, [...f.ssh, '-N', '-o', 'ExitOnForwardFailure=yes', '-R', `${allowed}:127.0.0.1:${echo.port}`, `${f.user}@127.0.0.1`], { stdio: 'ignore' })
      try {
        await waitFor(() => f.log.some((e) => e.event === 'forward' && e.kind === 'remote' && e.port === allowed), { timeoutMs: 10_000 })
        expect(child.exitCode).toBeNull()
      } finally {
        child.kill()
      }
    })
  })
})
