// Runs the code of docs/writing-a-server.md (release/snippets/writing-a-server.ts) with real
// clients: OpenSSH ssh and sftp, and our own Connection.
import { chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Connection } from '@x/connection'
import { loadPrivateKey, type PrivateKey } from '@x/transport'
import { authorizedKeysText, clientKeys, generateKey, runCommand, testUser } from '@x/testbed'
import type { ClientKeys, GeneratedKey } from '@x/testbed'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as snippets from './snippets/writing-a-server.js'

let dir: string
let keys: ClientKeys
let host: GeneratedKey
let hostKey: PrivateKey
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'x-server-docs-'))
  keys = await clientKeys()
  host = await generateKey('ed25519', join(dir, 'host_ed25519'))
  hostKey = await loadPrivateKey(host.privatePath)
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const body = (line: string) => line.split(' ').slice(0, 2).join(' ')
async function knownHosts(port: number): Promise<string> {
  const file = join(dir, `known_hosts-${port}`)
  await writeFile(file, `[127.0.0.1]:${port} ${body(host.publicLine)}\n`)
  return file
}
const ssh = async (port: number, key: string, user: string, args: string[]) =>
  runCommand('/usr/bin/ssh', ['-F', '/dev/null', '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${await knownHosts(port)}`, '-o', 'IdentitiesOnly=yes', '-i', key, '-p', String(port), `${user}@127.0.0.1`, ...args], { allowFailure: true, timeoutMs: 20_000, input: '' })

describe('docs/writing-a-server.md', () => {
  it('#listen: the ten-line server runs commands as the user and serves sftp under the share', async () => {
    const user = await testUser()
    const share = join(dir, 'share')
    await mkdir(share)
    await chown(share, user.uid, user.gid)
    // AuthorizedKeys.load checks StrictModes as sshd does: no world-writable directory on the
    // way (so not under /tmp); the home directory passes.
    const akDir = await mkdtemp(join(homedir(), '.x-server-docs-'))
    const ak = join(akDir, 'authorized_keys')
    await writeFile(ak, authorizedKeysText(keys))
    await using _cleanup = { [Symbol.asyncDispose]: () => rm(akDir, { recursive: true, force: true }) }
    await using server = await snippets.tenLineServer(0, host.privatePath, ak, share)
    const port = server.address().port
    expect((await ssh(port, keys.ed25519.privatePath, user.name, ['whoami'])).stdout).toBe(`${user.name}\n`)
    await using c = new Connection(`${user.name}@127.0.0.1:${port}`, { auth: { privateKeys: [keys.ecdsa.privatePath] }, hostKeys: { knownHostsFiles: [await knownHosts(port)] } })
    await writeFile(join(dir, 'up.txt'), 'shared\n')
    await c.put(join(dir, 'up.txt'), '/up.txt')
    expect(await readFile(join(share, 'up.txt'), 'utf8')).toBe('shared\n')
    expect((await c.run('echo from Connection')).stdout).toBe('from Connection\n')
  })

  it('#forced-command: each key runs its own forced command; the client command is its argument', async () => {
    await using server = await snippets.repoService(hostKey, { alice: body(keys.ed25519.publicLine), bob: body(keys.ecdsa.publicLine) })
    const port = server.address().port
    expect((await ssh(port, keys.ed25519.privatePath, 'git', ['list', 'project.git'])).stdout).toBe('alice may read project.git\n')
    expect((await ssh(port, keys.ecdsa.privatePath, 'git', ['list', 'other.git'])).stdout).toBe('bob may read other.git\n')
    const bad = await ssh(port, keys.ecdsa.privatePath, 'git', ['rm -rf /'])
    expect(bad).toMatchObject({ code: 2, stdout: '' })
    expect(bad.stderr).toMatch(/^usage: /)
    // restrict: no pty, no forwarding.
    expect((await ssh(port, keys.ed25519.privatePath, 'git', ['-W', '127.0.0.1:22'])).stderr).toMatch(/stdio forwarding failed|administratively prohibited/)
    expect((await ssh(port, keys.rsa.privatePath, 'git', ['list', 'x'])).stderr).toMatch(/Permission denied/)
  })

  it('#transport: the server role by hand answers one exec and refuses others', async () => {
    const server = snippets.byHand(hostKey, keys.ed25519.fingerprint)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
    try {
      const port = (server.address() as AddressInfo).port
      expect((await ssh(port, keys.ed25519.privatePath, 'anyone', ['echo hello by hand'])).stdout).toBe('hello by hand\n')
      expect((await ssh(port, keys.ecdsa.privatePath, 'anyone', ['echo no'])).stderr).toMatch(/Permission denied/)
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
