import { startDropbear, startSshAgent, startSshd, type SshServerHandle } from '@x/testbed'
import {
  AuthenticationError,
  BadAuthenticationTypeError,
  KeyError,
  loadPrivateKey,
} from '@x/transport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { transportTo } from './helpers.js'

const servers: SshServerHandle[] = []
async function server<T extends SshServerHandle>(start: Promise<T>): Promise<T> {
  const s = await start
  servers.push(s)
  return s
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
})

describe('Transport authentication against OpenSSH', () => {
  let pubkey: SshServerHandle
  let password: SshServerHandle
  let interactive: SshServerHandle
  beforeAll(async () => {
    ;[pubkey, password, interactive] = await Promise.all([
      server(startSshd({ auth: 'publickey' })),
      server(startSshd({ auth: 'password' })),
      server(startSshd({ auth: 'keyboard-interactive' })),
    ])
  })

  it('authNone lists the methods the server allows as BadAuthenticationTypeError.allowedTypes', async () => {
    await using t = transportTo(password)
    await t.startClient()
    const err = await t.authNone(password.user).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BadAuthenticationTypeError)
    expect((err as BadAuthenticationTypeError).code).toBe('ERR_SSH_AUTH_BAD_TYPE')
    expect((err as BadAuthenticationTypeError).allowedTypes).toContain('password')
    expect(t.isAuthenticated).toBe(false)
  })

  it('authPassword rejects a wrong password, then accepts the right one on the same connection', async () => {
    await using t = transportTo(password)
    await t.startClient()
    const err = await t.authPassword(password.user, 'not-the-password').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AuthenticationError)
    expect(err).not.toBeInstanceOf(BadAuthenticationTypeError)
    expect((err as AuthenticationError).code).toBe('ERR_SSH_AUTH')
    expect((err as AuthenticationError).allowedTypes).toContain('password')
    expect(String((err as Error).message)).not.toContain('not-the-password')
    expect(await t.authPassword(password.user, password.password)).toEqual([])
    expect(t.isAuthenticated).toBe(true)
    expect(t.username).toBe(password.user)
  })

  it('authPassword falls back to keyboard-interactive when the server only allows that', async () => {
    await using t = transportTo(interactive)
    await t.startClient()
    expect(await t.authPassword(interactive.user, interactive.password)).toEqual([])
    expect(t.isAuthenticated).toBe(true)
  })

  it('authPassword without fallback raises BadAuthenticationTypeError listing keyboard-interactive', async () => {
    await using t = transportTo(interactive)
    await t.startClient()
    const err = await t.authPassword(interactive.user, interactive.password, { fallback: false }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BadAuthenticationTypeError)
    expect((err as BadAuthenticationTypeError).allowedTypes).toContain('keyboard-interactive')
  })

  it('authInteractive answers PAM prompts and fails cleanly on a wrong answer', async () => {
    await using t = transportTo(interactive)
    await t.startClient()
    const seen: string[] = []
    const wrong = await t
      .authInteractive(interactive.user, (_title, _instr, prompts) => {
        seen.push(...prompts.map((p) => p.prompt))
        return prompts.map(() => 'wrong-answer')
      })
      .catch((e: unknown) => e)
    expect(wrong).toBeInstanceOf(AuthenticationError)
    expect(seen.some((p) => /password/i.test(p))).toBe(true)
    const next = await t.authInteractive(interactive.user, async (_title, _instr, prompts) => {
      await new Promise((resolve) => setTimeout(resolve, 50))
      return prompts.map(() => interactive.password)
    })
    expect(next).toEqual([])
  })

  it('keeps no auth timer running while the keyboard-interactive handler waits on a person', async () => {
    // The handler waits 2.5× the auth bound; the bound leaves room for sshd's PAM round trips
    // on a loaded machine (300 ms was once exceeded by the server alone).
    await using t = transportTo(interactive, { timeouts: { authMs: 1_500 } })
    await t.startClient()
    const next = await t.authInteractive(interactive.user, async (_title, _instr, prompts) => {
      await new Promise((resolve) => setTimeout(resolve, 3_750))
      return prompts.map(() => interactive.password)
    })
    expect(next).toEqual([])
  })

  for (const type of ['ed25519', 'ecdsa', 'rsa', 'rsaPem'] as const) {
    it(`authPublicKey accepts the ${type} key (RSA signs with rsa-sha2-*)`, async () => {
      await using t = transportTo(pubkey, { debug: type.startsWith('rsa') ? (line) => lines.push(line) : undefined })
      const lines: string[] = []
      await t.startClient()
      const key = await loadPrivateKey(pubkey.clientKeys[type].privatePath)
      expect(await t.authPublicKey(pubkey.user, key)).toEqual([])
      if (type.startsWith('rsa')) expect(lines.join('\n')).toMatch(/rsa-sha2-(256|512)/)
    })
  }

  it('authPublicKey rejects a key the server does not know', async () => {
    await using t = transportTo(pubkey)
    await t.startClient()
    const err = await t.authPublicKey(pubkey.user, pubkey.clientKeys.unauthorized.privateText).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AuthenticationError)
    expect((err as AuthenticationError).allowedTypes).toEqual(['publickey'])
  })

  it('loads an encrypted key with the right passphrase and raises KeyError for a wrong or missing one', async () => {
    const enc = pubkey.clientKeys.ed25519Encrypted
    const missing = await loadPrivateKey(enc.privatePath).catch((e: unknown) => e)
    expect(missing).toBeInstanceOf(KeyError)
    expect((missing as KeyError).reason).toBe('passphrase')
    const wrong = await loadPrivateKey(enc.privatePath, { passphrase: 'nope-nope' }).catch((e: unknown) => e)
    expect(wrong).toBeInstanceOf(KeyError)
    expect((wrong as KeyError).reason).toBe('passphrase')
    await using t = transportTo(pubkey)
    await t.startClient()
    const key = await loadPrivateKey(enc.privatePath, { passphrase: enc.passphrase! })
    expect(await t.authPublicKey(pubkey.user, key)).toEqual([])
  })

  it('authAgent signs with a key held by a real ssh-agent', async () => {
    await using agent = await startSshAgent()
    await agent.add(pubkey.clientKeys.unauthorized.privatePath)
    await agent.add(pubkey.clientKeys.ecdsa.privatePath)
    await using t = transportTo(pubkey)
    await t.startClient()
    expect(await t.authAgent(pubkey.user, agent.socketPath)).toEqual([])
    expect(t.isAuthenticated).toBe(true)
  })

  it('authAgent fails with AuthenticationError when no agent key is accepted', async () => {
    await using agent = await startSshAgent()
    await agent.add(pubkey.clientKeys.unauthorized.privatePath)
    await using t = transportTo(pubkey)
    await t.startClient()
    const err = await t.authAgent(pubkey.user, agent.socketPath).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AuthenticationError)
    expect(await t.authPublicKey(pubkey.user, pubkey.clientKeys.ed25519.privateText)).toEqual([])
  })
})

describe('Transport two-factor authentication (partial success)', () => {
  it('publickey then password: the key returns the next methods, the password completes', async () => {
    const s = await server(startSshd({ auth: 'publickey,password' }))
    await using t = transportTo(s)
    await t.startClient()
    const next = await t.authPublicKey(s.user, s.clientKeys.ed25519.privateText)
    expect(next).toEqual(['password'])
    expect(t.isAuthenticated).toBe(false)
    expect(await t.authPassword(s.user, s.password)).toEqual([])
    expect(t.isAuthenticated).toBe(true)
  })

  it('publickey from an agent then keyboard-interactive', async () => {
    const s = await server(startSshd({ auth: 'publickey,keyboard-interactive' }))
    await using agent = await startSshAgent()
    await agent.add(s.clientKeys.ed25519.privatePath)
    await using t = transportTo(s)
    await t.startClient()
    const next = await t.authAgent(s.user, agent.socketPath)
    expect(next).toEqual(['keyboard-interactive'])
    expect(await t.authInteractive(s.user, (_t, _i, prompts) => prompts.map(() => s.password))).toEqual([])
  })

  it('connect() follows a partial success from key to password', async () => {
    const s = await server(startSshd({ auth: 'publickey,password' }))
    await using t = transportTo(s)
    await t.connect({ username: s.user, privateKey: s.clientKeys.rsa.privateText, password: s.password })
    expect(t.isAuthenticated).toBe(true)
  })
})

describe('Transport authentication against Dropbear', () => {
  it('accepts a key and a password, and rejects a wrong password', async () => {
    const s = await server(startDropbear({ auth: 'password' }))
    {
      await using t = transportTo(s)
      await t.startClient()
      expect(await t.authPublicKey(s.user, s.clientKeys.ed25519.privateText)).toEqual([])
    }
    await using t = transportTo(s)
    await t.startClient()
    await expect(t.authPassword(s.user, 'wrong-password')).rejects.toBeInstanceOf(AuthenticationError)
    expect(await t.authPassword(s.user, s.password)).toEqual([])
  })
})
