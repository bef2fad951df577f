import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKey, startSshAgent, startSshd, type SshdHandle } from '@x/testbed'
import { AuthenticationError, Connection, ConnectionLostError, KeyError } from '@x/connection'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configFor } from './helpers.js'
import { identityOrigin } from '../src/auth-keys.js'
import { resolveSshConfig } from '@x/connection'

let pubkey: SshdHandle
let twoFactor: SshdHandle
let password: SshdHandle
beforeAll(async () => {
  ;[pubkey, twoFactor, password] = await Promise.all([
    startSshd(),
    startSshd({ auth: 'publickey,password' }),
    startSshd({ auth: 'password', extraConfig: ['MaxAuthTries 6'] }),
  ])
})
afterAll(async () => {
  await Promise.all([pubkey?.close(), twoFactor?.close(), password?.close()])
})

describe('Connection authentication policy', () => {
  it('uses a key named by IdentityFile in ssh_config', async () => {
    await using c = new Connection('target', { config: configFor(pubkey, [`IdentityFile ${pubkey.clientKeys.ecdsa.privatePath}`]), auth: { agent: false } })
    expect((await c.run('whoami')).stdout.trim()).toBe(pubkey.user)
  })

  it('authenticates with an agent (IdentityAgent)', async () => {
    await using agent = await startSshAgent()
    await agent.add(pubkey.clientKeys.rsa.privatePath)
    const text = [
      'Host target',
      `  HostName ${pubkey.host}`,
      `  Port ${pubkey.port}`,
      `  User ${pubkey.user}`,
      `  UserKnownHostsFile ${pubkey.knownHostsFile}`,
      `  IdentityAgent ${agent.socketPath}`,
      '  IdentityFile /nonexistent/key',
    ].join('\n')
    await using c = new Connection('target', { config: { text } })
    expect((await c.run('whoami')).stdout.trim()).toBe(pubkey.user)
  })

  it('follows a partial success from key to password (2FA)', async () => {
    await using c = new Connection('target', { config: configFor(twoFactor), auth: { password: twoFactor.password, agent: false } })
    expect((await c.run('whoami')).stdout.trim()).toBe(twoFactor.user)
  })

  it('reports KeyError for a wrong passphrase', async () => {
    const key = pubkey.clientKeys.ed25519Encrypted
    const wrong = new Connection('target', {
      config: configFor(pubkey, [`IdentityFile ${key.privatePath}`]),
      auth: { agent: false, passphrase: 'definitely-wrong' },
    })
    const err = await wrong.open().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KeyError)
    expect((err as KeyError).reason).toBe('passphrase')
    const asked: string[] = []
    await using right = new Connection('target', {
      config: configFor(pubkey, [`IdentityFile ${key.privatePath}`]),
      auth: { agent: false, passphrase: (path) => (asked.push(path), key.passphrase!) },
    })
    await right.open()
    expect(asked).toEqual([key.privatePath])
  })

  it('reports the server refusing 7 wrong keys against MaxAuthTries 6, not a hang', async () => {
    const server = await startSshd({ extraConfig: ['MaxAuthTries 6'] })
    try {
      const c = new Connection(`${server.user}@${server.host}:${server.port}`, {
        config: false,
        auth: { privateKeys: wrongKeys, agent: false, lookForKeys: false },
        hostKeys: { knownHostsFiles: [server.knownHostsFile] },
      })
      const started = Date.now()
      const err = await c.open().catch((e: unknown) => e)
      expect(err).toBeInstanceOf(AuthenticationError)
      expect(Date.now() - started).toBeLessThan(15_000)
      // sshd hangs up after its sixth failure: the error says so and carries the disconnect.
      expect((err as AuthenticationError).cause).toBeInstanceOf(ConnectionLostError)
      expect((err as AuthenticationError).triedMethods.filter((m) => m.startsWith('publickey')).length).toBeGreaterThanOrEqual(6)
    } finally {
      await server.close()
    }
  })

  it('lists what was tried and what the server allows when nothing works', async () => {
    const c = new Connection('target', { config: configFor(password), auth: { agent: false, password: 'wrong-password' } })
    const err = await c.open().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AuthenticationError)
    expect((err as AuthenticationError).triedMethods).toContain('password')
    expect((err as AuthenticationError).allowedTypes).toContain('password')
    expect(String((err as Error).message)).not.toContain('wrong-password')
  })
})

describe('keys that cannot be used', () => {
  it("tells OpenSSH's default key files (no IdentityFile set) from IdentityFile lines, even one naming a default path", () => {
    expect(identityOrigin(resolveSshConfig('h', { config: { text: 'Host h\n  Port 2\n' } }))).toBe('default')
    expect(identityOrigin(resolveSshConfig('h', { config: { text: 'Host h\n  IdentityFile ~/.ssh/id_rsa\n' } }))).toBe('identity-file')
  })

  /** ssh_config for `server` naming only the IdentityFile lines given (no default key discovery). */
  const identityConfig = (server: SshdHandle, identityFiles: readonly string[]): { text: string } => ({
    text: [
      'Host target',
      `  HostName ${server.host}`,
      `  Port ${server.port}`,
      `  User ${server.user}`,
      `  UserKnownHostsFile ${server.knownHostsFile}`,
      '  GlobalKnownHostsFile /dev/null',
      ...identityFiles.map((f) => `  IdentityFile ${f}`),
      '',
    ].join('\n'),
  })

  it('refuses a debug option that is not a function with TypeError', () => {
    expect(() => new Connection('target', { config: false, debug: 'yes' as unknown as (line: string) => void })).toThrow(TypeError)
  })

  it('raises KeyError passphrase for a listed encrypted key when no passphrase is given (path and text)', async () => {
    const key = pubkey.clientKeys.ed25519Encrypted
    for (const source of [key.privatePath, key.privateText]) {
      const c = new Connection('target', { config: configFor(pubkey), auth: { agent: false, lookForKeys: false, privateKeys: [source] } })
      const err = await c.open().catch((e: unknown) => e)
      expect(err).toBeInstanceOf(KeyError)
      expect((err as KeyError).reason).toBe('passphrase')
    }
  })

  it('passes over IdentityFile keys it cannot use, goes on to the password, and lists them when nothing works', async () => {
    const key = pubkey.clientKeys.ed25519Encrypted
    const files = ['/nonexistent/id_missing', key.privatePath]
    // Password-only server: the skipped keys do not stop the password.
    await using ok = new Connection('target', { config: identityConfig(password, files), auth: { agent: false, password: password.password } })
    expect((await ok.run('whoami')).stdout.trim()).toBe(password.user)
    // Key-only server: nothing left, and the error says which keys were passed over and why.
    const lines: string[] = []
    const c = new Connection('target', { config: identityConfig(pubkey, files), auth: { agent: false }, debug: (line) => lines.push(line) })
    const err = await c.open().catch((e: unknown) => e)
    // Told when it happens too, each key on a line of its own.
    for (const file of files) expect(lines.some((l) => l.includes('] auth: skipped ') && l.includes(file)), file).toBe(true)
    expect(err).toBeInstanceOf(AuthenticationError)
    expect((err as AuthenticationError).skippedKeys).toEqual([
      { source: '/nonexistent/id_missing', origin: 'identity-file', reason: 'missing' },
      { source: key.privatePath, origin: 'identity-file', reason: 'passphrase' },
    ])
  })
})

/** Seven distinct ed25519 keys no server authorizes, generated once for this file. */
const wrongKeys: string[] = []
beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'xssh-wrong-keys-'))
  try {
    for (let i = 0; i < 7; i++) wrongKeys.push((await generateKey('ed25519', join(dir, `k${i}`))).privateText)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})


describe('agent forwarding', () => {
  it('forwards the agent with forwardAgent: the server sees its keys', async () => {
    await using agent = await startSshAgent()
    await agent.add(pubkey.clientKeys.ecdsa.privatePath)
    await using c = new Connection('target', { config: configFor(pubkey), auth: { agent: agent.socketPath }, forwardAgent: true })
    const listed = await c.run('ssh-add -l')
    expect(listed.stdout).toContain(pubkey.clientKeys.ecdsa.fingerprint)
  })

  it('takes ForwardAgent from ssh_config, and forwards nothing by default', async () => {
    await using agent = await startSshAgent()
    await agent.add(pubkey.clientKeys.ecdsa.privatePath)
    await using on = new Connection('target', { config: configFor(pubkey, [`ForwardAgent ${agent.socketPath}`]) })
    expect((await on.run('ssh-add -l')).stdout).toContain(pubkey.clientKeys.ecdsa.fingerprint)
    await using off = new Connection('target', { config: configFor(pubkey), auth: { agent: agent.socketPath } })
    const r = await off.run('ssh-add -l', { warn: true })
    expect(r.exitCode).not.toBe(0)
  })
})
