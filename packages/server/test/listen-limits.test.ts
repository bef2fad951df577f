// listen()'s authentication methods and its limits under hostile input, with the real OpenSSH
// client and our own client: each case ends in a refusal or a close within its bound, and the
// server goes on serving others.
import { writeFile } from 'node:fs/promises'
import { createConnection, type Socket } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import ssh2 from 'ssh2'
import { authorizedKeysText, childPids, clientKeys, openFdCount, runCommand, waitFor } from '@x/testbed'
import { AuthorizedKeys } from '../src/index.js'
import { startListenFixture } from './support/listen-server.js'
import type { ListenFixture } from './support/listen-server.js'

const SSH = '/usr/bin/ssh'
let f: ListenFixture | undefined
afterEach(async () => {
  await f?.close()
  f = undefined
})

async function askpass(dir: string, secret: string): Promise<NodeJS.ProcessEnv> {
  const path = join(dir, `askpass-${secret.length}.sh`)
  await writeFile(path, `#!/bin/sh\necho '${secret}'\n`, { mode: 0o755 })
  return { SSH_ASKPASS: path, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' }
}
const sshAs = (fx: ListenFixture, opts: string[], env?: NodeJS.ProcessEnv) =>
  runCommand(SSH, [...opts, ...fx.ssh, `${fx.user}@127.0.0.1`, 'echo in'], { allowFailure: true, timeoutMs: 20_000, input: '', ...(env ? { env } : {}) })

const password = (_user: string, pw: string) => pw === 'open sesame'

/**
 * Logs in with ssh2's client, one method at a time as `next` picks them, recording each offer
 * the server made (methods left, partial success); resolves 'ready' or the error's message.
 */
async function loginStepByStep(fx: ListenFixture, offers: { left: string[] | null; partial: boolean }[], next: () => unknown): Promise<string> {
  const client = new ssh2.Client()
  try {
    return await new Promise<string>((resolve) => {
      client.once('ready', () => resolve('ready')).once('error', (err) => resolve(err.message))
      client.connect({
        host: '127.0.0.1', port: fx.port, username: fx.user,
        hostVerifier: (key: Buffer) => key.toString('base64') === fx.hostPublicLine.split(' ')[1],
        authHandler: (left: string[] | null, partial: boolean | null) => {
          offers.push({ left, partial: partial === true })
          return next()
        },
      } as ssh2.ConnectConfig)
    })
  } finally {
    client.end()
  }
}

describe('listen() authentication with OpenSSH ssh', () => {
  it('takes a password and keyboard-interactive through askpass, and refuses a wrong one', async () => {
    f = await startListenFixture({ auth: { password } })
    const pw = ['-o', 'BatchMode=no', '-o', 'PubkeyAuthentication=no', '-o', 'NumberOfPasswordPrompts=1']
    expect((await sshAs(f, [...pw, '-o', 'PreferredAuthentications=password'], await askpass(f.dir, 'open sesame'))).stdout).toBe('in\n')
    expect((await sshAs(f, [...pw, '-o', 'PreferredAuthentications=keyboard-interactive'], await askpass(f.dir, 'open sesame'))).stdout).toBe('in\n')
    const bad = await sshAs(f, [...pw, '-o', 'PreferredAuthentications=password'], await askpass(f.dir, 'wrong'))
    expect(bad.stderr).toMatch(/Permission denied/)
    const methods = f.log.flatMap((e) => (e.event === 'login' ? [e.methods] : []))
    expect(methods).toEqual([['password'], ['keyboard-interactive']])
    // No secret in any log event.
    expect(JSON.stringify(f.log)).not.toMatch(/sesame|wrong/)
  })

  it('needs publickey and then keyboard-interactive when methods say so (partial success)', async () => {
    const authorizedKeys = AuthorizedKeys.parse(authorizedKeysText(await clientKeys()))
    const fx = await startListenFixture({ auth: { authorizedKeys, password, methods: [['publickey', 'keyboard-interactive']] } })
    f = fx
    // publickey alone: the server answers partial success and the batch client has nothing more.
    expect((await sshAs(fx, [])).stderr).toMatch(/Permission denied/)
    const both = await sshAs(fx, ['-o', 'BatchMode=no', '-o', 'PreferredAuthentications=publickey,keyboard-interactive'], await askpass(fx.dir, 'open sesame'))
    expect(both.stdout).toBe('in\n')
    expect(fx.log.find((e) => e.event === 'login')).toMatchObject({ methods: ['publickey', 'keyboard-interactive'] })
  })

  it('takes the methods of a list in its order, offering only the next one, as sshd AuthenticationMethods', async () => {
    const authorizedKeys = AuthorizedKeys.parse(authorizedKeysText(await clientKeys()))
    const fx = await startListenFixture({ auth: { authorizedKeys, password, methods: [['publickey', 'keyboard-interactive']] } })
    f = fx
    const env = await askpass(fx.dir, 'open sesame')
    // A client that would go the wrong way only: keyboard-interactive is not offered before publickey.
    const wrong = await sshAs(fx, ['-o', 'BatchMode=no', '-o', 'PreferredAuthentications=keyboard-interactive'], env)
    expect(wrong.stdout).toBe('')
    expect(wrong.stderr).toMatch(/Permission denied \(publickey\)\./)
    // The reversed preference still logs in: ssh follows the server's offer, publickey first.
    const reversed = await sshAs(fx, ['-o', 'BatchMode=no', '-o', 'PreferredAuthentications=keyboard-interactive,publickey'], env)
    expect(reversed.stdout, reversed.stderr).toBe('in\n')
    expect(fx.log.filter((e) => e.event === 'auth').map((e) => e.event === 'auth' && `${e.method}:${e.result}`)).toEqual(['publickey:partial', 'keyboard-interactive:success'])
    expect(fx.log.find((e) => e.event === 'login')).toMatchObject({ methods: ['publickey', 'keyboard-interactive'] })
  })

  it('refuses a method out of order on the wire: keyboard-interactive before publickey fails, its prompt never shown', async () => {
    const authorizedKeys = AuthorizedKeys.parse(authorizedKeysText(await clientKeys()))
    const fx = await startListenFixture({ auth: { authorizedKeys, password, methods: [['publickey', 'keyboard-interactive']] } })
    f = fx
    const offers: { left: string[] | null; partial: boolean }[] = []
    const prompted: string[] = []
    const plan = ['keyboard-interactive', 'publickey', 'keyboard-interactive']
    const outcome = await loginStepByStep(fx, offers, () => {
      const next = plan.shift()
      if (next === 'publickey') return { type: 'publickey', username: fx.user, key: fx.keys.ed25519.privateText }
      if (next === 'keyboard-interactive') {
        return { type: 'keyboard-interactive', username: fx.user, prompt: (_n: string, _i: string, _l: string, prompts: { prompt: string }[], finish: (answers: string[]) => void) => {
          prompted.push(...prompts.map((p) => p.prompt))
          finish(prompts.map(() => 'open sesame'))
        } }
      }
      return false
    })
    expect(outcome).toBe('ready')
    expect(offers).toEqual([
      { left: null, partial: false },
      { left: ['publickey'], partial: false },
      { left: ['keyboard-interactive'], partial: true },
    ])
    expect(prompted).toEqual(['Password: '])
  })

  it("needs two different keys for ['publickey', 'publickey']: the key that passed is not taken again", async () => {
    const authorizedKeys = AuthorizedKeys.parse(authorizedKeysText(await clientKeys()))
    const fx = await startListenFixture({ auth: { authorizedKeys, methods: [['publickey', 'publickey']] } })
    f = fx
    const offers: { left: string[] | null; partial: boolean }[] = []
    const plan = [fx.keys.ed25519.privateText, fx.keys.ed25519.privateText, fx.keys.ecdsa.privateText]
    const outcome = await loginStepByStep(fx, offers, () => {
      const key = plan.shift()
      return key === undefined ? false : { type: 'publickey', username: fx.user, key }
    })
    expect(outcome).toBe('ready')
    expect(offers).toEqual([
      { left: null, partial: false },
      { left: ['publickey'], partial: true },
      { left: ['publickey'], partial: false },
    ])
    expect(fx.log.find((e) => e.event === 'login')).toMatchObject({ methods: ['publickey', 'publickey'], user: fx.user })
  })

  it('refuses group-exchange at negotiation, then serves the next client', async () => {
    f = await startListenFixture()
    const r = await sshAs(f, ['-o', 'LogLevel=INFO', '-o', 'KexAlgorithms=diffie-hellman-group-exchange-sha256'])
    expect(r.stderr).toMatch(/no matching key exchange method/)
    expect((await sshAs(f, [])).stdout).toBe('in\n')
  })
})

function idleSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => resolve(s))
    s.on('error', reject)
  })
}
const closedWithin = (s: Socket, ms: number) =>
  new Promise<boolean>((resolve) => {
    if (s.destroyed || s.readableEnded) return resolve(true)
    const t = setTimeout(() => resolve(false), ms)
    s.once('close', () => {
      clearTimeout(t)
      resolve(true)
    })
    s.resume()
  })

/**
 * The file descriptors and child processes of this process (server and clients alike) now;
 * `settled()` waits, bounded, until both are back to that, then asserts it.
 */
function resources(): { settled: () => Promise<void> } {
  const fds = openFdCount()
  const children = new Set(childPids())
  const added = (): number[] => childPids().filter((pid) => !children.has(pid))
  return {
    async settled() {
      await waitFor(() => openFdCount() <= fds && added().length === 0, { timeoutMs: 5_000 }).catch(() => undefined)
      expect({ fds: openFdCount() <= fds ? 'as before' : `${openFdCount() - fds} more`, children: added() }).toEqual({ fds: 'as before', children: [] })
    },
  }
}

describe('listen() under hostile input', () => {
  it('closes an idle unauthenticated socket at the login grace time', async () => {
    f = await startListenFixture({ transport: { loginGraceMs: 1_000 } })
    const mark = resources()
    const s = await idleSocket(f.port)
    expect(await closedWithin(s, 5_000)).toBe(true)
    await waitFor(() => f!.server.connections.size === 0, { timeoutMs: 5_000 })
    await mark.settled()
  })

  it('drops connections beyond maxStartups at once, and serves again once they go', async () => {
    f = await startListenFixture({ maxStartups: 2, transport: { loginGraceMs: 1_500 } })
    const mark = resources()
    const held = [await idleSocket(f.port), await idleSocket(f.port)]
    await waitFor(() => f!.server.connections.size === 2, { timeoutMs: 5_000 })
    const third = await idleSocket(f.port)
    expect(await closedWithin(third, 2_000)).toBe(true)
    expect(f.log.some((e) => e.event === 'dropped' && e.reason === 'max-startups')).toBe(true)
    for (const s of held) expect(await closedWithin(s, 5_000)).toBe(true)
    expect((await sshAs(f, [])).stdout).toBe('in\n')
    await waitFor(() => f!.server.connections.size === 0, { timeoutMs: 5_000 })
    await mark.settled()
  })

  it('ends each connection after 6 wrong passwords; 102 wrong ones in all leave it serving', async () => {
    f = await startListenFixture({ auth: { password } })
    const env = await askpass(f.dir, 'nope')
    const mark = resources()
    const wrong = ['-o', 'BatchMode=no', '-o', 'PubkeyAuthentication=no', '-o', 'PreferredAuthentications=password', '-o', 'NumberOfPasswordPrompts=10']
    for (let round = 0; round < 17; round += 3) {
      const batch = await Promise.all([0, 1, 2].filter((i) => round + i < 17).map(() => sshAs(f!, wrong, env)))
      for (const r of batch) expect(r.stderr).toMatch(/Too many authentication failures|Permission denied|Connection closed/)
    }
    const failures = f.log.filter((e) => e.event === 'auth' && e.result === 'failure').length
    expect(failures).toBe(17 * 6)
    await waitFor(() => f!.server.connections.size === 0, { timeoutMs: 5_000 })
    await mark.settled()
    expect((await sshAs(f, ['-o', 'BatchMode=no', '-o', 'PubkeyAuthentication=no', '-o', 'PreferredAuthentications=password'], await askpass(f.dir, 'open sesame'))).stdout).toBe('in\n')
  })

  it('refuses session channels beyond maxSessions from a client that opens 1,000, and keeps serving', async () => {
    const fx = await startListenFixture({ maxSessions: 10, exec: (ch, req) =>
      req.command === 'hold' ? new Promise<void>((resolve) => ch.once('close', () => resolve())) : void ch.end('in\n') })
    f = fx
    const mark = resources()
    const client = new ssh2.Client()
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve()).once('error', reject)
      client.connect({ host: '127.0.0.1', port: fx.port, username: fx.user, privateKey: fx.keys.ed25519.privateText, hostVerifier: (key: Buffer) => key.toString('base64') === fx.hostPublicLine.split(' ')[1] })
    })
    try {
      // ssh2's client opens a session per exec; the server holds each one open.
      const outcomes = await Promise.all(Array.from({ length: 1000 }, () => new Promise<string>((resolve) => {
        client.exec('hold', (err, stream) => resolve(err ? (/open failure|administratively/i.test(err.message) ? 'refused' : err.message) : (stream.on('data', () => {}), 'opened')))
      })))
      expect(outcomes.filter((o) => o === 'opened').length).toBe(10)
      expect(outcomes.filter((o) => o === 'refused').length).toBe(990)
    } finally {
      client.end()
    }
    await waitFor(() => fx.server.connections.size === 0, { timeoutMs: 10_000 })
    await mark.settled()
    expect((await sshAs(fx, [])).stdout).toBe('in\n')
  })

  it('close() lets a running session finish, refuses new connections, then disconnects the rest', async () => {
    f = await startListenFixture()
    const running = runCommand(SSH, [...f.ssh, `${f.user}@127.0.0.1`, 'sleep 1; echo finished'], { allowFailure: true, timeoutMs: 20_000, input: '' })
    await waitFor(() => f!.log.some((e) => e.event === 'session'), { timeoutMs: 10_000 })
    const closing = f.server.close({ timeoutMs: 10_000 })
    const late = await sshAs(f, [])
    expect(late.code).toBe(255)
    expect((await running).stdout).toBe('finished\n')
    await closing
    expect(f.server.connections.size).toBe(0)
  })
})
