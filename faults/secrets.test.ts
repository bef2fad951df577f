/**
 * Secrets under failure (DESIGN.md §3 "Secrets", issue #5): unique canaries for the password,
 * the key passphrase, the sudo password and the keyboard-interactive answers never appear in an
 * error's message, stack, `cause` chain, `util.inspect` (hidden, unlimited depth) or
 * `JSON.stringify`, nor in those of the Connection and Transport objects, nor in sudo's captured
 * output, nor in the Transport's debug log — across forced failures: wrong password, wrong
 * passphrase, a passphrase-protected key the server refuses, keyboard-interactive rejected,
 * sudo refused (with and without a pty), the connection lost mid-auth, and an auth timeout.
 *
 * The debug logs searched: Transport's `debug` against real sshd, and Connection's `debug` over a
 * gateway chain (a passphrase-protected key on the bastion, password, keyboard-interactive and
 * sudo on the targets), where the real password and passphrase that succeed are searched too.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  ensureSudo,
  killConnections,
  generateKey,
  startSsh2Server,
  startSshd,
  type GeneratedKey,
  type Ssh2ServerHandle,
  type SshdHandle,
} from '@x/testbed'
import {
  AuthenticationError,
  Connection,
  KeyError,
  SSHError,
  TimeoutError,
  type ConnectionAuthOptions,
  type ConnectionOptions,
} from '@x/connection'
import { Transport, fixedHostKey, loadPrivateKey } from '@x/transport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configFor } from '../packages/connection/test/helpers.js'
import { recordFigure } from './support/figures.js'
import { leakProbe } from './support/leaks.js'
import { failure } from './support/outcome.js'
import { canary, leaks, renderings, type Rendering } from './support/secrets.js'

const PASSWORD = canary('password')
const PASSPHRASE = canary('passphrase')
const SUDO_PASSWORD = canary('sudo')
const KI_ANSWER = canary('ki')
const CANARIES = [PASSWORD, PASSPHRASE, SUDO_PASSWORD, KI_ANSWER]

/** Every canary the caller hands a Connection: password, passphrase and KI answers. */
const ALL_AUTH: ConnectionAuthOptions = {
  password: PASSWORD,
  passphrase: PASSPHRASE,
  interactive: (_title, _instructions, prompts) => {
    kiRounds++
    return prompts.map(() => KI_ANSWER)
  },
  agent: false,
}
/** Keyboard-interactive rounds answered with the canary, proving the answers were sent. */
let kiRounds = 0
/** Passwords an ssh2 test server received, proving the canary travelled. */
const received: string[] = []

let dir: string
let keySshd: SshdHandle
let passwordSshd: SshdHandle
let kiSshd: SshdHandle
let hangingUp: Ssh2ServerHandle
let silent: Ssh2ServerHandle
/** Encrypted with PASSPHRASE; no server authorizes it. */
let canaryKey: GeneratedKey
/** Encrypted with another passphrase: PASSPHRASE is the wrong one for it. */
let otherKey: GeneratedKey
/** Renderings searched so far and canary occurrences found in them, for the figures. */
let checked = 0
let found = 0

beforeAll(async () => {
  await ensureSudo()
  dir = await mkdtemp(join(tmpdir(), 'xssh-secrets-'))
  ;[keySshd, passwordSshd, kiSshd, hangingUp, silent, canaryKey, otherKey] = await Promise.all([
    startSshd(),
    startSshd({ auth: 'password' }),
    startSshd({ auth: 'keyboard-interactive' }),
    startSsh2Server({
      onConnection: (client) =>
        client.on('authentication', (ctx) => {
          if (ctx.method === 'none') return ctx.reject(['password', 'keyboard-interactive'])
          if (ctx.method === 'password') received.push(ctx.password)
          client.end()
        }),
    }),
    startSsh2Server({
      onConnection: (client) =>
        client.on('authentication', (ctx) => {
          if (ctx.method === 'none') ctx.reject(['password'])
          if (ctx.method === 'password') received.push(ctx.password)
          // Anything else is never answered.
        }),
    }),
    generateKey('ed25519', join(dir, 'canary_key'), { passphrase: PASSPHRASE }),
    generateKey('ed25519', join(dir, 'other_key'), { passphrase: canary('not-used') }),
  ])
}, 60_000)
afterAll(async () => {
  recordFigure({ case: 'secrets under failure', measure: 'texts searched (messages, stacks, causes, inspect, JSON, output, debug)', value: checked, unit: 'texts' })
  recordFigure({ case: 'secrets under failure', measure: 'canary occurrences', value: found, unit: 'occurrences', bound: 0 })
  await Promise.all([keySshd, passwordSshd, kiSshd, hangingUp, silent].map((s) => s?.close()))
  await rm(dir, { recursive: true, force: true })
})

/** Asserts that no canary shows in any rendering of `values` (label → value). */
function expectNoCanary(values: Record<string, unknown>, extra: readonly Rendering[] = []): void {
  const texts = [...extra, ...Object.entries(values).flatMap(([label, value]) => renderings(value, label))]
  checked += texts.length
  const shown = leaks(texts, CANARIES)
  found += shown.length
  expect(shown).toEqual([])
}

/** Opens `c`, expecting it to fail with `type`; checks the error and the Connection; closes it. */
async function expectCleanFailure(c: Connection, type: abstract new (...args: never[]) => SSHError): Promise<SSHError> {
  const err = await failure(c.open())
  try {
    expect(err).toBeInstanceOf(type)
    expectNoCanary({ error: err, connection: c, transport: c.transport })
  } finally {
    await c.close()
  }
  expectNoCanary({ connection: c })
  return err as SSHError
}

/** A Connection to an ssh2 test server, pinning its host key. */
function toSsh2Server(server: Ssh2ServerHandle, options: ConnectionOptions): Connection {
  return new Connection(`nina@${server.host}:${server.port}`, {
    config: false,
    hostKeys: { policy: fixedHostKey(server.hostKey.publicLine) },
    ...options,
  })
}

describe('the canary search', () => {
  it('finds a canary in a nested cause, an AggregateError member, a hidden property and a JSON-only field', () => {
    const hidden = new Error('outer')
    Object.defineProperty(hidden, 'secret', { value: KI_ANSWER, enumerable: false })
    const nested = new Error('top', { cause: new Error('middle', { cause: new AggregateError([new Error(PASSWORD)]) }) })
    const texts = [...renderings(nested, 'nested'), ...renderings(hidden, 'hidden'), ...renderings({ toJSON: () => ({ p: PASSPHRASE }) }, 'json')]
    const shown = leaks(texts, CANARIES)
    expect(shown).toContain(`nested.cause.cause.errors[0].message: ${PASSWORD}`)
    expect(shown).toContain(`inspect(hidden): ${KI_ANSWER}`)
    expect(shown).toContain(`JSON.stringify(json): ${PASSPHRASE}`)
  })
})

describe('secrets never leak across forced failures', () => {
  it('wrong password: AuthenticationError', async () => {
    const probe = leakProbe()
    await expectCleanFailure(new Connection('target', { config: configFor(passwordSshd), auth: { ...ALL_AUTH, lookForKeys: false } }), AuthenticationError)
    expect((await probe.check()).problems).toEqual([])
  })

  it('wrong passphrase, as a string and from a callback: KeyError', async () => {
    const probe = leakProbe()
    for (const passphrase of [PASSPHRASE, (): string => PASSPHRASE]) {
      const c = new Connection('target', { config: configFor(keySshd), auth: { ...ALL_AUTH, passphrase, privateKeys: [otherKey.privatePath], lookForKeys: false } })
      const err = await expectCleanFailure(c, KeyError)
      expect((err as KeyError).reason).toBe('passphrase')
    }
    // The same with the key's text instead of its path.
    const c = new Connection('target', { config: configFor(keySshd), auth: { ...ALL_AUTH, privateKeys: [otherKey.privateText], lookForKeys: false } })
    expect(((await expectCleanFailure(c, KeyError)) as KeyError).reason).toBe('passphrase')
    expect((await probe.check()).problems).toEqual([])
  })

  it('right passphrase, key the server refuses: AuthenticationError', async () => {
    const probe = leakProbe()
    const c = new Connection('target', { config: configFor(keySshd), auth: { ...ALL_AUTH, privateKeys: [canaryKey.privatePath], lookForKeys: false } })
    const err = await expectCleanFailure(c, AuthenticationError)
    expect((err as AuthenticationError).triedMethods.some((m) => m.startsWith('publickey'))).toBe(true)
    expect((await probe.check()).problems).toEqual([])
  })

  it('keyboard-interactive answers rejected by PAM, and the password sent as a KI answer: AuthenticationError', async () => {
    const probe = leakProbe()
    const rounds = kiRounds
    await expectCleanFailure(new Connection('target', { config: configFor(kiSshd), auth: { ...ALL_AUTH, lookForKeys: false } }), AuthenticationError)
    expect(kiRounds).toBeGreaterThan(rounds)
    const { interactive: _, ...passwordOnly } = ALL_AUTH
    await expectCleanFailure(new Connection('target', { config: configFor(kiSshd), auth: { ...passwordOnly, lookForKeys: false } }), AuthenticationError)
    expect((await probe.check()).problems).toEqual([])
  })

  it('connection lost mid-auth: sshd killed while the KI handler answers, an ssh2 server hanging up on the password', async () => {
    const probe = leakProbe()
    let killed = 0
    const killing: ConnectionAuthOptions = {
      ...ALL_AUTH,
      lookForKeys: false,
      interactive: async (_t, _i, prompts) => {
        killed++
        await killConnections(kiSshd)
        return prompts.map(() => KI_ANSWER)
      },
    }
    const lost = await expectCleanFailure(new Connection('target', { config: configFor(kiSshd), auth: killing }), SSHError)
    expect(['ERR_SSH_AUTH', 'ERR_SSH_CONNECTION_LOST']).toContain(lost.code)
    expect(killed).toBe(1)
    const hungUp = await expectCleanFailure(toSsh2Server(hangingUp, { auth: ALL_AUTH }), SSHError)
    expect(['ERR_SSH_AUTH', 'ERR_SSH_CONNECTION_LOST']).toContain(hungUp.code)
    expect(received).toContain(PASSWORD)
    expect((await probe.check()).problems).toEqual([])
  })

  it('auth timeout while the password is pending: TimeoutError{phase:auth}', async () => {
    const probe = leakProbe()
    received.length = 0
    const err = await expectCleanFailure(toSsh2Server(silent, { auth: ALL_AUTH, timeouts: { authMs: 300 } }), TimeoutError)
    expect(received).toEqual([PASSWORD])
    expect((err as TimeoutError).phase).toBe('auth')
    expect((await probe.check()).problems).toEqual([])
  })

  it('sudo refused, with and without a pty: AuthenticationError; the password is in no error, output or object', async () => {
    const probe = leakProbe()
    const c = new Connection('target', { config: configFor(keySshd), auth: ALL_AUTH })
    try {
      for (const pty of [false, true]) {
        const chunks: string[] = []
        const capture = (chunk: Buffer): void => void chunks.push(chunk.toString('latin1'))
        const err = await failure(c.sudo('true', { password: SUDO_PASSWORD, pty, onStdout: capture, onStderr: capture }))
        expect(err).toBeInstanceOf(AuthenticationError)
        expect(c.isConnected).toBe(true)
        expectNoCanary({ error: err, connection: c, transport: c.transport }, [{ where: `captured output (pty ${pty})`, text: chunks.join('') }])
      }
      // The connection's own password as sudo's, with a pty: the same.
      const chunks: string[] = []
      const err = await failure(c.sudo('true', { pty: true, onStdout: (chunk) => void chunks.push(chunk.toString('latin1')) }))
      expect(err).toBeInstanceOf(AuthenticationError)
      expectNoCanary({ error: err }, [{ where: 'captured output (auth.password as sudo password)', text: chunks.join('') }])
    } finally {
      await c.close()
    }
    expect((await probe.check()).problems).toEqual([])
  })

  it("Transport's debug log, errors and object hold no canary for password, KI and passphrase-key attempts against sshd", async () => {
    const probe = leakProbe()
    const debug: string[] = []
    const key = await loadPrivateKey(canaryKey.privatePath, { passphrase: PASSPHRASE })
    expectNoCanary({ key })
    for (const server of [passwordSshd, kiSshd, keySshd]) {
      const t = new Transport(`${server.host}:${server.port}`, {
        hostKeyVerifier: fixedHostKey(server.hostKeys.find((k) => k.type === 'ssh-ed25519')?.publicLine ?? server.hostKeys[0]!.publicLine),
        debug: (line) => debug.push(line),
      })
      try {
        await t.startClient()
        const errors = [
          await failure(t.authPassword(server.user, PASSWORD)),
          await failure(t.authInteractive(server.user, (_t, _i, prompts) => prompts.map(() => KI_ANSWER))),
          await failure(t.authPublicKey(server.user, key)),
        ]
        for (const err of errors) expect(err).toBeInstanceOf(SSHError)
        expectNoCanary({ errors, transport: t })
      } finally {
        await t.close()
      }
    }
    expect(debug.length).toBeGreaterThan(0)
    expectNoCanary({}, debug.map((text, i) => ({ where: `debug[${i}]`, text })))
    recordFigure({ case: 'secrets under failure', measure: 'debug lines searched', value: debug.length, unit: 'lines' })
    expect((await probe.check()).problems).toEqual([])
  })

  it("Connection's debug lines over a gateway chain hold no secret: passphrase key on the bastion, password, keyboard-interactive and sudo on the targets", async () => {
    const probe = leakProbe()
    const keyThenPassword = await startSshd({ auth: 'publickey,password' })
    const lines: string[] = []
    try {
      const key = keySshd.clientKeys.ed25519Encrypted
      // The secrets that succeed are searched for too: the account's password and the key's passphrase.
      const secrets = [...CANARIES, keySshd.password, key.passphrase!]
      const entry = (alias: string, server: SshdHandle): string[] =>
        [`Host ${alias}`, `  HostName ${server.host}`, `  Port ${server.port}`, `  UserKnownHostsFile ${server.knownHostsFile}`]
      const text = [
        ...entry('bastion', keySshd),
        ...entry('key-and-password', keyThenPassword),
        '  ProxyJump bastion',
        ...entry('ki', kiSshd),
        '  ProxyJump bastion',
        'Host *',
        `  User ${keySshd.user}`,
        '  GlobalKnownHostsFile /dev/null',
        '  StrictHostKeyChecking yes',
        '',
      ].join('\n')
      const auth: ConnectionAuthOptions = { privateKeys: [key.privatePath], passphrase: key.passphrase!, agent: false, lookForKeys: false }
      const debug = (line: string): void => void lines.push(line)
      let kiAsked = 0
      {
        // Key (the bastion's too, through the hop) then the password; sudo with the right and a wrong password.
        await using c = new Connection('key-and-password', { config: { text }, debug, auth: { ...auth, password: keySshd.password } })
        expect((await c.sudo('whoami', { password: keySshd.password })).stdout).toContain('root')
        expect(await failure(c.sudo('true', { password: SUDO_PASSWORD }))).toBeInstanceOf(AuthenticationError)
      }
      {
        // Keyboard-interactive (PAM) answered with the right password.
        await using c = new Connection('ki', {
          config: { text },
          debug,
          auth: { ...auth, interactive: (_t, _i, prompts) => (kiAsked++, prompts.map(() => keySshd.password)) },
        })
        expect((await c.run('true')).ok).toBe(true)
      }
      expect(kiAsked).toBeGreaterThan(0)
      // A wrong (canary) password after the key: AuthenticationError, itself free of secrets.
      const wrong = new Connection('key-and-password', { config: { text }, debug, auth: { ...auth, password: PASSWORD } })
      await expectCleanFailure(wrong, AuthenticationError)
      // The lines arrived, from both hops of each chain: the Transport's trace and the Connection's own.
      for (const hop of ['bastion', 'key-and-password', 'ki']) {
        const mine = lines.filter((l) => l.startsWith(`[${keySshd.user}@${hop}:`))
        expect(mine.some((l) => l.includes('] Outbound: ')), hop).toBe(true)
        expect(mine.some((l) => l.includes('] auth: authenticated ')), hop).toBe(true)
      }
      expect(lines.some((l) => l.includes('] auth: trying password'))).toBe(true)
      expect(lines.some((l) => l.includes('] auth: trying keyboard-interactive'))).toBe(true)
      const texts = lines.map((text, i) => ({ where: `connection debug[${i}]`, text }))
      checked += texts.length
      const shown = leaks(texts, secrets)
      found += shown.length
      expect(shown).toEqual([])
      recordFigure({ case: 'secrets under failure', measure: 'Connection debug lines searched (gateway chain)', value: lines.length, unit: 'lines' })
    } finally {
      await keyThenPassword.close()
    }
    expect((await probe.check()).problems).toEqual([])
  })
})
