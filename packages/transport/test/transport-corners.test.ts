import { inspect } from 'node:util'
import { generateUsableEd25519, startSsh2Server, type Ssh2ServerHandle, type Ssh2ServerOptions } from '@x/testbed'
import ssh2, { type AuthContext, type Connection } from 'ssh2'
import {
  AuthenticationError,
  BadAuthenticationTypeError,
  ConnectionLostError,
  SSHError,
  TimeoutError,
  Transport,
  fixedHostKey,
  type InteractivePrompt,
  type TransportOptions,
} from '@x/transport'
import { afterAll, describe, expect, it } from 'vitest'
import { collect } from './helpers.js'

// Protocol corners a real server can't be made to show (DESIGN.md §4), scripted on the
// in-process ssh2 Server: every test writes its server's side of the conversation itself.

const servers: Ssh2ServerHandle[] = []
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
})

/** Starts an ssh2 server whose connections `script` drives; closed after the file. */
async function serve(script: (client: Connection) => void, config?: Ssh2ServerOptions['config']): Promise<Ssh2ServerHandle> {
  const s = await startSsh2Server({ onConnection: (client) => script(client), ...(config ? { config } : {}) })
  servers.push(s)
  return s
}

const TIMEOUTS = { connectMs: 5_000, handshakeMs: 5_000, authMs: 5_000, channelMs: 5_000 }

/** A Transport to `server` that pins its host key. */
function transportTo(server: Ssh2ServerHandle, options: TransportOptions = {}): Transport {
  return new Transport(`${server.host}:${server.port}`, {
    hostKeyVerifier: fixedHostKey(server.hostKey.publicLine),
    ...options,
    timeouts: { ...TIMEOUTS, ...options.timeouts },
  })
}

/** Records every 'close' event of `t`. */
function closeEvents(t: Transport): Array<SSHError | undefined> {
  const events: Array<SSHError | undefined> = []
  t.on('close', (err) => events.push(err))
  return events
}

/** Fails after `ms` instead of waiting forever. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms)
  })
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer))
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Answers every exec request with `ran: <command>` and exit status 0. */
function serveSessions(client: Connection, options: { ignoreFirstSessions?: number } = {}): void {
  let toIgnore = options.ignoreFirstSessions ?? 0
  client.on('ready', () => {
    client.on('session', (accept) => {
      if (toIgnore > 0) {
        toIgnore--
        return // never answer this channel open
      }
      const session = accept()
      session.on('exec', (acceptExec, _reject, info) => {
        const stream = acceptExec()
        stream.write(`ran: ${info.command}`)
        stream.exit(0)
        stream.end()
      })
    })
  })
}

/** Runs `command` on a new session and returns its stdout. */
async function exec(t: Transport, command: string): Promise<string> {
  const ch = await t.openSession()
  await ch.exec(command)
  ch.end()
  const [out, status] = await within(5_000, `exec ${command}`, Promise.all([collect(ch), ch.exitStatus()]))
  expect(status.code).toBe(0)
  return out.toString()
}

/** The type-specific data of a tcpip-forward request (RFC 4254 §7.1). */
function forwardRequest(address: string, port: number): Buffer {
  const addr = Buffer.from(address)
  const buf = Buffer.alloc(4 + addr.length + 4)
  buf.writeUInt32BE(addr.length, 0)
  addr.copy(buf, 4)
  buf.writeUInt32BE(port, 4 + addr.length)
  return buf
}

/** Accepts the 'none' method for any user. */
function acceptNone(client: Connection): void {
  client.on('authentication', (ctx) => (ctx.method === 'none' ? ctx.accept() : ctx.reject(['none'])))
}

/** Asks one keyboard-interactive round and hands the answers to `then`. */
function ask(ctx: AuthContext, prompts: InteractivePrompt[], title: string, instructions: string, then: (answers: string[]) => void): void {
  if (ctx.method !== 'keyboard-interactive') throw new Error(`not keyboard-interactive: ${ctx.method}`)
  ctx.prompt(prompts.map((p) => ({ ...p })), title, instructions, then)
}

/** A server that asks one prompt and accepts exactly `answer`. */
function oneQuestion(answer: string) {
  return (client: Connection): void => {
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'keyboard-interactive') return ctx.reject(['keyboard-interactive'])
      ask(ctx, [{ prompt: 'Code: ', echo: false }], 'Check', '', (answers) => {
        if (answers.length === 1 && answers[0] === answer) ctx.accept()
        else ctx.reject(['keyboard-interactive'])
      })
    })
    serveSessions(client)
  }
}

describe('keyboard-interactive', () => {
  it('runs several rounds; the handler sees each prompted round in order with title, instructions and echo flags', async () => {
    const received: string[][] = []
    const server = await serve((client) => {
      client.on('authentication', (ctx) => {
        if (ctx.method !== 'keyboard-interactive') return ctx.reject(['keyboard-interactive'])
        ask(ctx, [{ prompt: 'User code: ', echo: true }], 'Round one', 'Enter your code', (first) => {
          received.push(first)
          ask(ctx, [{ prompt: 'Password: ', echo: false }, { prompt: 'Token: ', echo: true }], 'Round two', 'Two answers', (second) => {
            received.push(second)
            // RFC 4256 §3.2: a round may carry no prompts (only title and instructions).
            ask(ctx, [], 'Notice', 'Nothing to answer', (third) => {
              received.push(third)
              ctx.accept()
            })
          })
        })
      })
      serveSessions(client)
    })
    await using t = transportTo(server)
    await t.startClient()
    const seen: Array<{ title: string; instructions: string; prompts: InteractivePrompt[] }> = []
    const next = await t.authInteractive('alice', async (title, instructions, prompts) => {
      seen.push({ title, instructions, prompts: prompts.map((p) => ({ ...p })) })
      await delay(10)
      return prompts.map((p) => `answer to ${p.prompt}`)
    })
    expect(next).toEqual([])
    expect(t.isAuthenticated).toBe(true)
    expect(t.username).toBe('alice')
    // ssh2 1.17 answers a round without prompts by itself (the handler does not see it), so
    // only the prompted rounds are compared.
    expect(seen.filter((round) => round.prompts.length > 0)).toEqual([
      { title: 'Round one', instructions: 'Enter your code', prompts: [{ prompt: 'User code: ', echo: true }] },
      {
        title: 'Round two',
        instructions: 'Two answers',
        prompts: [
          { prompt: 'Password: ', echo: false },
          { prompt: 'Token: ', echo: true },
        ],
      },
    ])
    expect(received).toEqual([['answer to User code: '], ['answer to Password: ', 'answer to Token: '], []])
    expect(await exec(t, 'true')).toBe('ran: true')
  })

  it("rejects with AuthenticationError caused by the handler's error when it throws; the next attempt succeeds", async () => {
    const server = await serve(oneQuestion('4711'))
    await using t = transportTo(server)
    await t.startClient()
    const boom = new Error('the user cancelled')
    const err = await t
      .authInteractive('bob', () => {
        throw boom
      })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AuthenticationError)
    expect((err as AuthenticationError).code).toBe('ERR_SSH_AUTH')
    expect((err as AuthenticationError).cause).toBe(boom)
    expect(t.isActive).toBe(true)
    expect(await t.authInteractive('bob', () => ['4711'])).toEqual([])
    expect(t.isAuthenticated).toBe(true)
  })

  it("rejects with the async handler's rejection as cause", async () => {
    const server = await serve(oneQuestion('4711'))
    await using t = transportTo(server)
    await t.startClient()
    const boom = new Error('no terminal')
    const err = await t.authInteractive('bob', async () => Promise.reject(boom)).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AuthenticationError)
    expect((err as AuthenticationError).cause).toBe(boom)
    expect(await t.authInteractive('bob', async () => ['4711'])).toEqual([])
  })

  it('rejects with AuthenticationError caused by a TypeError when the handler returns the wrong number of answers', async () => {
    const server = await serve(oneQuestion('4711'))
    await using t = transportTo(server)
    await t.startClient()
    for (const answers of [['4711', 'extra'], [], [4711 as unknown as string]]) {
      const err = await t.authInteractive('bob', () => answers).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(AuthenticationError)
      expect((err as AuthenticationError).cause).toBeInstanceOf(TypeError)
      expect(t.isActive).toBe(true)
    }
    expect(await t.authInteractive('bob', () => ['4711'])).toEqual([])
  })

  it('closes the transport with AuthenticationError when the handler fails but the server accepts the blank answers sent instead', async () => {
    const received: string[][] = []
    const server = await serve((client) => {
      client.on('authentication', (ctx) => {
        if (ctx.method !== 'keyboard-interactive') return ctx.reject(['keyboard-interactive'])
        ask(ctx, [{ prompt: 'Optional code: ', echo: true }], '', '', (answers) => {
          received.push(answers)
          ctx.accept() // accepts anything, even nothing
        })
      })
      serveSessions(client)
    })
    for (const handler of [
      (): string[] => {
        throw new Error('the user cancelled')
      },
      (): string[] => ['one', 'two'],
    ]) {
      const t = transportTo(server)
      const closes = closeEvents(t)
      await t.startClient()
      const err = await t.authInteractive('bob', handler).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(AuthenticationError)
      expect((err as AuthenticationError).code).toBe('ERR_SSH_AUTH')
      expect((err as AuthenticationError).cause).toBeInstanceOf(Error)
      expect(t.isAuthenticated).toBe(false)
      expect(t.isActive).toBe(false)
      await expect(t.openSession()).rejects.toBeInstanceOf(ConnectionLostError)
      await delay(20)
      expect(closes).toEqual([err])
    }
    expect(received).toEqual([[''], ['']])
  })
})

describe('partial success in the order the server chooses', () => {
  it('password, then publickey, then keyboard-interactive: each step returns the methods allowed next', async () => {
    const clientKey = generateUsableEd25519()
    const publicKey = ssh2.utils.parseKey(clientKey.public)
    if (publicKey instanceof Error) throw publicKey
    const steps: string[] = []
    const server = await serve((client) => {
      let done = 0
      client.on('authentication', (ctx) => {
        if (done === 0 && ctx.method === 'password' && ctx.password === 'first-factor') {
          done = 1
          steps.push('password')
          return ctx.reject(['publickey'], true)
        }
        if (done === 1 && ctx.method === 'publickey' && ctx.key.data.equals(publicKey.getPublicSSH())) {
          if (!ctx.signature) return ctx.accept() // SSH_MSG_USERAUTH_PK_OK: the client may sign
          if (publicKey.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject(['publickey'])
          done = 2
          steps.push('publickey')
          return ctx.reject(['keyboard-interactive'], true)
        }
        if (done === 2 && ctx.method === 'keyboard-interactive') {
          return ask(ctx, [{ prompt: 'OTP: ', echo: false }], '', '', (answers) => {
            if (answers[0] !== '123456') return ctx.reject(['keyboard-interactive'])
            steps.push('keyboard-interactive')
            ctx.accept()
          })
        }
        ctx.reject(done === 0 ? ['password'] : done === 1 ? ['publickey'] : ['keyboard-interactive'])
      })
      serveSessions(client)
    })
    await using t = transportTo(server)
    await t.startClient()
    const none = await t.authNone('carol').catch((e: unknown) => e)
    expect(none).toBeInstanceOf(BadAuthenticationTypeError)
    expect((none as BadAuthenticationTypeError).allowedTypes).toEqual(['password'])
    expect(await t.authPassword('carol', 'first-factor')).toEqual(['publickey'])
    expect(t.isAuthenticated).toBe(false)
    expect(await t.authPublicKey('carol', clientKey.private)).toEqual(['keyboard-interactive'])
    expect(t.isAuthenticated).toBe(false)
    expect(await t.authInteractive('carol', () => ['123456'])).toEqual([])
    expect(t.isAuthenticated).toBe(true)
    expect(steps).toEqual(['password', 'publickey', 'keyboard-interactive'])
    expect(await exec(t, 'id')).toBe('ran: id')
  })

  it('a wrong second factor rejects with AuthenticationError and leaves the partial success standing', async () => {
    const server = await serve((client) => {
      let first = false
      client.on('authentication', (ctx) => {
        if (!first && ctx.method === 'none') return ctx.reject(['keyboard-interactive', 'password'])
        if (!first && ctx.method === 'password' && ctx.password === 'one') {
          first = true
          return ctx.reject(['password'], true)
        }
        if (first && ctx.method === 'password' && ctx.password === 'two') return ctx.accept()
        ctx.reject(first ? ['password'] : ['keyboard-interactive', 'password'])
      })
      serveSessions(client)
    })
    await using t = transportTo(server)
    await t.startClient()
    expect(await t.authPassword('dave', 'one')).toEqual(['password'])
    const err = await t.authPassword('dave', 'not-two').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AuthenticationError)
    expect(err).not.toBeInstanceOf(BadAuthenticationTypeError)
    expect((err as AuthenticationError).allowedTypes).toEqual(['password'])
    expect(await t.authPassword('dave', 'two')).toEqual([])
    expect(t.isAuthenticated).toBe(true)
  })
})

describe('authNone', () => {
  it('resolves [] against a server that allows none', async () => {
    const server = await serve((client) => {
      acceptNone(client)
      serveSessions(client)
    })
    await using t = transportTo(server)
    await t.startClient()
    expect(await t.authNone('guest')).toEqual([])
    expect(t.isAuthenticated).toBe(true)
    expect(t.username).toBe('guest')
    expect(await exec(t, 'whoami')).toBe('ran: whoami')
  })
})

describe('timers', () => {
  it('closes with TimeoutError{phase:"auth"} when the server never answers an auth request', async () => {
    const server = await serve((client) => {
      client.on('authentication', () => {}) // never answered
    })
    const t = transportTo(server, { timeouts: { authMs: 300 } })
    const closes = closeEvents(t)
    await t.startClient()
    const started = Date.now()
    const err = await within(5_000, 'authPassword', t.authPassword('erin', 'whatever').catch((e: unknown) => e))
    const elapsed = Date.now() - started
    expect(err).toBeInstanceOf(TimeoutError)
    expect((err as TimeoutError).code).toBe('ERR_SSH_TIMEOUT')
    expect((err as TimeoutError).phase).toBe('auth')
    expect((err as TimeoutError).timeoutMs).toBe(300)
    expect(elapsed).toBeGreaterThanOrEqual(250)
    expect(elapsed).toBeLessThan(3_000)
    expect(t.isActive).toBe(false)
    await delay(100)
    expect(closes).toEqual([err])
    await expect(t.authNone('erin')).rejects.toBeInstanceOf(SSHError)
    await t.close()
    await delay(50)
    expect(closes).toHaveLength(1)
  })

  it('rejects exec() with TimeoutError{phase:"channel"} when a channel open goes unanswered, and stays usable', async () => {
    const server = await serve((client) => {
      acceptNone(client)
      serveSessions(client, { ignoreFirstSessions: 1 })
    })
    await using t = transportTo(server, { timeouts: { channelMs: 300 } })
    const closes = closeEvents(t)
    await t.startClient()
    await t.authNone('frank')
    const ch = await t.openSession()
    const started = Date.now()
    const err = await within(5_000, 'exec', ch.exec('sleep').catch((e: unknown) => e))
    expect(err).toBeInstanceOf(TimeoutError)
    expect((err as TimeoutError).phase).toBe('channel')
    expect((err as TimeoutError).timeoutMs).toBe(300)
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    ch.destroy()
    expect(t.isActive).toBe(true)
    expect(await exec(t, 'echo again')).toBe('ran: echo again')
    expect(closes).toEqual([])
  })
})

describe('connection lost', () => {
  it('rejects the pending auth call once with ConnectionLostError when the server disconnects mid-auth; later calls reject', async () => {
    const server = await serve((client) => {
      client.on('authentication', (ctx) => {
        if (ctx.method === 'password') client.end()
        else ctx.reject(['password'])
      })
    })
    const t = transportTo(server)
    const closes = closeEvents(t)
    await t.startClient()
    const outcomes: unknown[] = []
    const pending = t.authPassword('gina', 'pw').then(
      (value) => outcomes.push({ resolved: value }),
      (err: unknown) => outcomes.push(err),
    )
    await within(5_000, 'the auth call', pending)
    await delay(100)
    expect(outcomes).toHaveLength(1)
    const err = outcomes[0]
    expect(err).toBeInstanceOf(ConnectionLostError)
    expect((err as ConnectionLostError).code).toBe('ERR_SSH_CONNECTION_LOST')
    expect(closes).toHaveLength(1)
    expect(closes[0]).toBeInstanceOf(ConnectionLostError)
    expect(t.isActive).toBe(false)
    await expect(t.authPassword('gina', 'pw')).rejects.toBeInstanceOf(SSHError)
    await expect(t.authNone('gina')).rejects.toBeInstanceOf(SSHError)
    await expect(t.openSession()).rejects.toBeInstanceOf(ConnectionLostError)
    await expect(t.openChannel('direct-tcpip', { dest: ['127.0.0.1', 1] })).rejects.toBeInstanceOf(ConnectionLostError)
    await expect(t.globalRequest('x-test@example.com')).rejects.toBeInstanceOf(ConnectionLostError)
    await expect(t.renegotiateKeys()).rejects.toBeInstanceOf(ConnectionLostError)
    await t.close()
    expect(closes).toHaveLength(1)
  })
})

describe('banner, global requests, ignore', () => {
  it("exposes the server's banner as t.banner and emits it as 'banner' once", async () => {
    const server = await serve(
      (client) => {
        acceptNone(client)
      },
      { banner: 'Authorized use only.\r\nAll activity is logged.' },
    )
    await using t = transportTo(server)
    const banners: string[] = []
    t.on('banner', (message) => banners.push(message))
    await t.startClient()
    await t.authNone('hank')
    expect(banners).toHaveLength(1)
    expect(banners[0]!.trimEnd()).toBe('Authorized use only.\r\nAll activity is logged.')
    expect(t.banner).toBe(banners[0])
  })

  it('has no banner when the server sends none', async () => {
    const server = await serve(acceptNone)
    await using t = transportTo(server)
    const banners: string[] = []
    t.on('banner', (message) => banners.push(message))
    await t.startClient()
    await t.authNone('hank')
    expect(t.banner).toBeUndefined()
    expect(banners).toEqual([])
  })

  it('globalRequest with wantReply resolves { accepted: false } when the server answers failure, and its reply data on success', async () => {
    const requests: string[] = []
    const server = await serve((client) => {
      acceptNone(client)
      serveSessions(client)
      // ssh2's server hands only the forwarding requests to 'request' and fails the others itself.
      client.on('request', (accept, reject, name, info) => {
        requests.push(name)
        if (name === 'tcpip-forward' && (info as { bindPort: number }).bindPort === 0) accept?.(4321)
        else reject?.()
      })
    })
    await using t = transportTo(server)
    await t.startClient()
    await t.authNone('ivy')
    expect(await t.globalRequest('no-such-request@example.com')).toEqual({ accepted: false, data: Buffer.alloc(0) })
    expect(await t.globalRequest('tcpip-forward', forwardRequest('127.0.0.1', 2222))).toEqual({ accepted: false, data: Buffer.alloc(0) })
    const accepted = await t.globalRequest('tcpip-forward', forwardRequest('127.0.0.1', 0))
    expect(accepted?.accepted).toBe(true)
    expect(accepted?.data.readUInt32BE(0)).toBe(4321) // RFC 4254 §7.1: the port the server bound
    expect(await t.globalRequest('quiet@example.com', undefined, { wantReply: false })).toBeUndefined()
    // Replies stay paired with requests after one that wanted none.
    expect((await t.globalRequest('no-such-request@example.com'))?.accepted).toBe(false)
    expect(requests).toEqual(['tcpip-forward', 'tcpip-forward'])
    expect(t.isActive).toBe(true)
  })

  it('sendIgnore() keeps the session working', async () => {
    const server = await serve((client) => {
      acceptNone(client)
      serveSessions(client)
    })
    await using t = transportTo(server)
    await t.startClient()
    t.sendIgnore()
    await t.authNone('jack')
    t.sendIgnore(0)
    t.sendIgnore(4096)
    expect(await exec(t, 'after ignore')).toBe('ran: after ignore')
    t.sendIgnore()
    expect(await exec(t, 'twice')).toBe('ran: twice')
    expect(() => t.sendIgnore(-1)).toThrow(RangeError)
    expect(t.isActive).toBe(true)
  })
})

describe('AbortSignal', () => {
  it("rejects an aborted auth attempt with the signal's reason and closes the transport", async () => {
    const server = await serve((client) => {
      client.on('authentication', () => {}) // never answered
    })
    const t = transportTo(server)
    const closes = closeEvents(t)
    await t.startClient()
    const ac = new AbortController()
    const reason = new Error('user pressed Ctrl-C')
    setTimeout(() => ac.abort(reason), 100)
    const err = await within(5_000, 'aborted auth', t.authPassword('kim', 'pw', { signal: ac.signal }).catch((e: unknown) => e))
    expect(err).toBe(reason)
    expect(t.isActive).toBe(false)
    await delay(50) // 'close' is emitted on the next tick
    expect(closes).toHaveLength(1)
    expect(closes[0]).toBeInstanceOf(ConnectionLostError)
    expect((closes[0] as ConnectionLostError).cause).toBe(reason)
  })

  it('rejects an auth attempt whose keyboard-interactive handler is still waiting when the signal aborts', async () => {
    const server = await serve(oneQuestion('never'))
    const t = transportTo(server)
    await t.startClient()
    const ac = new AbortController()
    const reason = new Error('gave up typing')
    let release!: () => void
    const handlerDone = new Promise<void>((resolve) => (release = resolve))
    const attempt = t.authInteractive(
      'kim',
      async (_title, _instructions, prompts) => {
        ac.abort(reason)
        await handlerDone
        return prompts.map(() => 'too late')
      },
      undefined,
      { signal: ac.signal },
    )
    const err = await within(5_000, 'aborted interactive auth', attempt.catch((e: unknown) => e))
    expect(err).toBe(reason)
    expect(t.isActive).toBe(false)
    release()
    await delay(20) // the late answers go nowhere and raise nothing
  })

  it('rejects with the reason at once when the signal is already aborted, without closing', async () => {
    const server = await serve(acceptNone)
    await using t = transportTo(server)
    await t.startClient()
    const reason = new Error('already aborted')
    await expect(t.authNone('lee', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason)
    expect(t.isActive).toBe(true)
    expect(await t.authNone('lee')).toEqual([])
  })

  it('rejects an aborted openChannel with the reason and leaves the transport usable', async () => {
    const opens: string[] = []
    const server = await serve((client) => {
      acceptNone(client)
      serveSessions(client)
      client.on('ready', () => {
        client.on('tcpip', (_accept, _reject, info) => {
          opens.push(`${info.destIP}:${info.destPort}`) // never answered
        })
      })
    })
    await using t = transportTo(server)
    const closes = closeEvents(t)
    await t.startClient()
    await t.authNone('mia')
    const ac = new AbortController()
    const reason = new Error('not needed any more')
    setTimeout(() => ac.abort(reason), 100)
    const err = await within(5_000, 'aborted openChannel', t.openChannel('direct-tcpip', { dest: ['10.0.0.1', 5432], signal: ac.signal }).catch((e: unknown) => e))
    expect(err).toBe(reason)
    expect(opens).toEqual(['10.0.0.1:5432'])
    expect(t.isActive).toBe(true)
    await expect(t.openChannel('direct-tcpip', { dest: ['10.0.0.1', 5432], signal: AbortSignal.abort(reason) })).rejects.toBe(reason)
    expect(await exec(t, 'still here')).toBe('ran: still here')
    expect(closes).toEqual([])
  })
})

describe('secrets never leak into errors', () => {
  const PASSWORD = 'pw-Vx7#secret-password-9132'
  const ANSWER = 'ki-Qm4$secret-answer-5508'

  /** Every text an error (and its causes) shows: message, util.inspect, JSON. */
  function renderings(err: unknown): string[] {
    const texts: string[] = []
    for (let e: unknown = err, depth = 0; e !== undefined && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
      if (e instanceof Error) texts.push(e.message, String(e.stack))
      texts.push(inspect(e, { depth: 10, showHidden: true }), JSON.stringify(e) ?? '')
    }
    return texts
  }

  function expectNoSecret(err: unknown): void {
    expect(err).toBeInstanceOf(SSHError)
    for (const text of renderings(err)) {
      expect(text).not.toContain(PASSWORD)
      expect(text).not.toContain(ANSWER)
    }
  }

  it('keeps the password and keyboard-interactive answers out of auth, timeout and connection-lost errors', async () => {
    const debug: string[] = []
    const rejecting = await serve((client) => {
      client.on('authentication', (ctx) => {
        if (ctx.method === 'keyboard-interactive') {
          return ask(ctx, [{ prompt: 'Secret: ', echo: false }, { prompt: 'Again: ', echo: false }], 'T', 'I', () => ctx.reject(['password', 'keyboard-interactive']))
        }
        ctx.reject(['password', 'keyboard-interactive'])
      })
    })
    {
      await using t = transportTo(rejecting, { debug: (line) => debug.push(line) })
      await t.startClient()
      expectNoSecret(await t.authPassword('nina', PASSWORD).catch((e: unknown) => e))
      expectNoSecret(await t.authInteractive('nina', (_t, _i, prompts) => prompts.map(() => ANSWER)).catch((e: unknown) => e))
      // Wrong number of answers: the TypeError cause must not quote them either.
      expectNoSecret(await t.authInteractive('nina', () => [ANSWER, PASSWORD, ANSWER]).catch((e: unknown) => e))
    }
    const kiOnly = await serve((client) => {
      client.on('authentication', (ctx) => {
        if (ctx.method !== 'keyboard-interactive') return ctx.reject(['keyboard-interactive'])
        ask(ctx, [{ prompt: 'Password: ', echo: false }], '', '', () => ctx.reject(['keyboard-interactive']))
      })
    })
    {
      // The password travels as a keyboard-interactive answer here (fallback).
      await using t = transportTo(kiOnly, { debug: (line) => debug.push(line) })
      await t.startClient()
      expectNoSecret(await t.authPassword('nina', PASSWORD).catch((e: unknown) => e))
    }
    const silent = await serve((client) => {
      client.on('authentication', () => {})
    })
    {
      const t = transportTo(silent, { timeouts: { authMs: 200 }, debug: (line) => debug.push(line) })
      const closes = closeEvents(t)
      await t.startClient()
      const err = await t.authPassword('nina', PASSWORD).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(TimeoutError)
      expectNoSecret(err)
      await delay(50)
      closes.forEach(expectNoSecret)
    }
    const hangingUp = await serve((client) => {
      client.on('authentication', (ctx) => (ctx.method === 'none' ? ctx.reject(['password']) : client.end()))
    })
    {
      const t = transportTo(hangingUp, { debug: (line) => debug.push(line) })
      const closes = closeEvents(t)
      await t.startClient()
      const err = await t.authPassword('nina', PASSWORD).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ConnectionLostError)
      expectNoSecret(err)
      await delay(50)
      closes.forEach(expectNoSecret)
    }
    expect(debug.length).toBeGreaterThan(0)
    for (const line of debug) {
      expect(line).not.toContain(PASSWORD)
      expect(line).not.toContain(ANSWER)
    }
  })
})
