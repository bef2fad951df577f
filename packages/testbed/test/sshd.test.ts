import { existsSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isProcessAlive, runCommand, signalEach, startEchoServer, startSshd, waitFor } from '../src/index.js'
import type { SshdHandle } from '../src/index.js'
import { answerPrompts, offeredMethods, opensshWithKey, ssh2Connect, ssh2End, ssh2Exec } from './helpers.js'

describe('startSshd (publickey, the default)', () => {
  let sshd: SshdHandle
  beforeAll(async () => {
    sshd = await startSshd()
  })
  afterAll(() => sshd?.close())

  it('listens on 127.0.0.1 and logs "Server listening"', async () => {
    expect(sshd.host).toBe('127.0.0.1')
    expect(sshd.port).toBeGreaterThan(0)
    expect(await sshd.log()).toContain(`Server listening on 127.0.0.1 port ${sshd.port}`)
    expect(await sshd.connectionPids()).toEqual([])
  })

  for (const type of ['ed25519', 'ecdsa', 'rsa', 'rsaPem'] as const) {
    it(`lets the OpenSSH client in with the ${type} client key`, async () => {
      const out = await opensshWithKey(sshd, sshd.clientKeys[type].privatePath, 'id -un; echo "shlvl=$SHLVL"')
      expect(out.stderr).toBe('')
      expect(out.code).toBe(0)
      expect(out.stdout).toBe(`${sshd.user}\nshlvl=1\n`)
    })
  }

  it('refuses the unauthorized client key', async () => {
    const out = await opensshWithKey(sshd, sshd.clientKeys.unauthorized.privatePath)
    expect(out.code).toBe(255)
    expect(out.stderr).toContain('Permission denied (publickey)')
  })

  it('offers only publickey', async () => {
    expect(await offeredMethods(sshd)).toEqual(['publickey'])
  })

  it('lists ed25519, ecdsa and rsa host keys whose fingerprints ssh-keygen confirms', async () => {
    expect(sshd.hostKeys.map((k) => k.type)).toEqual(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ssh-rsa'])
    expect(sshd.knownHostsLines).toEqual(sshd.hostKeys.map((k) => `[127.0.0.1]:${sshd.port} ${k.publicLine}`))
    const scan = await runCommand('/usr/bin/ssh-keygen', ['-l', '-f', sshd.knownHostsFile])
    for (const key of sshd.hostKeys) expect(scan.stdout).toContain(key.fingerprint)
  })

  it('serves sftp through internal-sftp', async () => {
    const client = await ssh2Connect({
      host: sshd.host, port: sshd.port, username: sshd.user, privateKey: sshd.clientKeys.ed25519.privateText,
    })
    try {
      const home = await new Promise<string>((resolve, reject) =>
        client.sftp((err, sftp) => {
          if (err) return reject(err)
          sftp.realpath('.', (e, path) => {
            sftp.end()
            if (e) reject(e)
            else resolve(path)
          })
        }))
      expect(home).toBe('/home/xssh-test')
    } finally {
      await ssh2End(client)
    }
  })
})

describe('startSshd connection processes and close()', () => {
  it('lists per-connection PIDs and kills them, stopped ones too, on close', async () => {
    const sshd = await startSshd()
    const client = spawn('/usr/bin/ssh', [
      '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${sshd.knownHostsFile}`,
      '-i', sshd.clientKeys.ed25519.privatePath, '-p', String(sshd.port), `${sshd.user}@127.0.0.1`, 'sleep 60',
    ], { stdio: 'ignore' })
    const clientExit = once(client, 'close')
    try {
      const pids = await waitFor(async () => {
        const found = await sshd.connectionPids()
        return found.length >= 3 ? found : null // monitor, network child, session shell/sleep
      }, { description: 'the connection processes' })
      // A short-lived helper (the shell before it execs sleep) may be gone by now: skip it.
      expect(signalEach(pids, 'SIGSTOP')).toBeGreaterThanOrEqual(2)
      await sshd.close()
      expect(pids.filter(isProcessAlive)).toEqual([])
      expect(isProcessAlive(sshd.pid)).toBe(false)
      expect(existsSync(sshd.dir)).toBe(false)
      await sshd.close() // idempotent
    } finally {
      client.kill('SIGKILL')
      await clientExit
      await sshd.close()
    }
  })
})

describe('startSshd auth variants', () => {
  it('password: offers only password, and PAM accepts the test password', async () => {
    await using sshd = await startSshd({ auth: 'password' })
    expect(await offeredMethods(sshd)).toEqual(['password'])
    const client = await ssh2Connect({ host: sshd.host, port: sshd.port, username: sshd.user, password: sshd.password })
    expect(await ssh2Exec(client, 'id -un')).toBe(`${sshd.user}\n`)
    await ssh2End(client)
    await expect(ssh2Connect({ host: sshd.host, port: sshd.port, username: sshd.user, password: 'wrong' }))
      .rejects.toThrow(/authentication methods failed/)
  })

  it('keyboard-interactive: offers only keyboard-interactive, and PAM asks for the password', async () => {
    await using sshd = await startSshd({ auth: 'keyboard-interactive' })
    expect(await offeredMethods(sshd)).toEqual(['keyboard-interactive'])
    const prompts: string[] = []
    const target = { host: sshd.host, port: sshd.port, username: sshd.user, tryKeyboard: true }
    const client = await ssh2Connect(target, answerPrompts(sshd.password, prompts))
    await ssh2End(client)
    expect(prompts).toEqual(['Password: '])
  })

  it('password+keyboard-interactive: offers both, either one lets the user in', async () => {
    await using sshd = await startSshd({ auth: 'password+keyboard-interactive' })
    expect((await offeredMethods(sshd)).sort()).toEqual(['keyboard-interactive', 'password'])
    const base = { host: sshd.host, port: sshd.port, username: sshd.user }
    await ssh2End(await ssh2Connect({ ...base, password: sshd.password }))
    const prompts: string[] = []
    const viaKbd = await ssh2Connect({ ...base, tryKeyboard: true }, answerPrompts(sshd.password, prompts))
    await ssh2End(viaKbd)
    expect(prompts).toEqual(['Password: '])
  })

  for (const second of ['password', 'keyboard-interactive'] as const) {
    it(`publickey,${second}: a key gives partial success, then ${second} is required`, async () => {
      await using sshd = await startSshd({ auth: `publickey,${second}` })
      expect(await offeredMethods(sshd)).toEqual(['publickey'])
      const keyOnly = await opensshWithKey(sshd, sshd.clientKeys.ed25519.privatePath)
      expect(keyOnly.code).toBe(255)
      expect(keyOnly.stderr).toContain(`Permission denied (${second})`)
      const base = { host: sshd.host, port: sshd.port, username: sshd.user }
      const methods: string[] = []
      const client = await ssh2Connect({
        ...base,
        tryKeyboard: second === 'keyboard-interactive',
        authHandler: (left, partial, next) => {
          if (left === null) return next({ type: 'publickey', username: sshd.user, key: sshd.clientKeys.ed25519.privateText })
          methods.push(`${partial}:${left.join(',')}`)
          if (second === 'password') return next({ type: 'password', username: sshd.user, password: sshd.password })
          return next({
            type: 'keyboard-interactive', username: sshd.user,
            prompt: (_n, _i, _l, prompts, finish) => finish(prompts.map(() => sshd.password)),
          })
        },
      })
      await ssh2End(client)
      expect(methods).toEqual([`true:${second}`])
    })
  }
})

describe('startSshd options', () => {
  it('allowTcpForwarding false refuses direct-tcpip; the default allows it', async () => {
    await using echo = await startEchoServer()
    await using open = await startSshd()
    await using closed = await startSshd({ allowTcpForwarding: false })
    expect(await forwardEcho(open, echo.port)).toBe('ping')
    // RFC 4254 §5.1: reason 1 is SSH_OPEN_ADMINISTRATIVELY_PROHIBITED
    await expect(forwardEcho(closed, echo.port)).rejects.toMatchObject({ reason: 1 })
  })

  it('extraConfig lines override the defaults', async () => {
    await using echo = await startEchoServer()
    await using sshd = await startSshd({ extraConfig: ['AllowTcpForwarding no'] })
    await expect(forwardEcho(sshd, echo.port)).rejects.toMatchObject({ reason: 1 })
  })

  it('maxSessions caps the session channels of one connection', async () => {
    await using sshd = await startSshd({ maxSessions: 2 })
    const client = await ssh2Connect({
      host: sshd.host, port: sshd.port, username: sshd.user, privateKey: sshd.clientKeys.ed25519.privateText,
    })
    try {
      const open = (): Promise<unknown> =>
        new Promise((resolve, reject) => client.shell(false, (err, ch) => (err ? reject(err) : resolve(ch))))
      await open()
      await open()
      await expect(open()).rejects.toThrow(/open failed|prohibited/i)
    } finally {
      await ssh2End(client)
    }
  })

  it('surfaces the sshd log when sshd refuses its config', async () => {
    await expect(startSshd({ extraConfig: ['NoSuchKeyword yes'] })).rejects.toThrow(/Bad configuration option/)
  })
})

async function forwardEcho(sshd: SshdHandle, port: number): Promise<string> {
  const client = await ssh2Connect({
    host: sshd.host, port: sshd.port, username: sshd.user, privateKey: sshd.clientKeys.ed25519.privateText,
  })
  try {
    return await new Promise<string>((resolve, reject) => {
      client.forwardOut('127.0.0.1', 0, '127.0.0.1', port, (err, stream) => {
        if (err) return reject(err)
        stream.on('error', reject)
        stream.once('data', (data: Buffer) => {
          resolve(data.toString())
          stream.end()
        })
        stream.write('ping')
      })
    })
  } finally {
    await ssh2End(client)
  }
}
