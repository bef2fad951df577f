// The server role over streams that are not TCP sockets (DESIGN.md §5: any Duplex, the peer's
// address an option): a process's stdio, as sshd -i under inetd, with OpenSSH's ssh reaching it
// through ProxyCommand; and a channel of another transport, with our own client nested inside.
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { writeFile } from 'node:fs/promises'
import { generateKey } from '@x/testbed'
import { fixedHostKey, knownHosts, loadPrivateKey, Transport } from '@x/transport'
import { describe, expect, it } from 'vitest'
import { runCommand } from './helpers.js'
import { runSsh, useServerFixture } from './server-fixture.js'

const LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href
const STDIO_SERVER = fileURLToPath(new URL('./fixtures/stdio-server.ts', import.meta.url))

const fx = useServerFixture()

describe('the server role over a stream that is not a TCP socket', () => {
  it("serves OpenSSH's ssh over a process's stdio (ProxyCommand), the peer named by server.remoteAddress", async () => {
    const host = await generateKey('ed25519', join(fx.dir, 'stdio-host'), { comment: 'stdio-host' })
    const knownHostsFile = join(fx.dir, 'known_hosts_stdio')
    await writeFile(knownHostsFile, `stdio-host ${host.publicLine}\n`)
    const proxy = [process.execPath, '--conditions=source', '--import', LOADER, STDIO_SERVER, host.privatePath, `'${fx.keys.ed25519.publicLine}'`].join(' ')
    const r = await runSsh(['-F', '/dev/null', '-o', `ProxyCommand=${proxy}`, '-o', `UserKnownHostsFile=${knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes',
      '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-i', fx.keys.ed25519.privatePath, 'me@stdio-host', 'hello there'])
    expect(r.stderr).not.toMatch(/error|denied/i)
    expect(r.stdout).toBe('ran hello there from inetd\n')
    expect(r.code).toBe(3)
  })

  it('runs a second server inside a direct-tcpip channel of the first, our own client nested inside', async () => {
    const innerKey = await loadPrivateKey((await generateKey('ed25519', join(fx.dir, 'inner-host'), { comment: 'inner' })).privatePath)
    const inner: Transport<'server'>[] = []
    const outer = await fx.listen(() => fx.base({ checkDirectTcpip: (_o, dest) => dest[0] === 'inner' }), (t) => {
      void (async () => {
        for (let ch = await t.accept(); ch; ch = await t.accept()) {
          if (ch.kind !== 'direct-tcpip') continue
          const nested = new Transport<'server'>(ch, { server: { remoteAddress: { address: 'via-outer', port: 7 }, loginGraceMs: 10_000 } })
          inner.push(nested)
          nested.addServerKey(innerKey)
          nested.startServer(fx.base()).catch(() => undefined)
          void nested.accept().then((session) => {
            session?.write(`${session.command} for ${nested.username} from ${nested.getpeername().join(':')}\n`)
            session?.exit(0)
          })
        }
      })()
    })
    await using first = new Transport(`127.0.0.1:${outer.port}`, { hostKeyVerifier: knownHosts({ files: [outer.knownHostsFile] }) })
    await first.startClient()
    await first.authPublicKey('me', fx.keys.ed25519.privateText)
    const tunnel = await first.openChannel('direct-tcpip', { dest: ['inner', 22] })
    await using second = new Transport(tunnel, { hostname: 'inner', hostKeyVerifier: fixedHostKey(innerKey.publicKey.fingerprint) })
    await second.startClient()
    expect(await second.authPublicKey('you', fx.keys.ed25519.privateText)).toEqual([])
    const r = await runCommand(second, 'whoami')
    expect(r.stdout).toBe('whoami for you from via-outer:7\n')
    expect(inner[0]?.isAuthenticated).toBe(true)
    await second.close()
    expect(await inner[0]!.wait()).toBeInstanceOf(Error) // the client went: ConnectionLostError on the inner server
  })
})
