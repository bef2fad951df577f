import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readFile, readlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startSsh2Server } from '@x/testbed'
import type { Ssh2ServerHandle } from '@x/testbed'
import { SFTPError, Transport, fixedHostKey } from '@x/transport'
import type { SftpClient } from '@x/transport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fsSftp } from '../src/index.js'
import type { SftpSessionEnd } from '../src/index.js'
import { makeTree } from './helpers/tree.js'
import type { Tree } from './helpers/tree.js'

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

// fsSftp as the 'sftp' subsystem of the test bed's in-process ssh2 Server, with our own
// Transport and SftpClient as the client. The server's ident says OpenSSH, as ssh2's client
// keys the SYMLINK argument order (and its 256 KiB limits) to it (ssh2 1.17 SFTP.js).
describe('fsSftp as an SSH subsystem, with our own SftpClient', () => {
  let tree: Tree
  let server: Ssh2ServerHandle
  let transport: Transport
  let sftp: SftpClient
  const sessions: Promise<SftpSessionEnd>[] = []

  beforeAll(async () => {
    tree = await makeTree()
    await mkdir(join(tree.root, 'dir'))
    await writeFile(join(tree.root, 'dir/existing.txt'), 'old')
    const handler = fsSftp({ root: tree.root })
    server = await startSsh2Server({
      config: { ident: 'OpenSSH_9.2p1' },
      onConnection: (client) => {
        client.on('authentication', (ctx) => ctx.accept())
        client.on('ready', () => {
          client.on('session', (accept) => {
            accept().on('subsystem', (acceptSubsystem, reject, info) => {
              if (info.name !== 'sftp') return reject()
              sessions.push(handler(acceptSubsystem()))
            })
          })
        })
      },
    })
    transport = new Transport(`${server.host}:${server.port}`, { hostKeyVerifier: fixedHostKey(server.hostKey.publicLine) })
    await transport.startClient()
    await transport.authNone('anyone')
    sftp = await transport.openSftpClient()
  })

  afterAll(async () => {
    await sftp?.close()
    await transport?.close()
    expect((await Promise.all(sessions)).map((s) => s.reason)).not.toContain('protocol-error')
    await server?.close()
    await tree.assertCanaryIntact()
    await tree.remove()
  })

  it('sees the extensions OpenSSH advertises', () => {
    for (const name of ['posix-rename@openssh.com', 'statvfs@openssh.com', 'hardlink@openssh.com', 'fsync@openssh.com', 'limits@openssh.com']) {
      expect([name, sftp.hasExtension(name)]).toEqual([name, true])
    }
  })

  it('writes, reads, lists, renames over an existing file, and makes a symlink (OpenSSH order)', async () => {
    await sftp.writeFile('/dir/new.txt', 'new')
    expect((await sftp.readFile('/dir/new.txt')).toString()).toBe('new')
    expect((await sftp.readdir('/dir')).map((e) => e.filename).sort()).toEqual(['existing.txt', 'new.txt'])
    await sftp.rename('/dir/new.txt', '/dir/existing.txt', { overwrite: true })
    expect(await readFile(join(tree.root, 'dir/existing.txt'), 'utf8')).toBe('new')
    await sftp.symlink('existing.txt', '/dir/link')
    expect(await readlink(join(tree.root, 'dir/link'))).toBe('existing.txt')
    expect(await sftp.readlink('/dir/link')).toBe('existing.txt')
    expect(await sftp.realpath('.')).toBe('/')
  })

  it('moves 8 MiB each way with fastPut and fastGet, byte-exact', async () => {
    const data = randomBytes(8 * 1024 * 1024)
    const local = join(tree.base, 'local.bin')
    await writeFile(local, data)
    await sftp.fastPut(local, '/big.bin')
    expect(sha(await readFile(join(tree.root, 'big.bin')))).toBe(sha(data))
    const back = join(tree.base, 'back.bin')
    await sftp.fastGet('/big.bin', back)
    expect(sha(await readFile(back))).toBe(sha(data))
  })

  it('raises SFTPError for a path outside root and leaves the canary alone', async () => {
    const err = await sftp.readFile('../outside/canary.txt').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SFTPError)
    expect((err as SFTPError).code).toBe('ERR_SSH_SFTP')
    await tree.assertCanaryIntact()
  })
})
