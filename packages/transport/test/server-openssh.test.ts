import { execFile } from 'node:child_process'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { clientKeys, generateKey, type ClientKeys } from '@x/testbed'
import { loadPrivateKey, PublicKey, Transport, type ServerInterface } from '@x/transport'
import ssh2 from 'ssh2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

let keys: ClientKeys
let dir: string
let hostLine: string
let hostKeyPath: string
let listener: Server
let port: number
const transports: Transport<'server'>[] = []
let make: (t: Transport<'server'>) => ServerInterface

function allowed(key: PublicKey): boolean {
  return keys.authorized.some((k) => PublicKey.parse(k.publicLine).equals(key))
}

const defaultServer = (): ServerInterface => ({
  checkAuthPublicKey: (_ctx, key) => (allowed(key) ? 'success' : 'failure'),
  checkChannelRequest: () => true,
  checkExecRequest: () => true,
})

beforeAll(async () => {
  keys = await clientKeys()
  dir = await mkdtemp(join(tmpdir(), 'srv-'))
  const host = await generateKey('ed25519', join(dir, 'host'), { comment: 'host' })
  hostKeyPath = host.privatePath
  hostLine = host.publicLine
  const hostKey = await loadPrivateKey(hostKeyPath)
  listener = createServer((sock: Socket) => {
    const t = new Transport<'server'>(sock, { server: { loginGraceMs: 5_000 } })
    transports.push(t)
    t.addServerKey(hostKey)
    t.startServer(make(t)).catch(() => undefined)
    void serve(t)
  })
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r))
  port = (listener.address() as { port: number }).port
  await writeFile(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostLine}\n`)
})

afterAll(async () => {
  for (const t of transports) t.destroy()
  await new Promise((r) => listener.close(r))
})

async function serve(t: Transport<'server'>): Promise<void> {
  for (;;) {
    const ch = await t.accept()
    if (!ch) return
    if (ch.command?.startsWith('echo ')) {
      ch.write(ch.command.slice(5) + '\n')
      ch.stderr.write('to-stderr\n')
      ch.exit(3)
    } else ch.exit(127)
  }
}

function ssh(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const base = ['-F', '/dev/null', '-p', String(port), '-o', `UserKnownHostsFile=${join(dir, 'known_hosts')}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes']
  return new Promise((resolve) => {
    // OpenSSH keeps the first value of an option: the test's own -o options go before the defaults.
    execFile('ssh', [...args.slice(0, -2), ...base, ...args.slice(-2)], { env: { ...process.env, ...env }, timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

describe('Transport (server role) against OpenSSH ssh', () => {
  for (const type of ['ed25519', 'ecdsa', 'rsa'] as const) {
    it(`runs exec with exit code and stderr after ${type} publickey auth`, async () => {
      make = defaultServer
      const extra = type === 'rsa' ? ['-o', 'PubkeyAcceptedAlgorithms=rsa-sha2-512'] : []
      const r = await ssh(['-i', keys[type].privatePath, ...extra, 'me@127.0.0.1', 'echo hi'])
      expect(r.stdout).toBe('hi\n')
      expect(r.stderr).toContain('to-stderr')
      expect(r.code).toBe(3)
    })
  }

  it('refuses an unauthorized key', async () => {
    make = defaultServer
    const r = await ssh(['-i', keys.unauthorized.privatePath, 'me@127.0.0.1', 'echo hi'])
    expect(r.code).toBe(255)
    expect(r.stderr).toMatch(/Permission denied/)
  })

  it('refuses group-exchange at negotiation and keeps serving', async () => {
    make = defaultServer
    const r = await ssh(['-i', keys.ed25519.privatePath, '-o', 'KexAlgorithms=diffie-hellman-group-exchange-sha256', 'me@127.0.0.1', 'echo hi'])
    expect(r.code).toBe(255)
    expect(r.stderr).toMatch(/no matching key exchange/)
    const ok = await ssh(['-i', keys.ed25519.privatePath, 'me@127.0.0.1', 'echo again'])
    expect(ok.stdout).toBe('again\n')
  })

  it('passes publickey then keyboard-interactive (partial success)', async () => {
    const seen: string[][] = []
    make = () => ({
      getAllowedAuths: (ctx) => (ctx.completed.includes('publickey') ? ['keyboard-interactive'] : ['publickey']),
      checkAuthPublicKey: (ctx, key) => (!ctx.completed.includes('publickey') && allowed(key) ? 'partial' : 'failure'),
      checkAuthInteractive: async (ctx, ask) => {
        seen.push([...ctx.completed])
        if (!ctx.completed.includes('publickey')) return 'failure'
        const [code] = await ask({ prompts: [{ prompt: 'Code: ', echo: false }] })
        return code === '4242' ? 'success' : 'failure'
      },
      checkChannelRequest: () => true,
      checkExecRequest: () => true,
    })
    const askpass = join(dir, 'askpass.sh')
    await writeFile(askpass, '#!/bin/sh\necho 4242\n', { mode: 0o755 })
    const r = await ssh(['-o', 'BatchMode=no', '-i', keys.ed25519.privatePath, '-o', 'PreferredAuthentications=publickey,keyboard-interactive', 'me@127.0.0.1', 'echo mfa'], {
      SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0',
    })
    expect(r.stdout).toBe('mfa\n')
    expect(seen).toEqual([['publickey']])
  })

  it('authenticates by password through askpass', async () => {
    make = () => ({ checkAuthPassword: (ctx, pw) => (ctx.username === 'me' && pw === 's3cret' ? 'success' : 'failure'), checkChannelRequest: () => true, checkExecRequest: () => true })
    const askpass = join(dir, 'pw.sh')
    await writeFile(askpass, '#!/bin/sh\necho s3cret\n', { mode: 0o755 })
    const r = await ssh(['-o', 'BatchMode=no', '-o', 'PreferredAuthentications=password', '-o', 'PubkeyAuthentication=no', 'me@127.0.0.1', 'echo pw'], { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' })
    expect(r.stdout).toBe('pw\n')
  })
})

describe('Transport (server role) signature verification', () => {
  it('rejects a publickey attempt signed by another key; the handler never sees it', async () => {
    const calls: string[] = []
    let server: Transport<'server'> | undefined
    make = (t) => {
      server = t
      return {
        checkAuthPublicKey: (_ctx, key) => {
          calls.push(key.fingerprint)
          return allowed(key) ? 'success' : 'failure'
        },
      }
    }
    const victim = ssh2.utils.parseKey(keys.ed25519.privateText) as ssh2.ParsedKey
    const forger = ssh2.utils.parseKey(keys.unauthorized.privateText) as ssh2.ParsedKey
    // Claims the authorized key's public half but signs with an unrelated private key.
    // ssh2's client takes only its own parsed keys (keyParser.js isParsedKey): inherit from the victim's, override sign.
    const forged = Object.create(victim, { sign: { value: (d: Buffer, a?: string) => forger.sign(d, a) } }) as ssh2.ParsedKey
    let offered = 0
    const outcome = await new Promise<string>((resolve) => {
      const c = new ssh2.Client()
      c.on('ready', () => { resolve('accepted'); c.end() })
      c.on('error', () => resolve('refused'))
      c.connect({ host: '127.0.0.1', port, username: 'me', hostVerifier: () => true, authHandler: (_methods: unknown, _p: unknown, next: (a: unknown) => void) => {
        // One offer only: a second call (after the refusal) ends the attempt.
        if (offered++ === 0) next({ type: 'publickey', username: 'me', key: forged })
        else next(false)
      } } as never)
    })
    expect(outcome).toBe('refused')
    expect(server?.forgedSignatures).toBe(1)
    // ssh2's client queries without signature first (PK_OK asked of the handler), then signs: the signed forgery never reaches it.
    expect(calls).toHaveLength(1)
  })
})
