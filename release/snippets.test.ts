import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Connection, ConnectionLostError, HostKeyError, SSHError } from '@x/connection'
import { killConnections, startSshAgent, startSshd, type SshServerHandle } from '@x/testbed'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as auth from './snippets/authentication.js'
import { advice, explain } from './snippets/errors.js'
import * as gateways from './snippets/gateways.js'
import * as start from './snippets/getting-started.js'
import { resolveExample, warningsExample } from './snippets/ssh-config.js'
import * as sockets from './snippets/sockets.js'
import * as timeouts from './snippets/timeouts.js'

// Every docs snippet that can run does, here, against a real sshd.
let sshd: SshServerHandle
let work: string
let emptyKnownHosts: string
let httpServer: Server
let httpPort: number
const target = () => `${sshd.user}@${sshd.host}:${sshd.port}`
const key = () => sshd.clientKeys.ed25519.privatePath
const connect = () => new Connection(target(), { auth: { privateKeys: [key()] }, hostKeys: { knownHostsFiles: [sshd.knownHostsFile] } })
const hostsConfig = () => ({
  text: ['bastion', 'db', 'web']
    .map((name) => `Host ${name}\n  HostName ${sshd.host}\n  Port ${sshd.port}\n  User ${sshd.user}\n  IdentityFile ${key()}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${sshd.knownHostsFile}\n`)
    .join(''),
})

beforeAll(async () => {
  sshd = await startSshd()
  work = await mkdtemp(join(tmpdir(), 'xssh-snippets-'))
  emptyKnownHosts = join(work, 'known_hosts')
  await writeFile(emptyKnownHosts, '')
  httpServer = createServer((_req, res) => res.end('hello over ssh'))
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
  httpPort = (httpServer.address() as { port: number }).port
})

afterAll(async () => {
  await new Promise((resolve) => httpServer?.close(resolve))
  await sshd?.close()
  if (work !== undefined) await rm(work, { recursive: true, force: true })
})

describe('docs/getting-started.md', () => {
  it('first-command runs uname on the server', async () => {
    expect(await start.firstCommand(target(), key(), sshd.knownHostsFile)).toBe('Linux\n')
  })

  it('failing-command rejects with UnexpectedExitError unless warn is set', async () => {
    await using c = connect()
    expect(await start.failingCommand(c)).toEqual([3, 3])
  })

  it('put-get round-trips a buffer through SFTP', async () => {
    await using c = connect()
    const remoteDir = (await c.run('mktemp -d')).stdout.trim()
    try {
      await start.putAndGet(c, remoteDir, join(work, 'hello.txt'))
      expect(await readFile(join(work, 'hello.txt'), 'utf8')).toBe('hello\n')
    } finally {
      await c.run(`rm -rf '${remoteDir}'`)
    }
  })
})

describe('docs/getting-started.md waitClosed', () => {
  it('wait-closed resolves with undefined after close() and with ConnectionLostError when the session is killed', async () => {
    const own = await startSshd()
    try {
      const c = new Connection(`${own.user}@${own.host}:${own.port}`, { auth: { privateKeys: [own.clientKeys.ed25519.privatePath] }, hostKeys: { knownHostsFiles: [own.knownHostsFile] } })
      const orderly = start.waitClosed(c)
      await c.open()
      await c.close()
      expect(await orderly).toBeUndefined()
      const lost = start.waitClosed(c)
      await c.open()
      await killConnections(own)
      expect(await lost).toBeInstanceOf(ConnectionLostError)
      await c.close()
    } finally {
      await own.close()
    }
  })
})

describe('docs/gateways.md', () => {
  it('borrowed leaves the bastion open after its targets close', async () => {
    expect(await gateways.borrowedBastion(hostsConfig())).toBe(true)
  })

  it('proxy-jump reaches db through a hop it builds', async () => {
    expect(await gateways.ownedJump(hostsConfig())).toBe('via-bastion\n')
  })

  it('proxy-command reaches db through socat', async () => {
    expect(await gateways.proxyCommand(hostsConfig())).toBe('via-socat\n')
  })

  it('conflict raises GatewayConflictError at construction', () => {
    const err = gateways.conflict()
    expect(err?.code).toBe('ERR_SSH_GATEWAY_CONFLICT')
    expect(err?.host).toBe('db')
  })
})

describe('docs/authentication.md', () => {
  it('keys-then-password authenticates with the key file', async () => {
    expect(await auth.keysThenPassword(target(), key(), 'not-used', sshd.knownHostsFile)).toBe(true)
  })

  it('agent authenticates with a key held by ssh-agent', async () => {
    await using agent = await startSshAgent()
    await agent.add(key())
    expect(await auth.withAgent(target(), agent.socketPath, sshd.knownHostsFile)).toBe(true)
  })

  it('two-factor answers keyboard-interactive prompts', async () => {
    await using kbd = await startSshd({ auth: 'keyboard-interactive' })
    const host = `${kbd.user}@${kbd.host}:${kbd.port}`
    expect(await auth.twoFactor(host, { password: kbd.password, otp: () => 'unused' }, kbd.knownHostsFile)).toBe(true)
  })

  it('pinned accepts exactly the pinned host key', async () => {
    const ed25519 = sshd.hostKeys.find((k) => k.publicLine.startsWith('ssh-ed25519 '))!
    expect(await auth.pinnedKey(target(), key(), ed25519.publicLine)).toMatch(/^SHA256:/)
  })

  it('pinned-fingerprint accepts the host key whose fingerprint ssh-keygen -lf printed', async () => {
    const ed25519 = sshd.hostKeys.find((k) => k.publicLine.startsWith('ssh-ed25519 '))!
    expect(await auth.pinnedFingerprint(target(), key(), ed25519.fingerprint)).toBe(ed25519.fingerprint)
  })

  it('debug collects Transport and Connection lines prefixed with the host', async () => {
    const lines = await auth.debugLines(target(), key(), sshd.knownHostsFile)
    expect(lines.some((l) => / auth: authenticated as /.test(l))).toBe(true)
    expect(lines.some((l) => / Outbound: /.test(l))).toBe(true)
  })

  it('host-key-error reports an unknown key with its fingerprint', async () => {
    expect(await auth.unknownHost(target(), key(), emptyKnownHosts)).toMatch(/^unknown SHA256:/)
  })
})

describe('docs/errors.md', () => {
  it('switch-on-code gives advice from the code of real failures', async () => {
    const refused = await new Connection('127.0.0.1:1', { connectTimeoutMs: 5_000 }).open().catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(SSHError)
    expect(advice(refused as SSHError)).toMatch(/nothing answers/)
    const unknown = await new Connection(target(), { auth: { privateKeys: [key()] }, hostKeys: { knownHostsFiles: [emptyKnownHosts] } })
      .open()
      .catch((e: unknown) => e)
    expect(unknown).toBeInstanceOf(HostKeyError)
    expect(advice(unknown as SSHError)).toMatch(/host key/)
  })

  it('narrow-unknown reads the fields of the class a real failure\'s code names', async () => {
    const refused = await new Connection('127.0.0.1:1', { connectTimeoutMs: 5_000 }).open().catch((e: unknown) => e)
    expect(explain(refused)).toBe('cannot reach 127.0.0.1:1')
    const unknown = await new Connection(target(), { auth: { privateKeys: [key()] }, hostKeys: { knownHostsFiles: [emptyKnownHosts] } })
      .open()
      .catch((e: unknown) => e)
    expect(explain(unknown)).toMatch(/^host key unknown for .*: SHA256:/)
    expect(explain(new Error('not ours'))).toBe('Error: not ours')
  })
})

describe('docs/timeouts.md', () => {
  it('command-timeout rejects with TimeoutError phase command', async () => {
    await using c = connect()
    const err = await timeouts.commandTimeout(c)
    expect(err?.phase).toBe('command')
    expect(err?.timeoutMs).toBe(2_000)
    expect((await c.run('echo still-usable')).stdout).toBe('still-usable\n')
  })

  it('abort rejects with the reason given to abort()', async () => {
    await using c = connect()
    expect(((await timeouts.cancelled(c)) as Error).message).toBe('user pressed Ctrl-C')
  })

  it('limits builds a Connection without dialling', async () => {
    await using c = timeouts.limits(target())
    expect(c.isConnected).toBe(false)
  })
})

describe('docs/sockets.md', () => {
  it('http carries a request over openSocket', async () => {
    await using c = connect()
    expect(await sockets.httpOverSsh(c, '127.0.0.1', httpPort)).toBe('hello over ssh')
  })

  it('forward-local serves fetch through a local port', async () => {
    await using c = connect()
    expect(await sockets.localForward(c, httpPort)).toBe('hello over ssh')
  })
})

describe('docs/ssh-config.md', () => {
  it('resolve prints values as ssh -G does and keeps the first User', () => {
    expect(resolveExample()).toEqual({ port: '2222', jump: 'bastion', user: 'app' })
  })

  it('warnings lists UseKeychain as a vendor keyword that was ignored', () => {
    expect(warningsExample()).toEqual([{ keyword: 'usekeychain', file: '<ssh_config text>', line: 2, reason: 'vendor' }])
  })
})
