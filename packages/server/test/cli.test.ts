// The x-sshd CLI run as `pnpm x-sshd` runs it (tsx on the source), reached by real OpenSSH clients.
import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { chmod, chown, mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authorizedKeysText, clientKeys, generateKey, runCommand, startEchoServer, testUser, waitFor } from '@x/testbed'
import type { ClientKeys, GeneratedKey } from '@x/testbed'
import { hashPassword, verifyPassword } from '../src/index.js'
import { runCli, spawnCli } from './support/cli-process.js'

const SSH = '/usr/bin/ssh'
const SFTP = '/usr/bin/sftp'
const sha = async (p: string) => createHash('sha256').update(await readFile(p)).digest('hex')

describe('x-sshd', () => {
  let dir: string
  let root: string
  let keys: ClientKeys
  let user: string
  let host: GeneratedKey
  let authorizedKeys: string
  beforeAll(async () => {
    // Under the home directory: StrictModes (as sshd's) refuses authorized_keys below /tmp (mode 1777).
    dir = await mkdtemp(join(homedir(), '.x-sshd-cli-'))
    root = join(dir, 'root')
    await mkdir(root)
    ;[keys, user, host] = await Promise.all([clientKeys(), testUser().then((u) => u.name), generateKey('ed25519', join(dir, 'host_ed25519'))])
    authorizedKeys = join(dir, 'authorized_keys')
    await writeFile(authorizedKeys, authorizedKeysText(keys), { mode: 0o600 })
  })
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  /** ssh/sftp options reaching x-sshd on `port` with the ed25519 client key (sftp wants -P). */
  async function clientOptions(port: number, portFlag: '-p' | '-P' = '-p', withKey = true): Promise<string[]> {
    const knownHosts = join(dir, `known_hosts_${port}`)
    await writeFile(knownHosts, `[127.0.0.1]:${port} ${host.publicLine.split(' ').slice(0, 2).join(' ')}\n`)
    return ['-F', '/dev/null', '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'LogLevel=ERROR',
      ...(withKey ? ['-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-i', keys.ed25519.privatePath] : []), portFlag, String(port)]
  }
  const serve = (...args: string[]) => spawnCli(['--listen', '127.0.0.1:0', '--host-key', host.privatePath, ...args])
  async function sftpBatch(port: number, lines: string[]) {
    const batch = join(dir, `batch-${port}`)
    await writeFile(batch, `${lines.join('\n')}\n`)
    return runCommand(SFTP, [...(await clientOptions(port, '-P')), '-b', batch, `${user}@127.0.0.1`], { allowFailure: true, timeoutMs: 20_000 })
  }

  it('serves sftp -b put and get on --root with --authorized-keys, and refuses exec unless allowed', async () => {
    await using cli = serve('--authorized-keys', authorizedKeys, '--root', root)
    const port = await cli.listening()
    expect(cli.stdout()).toContain(`listening on 127.0.0.1:${port}\n`)
    const src = join(dir, 'up.bin')
    await writeFile(src, randomBytes(200_000))
    const back = join(dir, 'down.bin')
    const r = await sftpBatch(port, [`put ${src} up.bin`, `get up.bin ${back}`])
    expect(r.code, r.stderr).toBe(0)
    expect(await sha(join(root, 'up.bin'))).toBe(await sha(src))
    expect(await sha(back)).toBe(await sha(src))
    const exec = await runCommand(SSH, [...(await clientOptions(port)), `${user}@127.0.0.1`, 'echo hi'], { allowFailure: true, timeoutMs: 20_000 })
    expect(exec.stdout).toBe('')
    expect(exec.code).not.toBe(0)
  })

  it('refuses an sftp put with --read-only but still serves a get', async () => {
    await writeFile(join(root, 'ro.txt'), 'read me\n')
    await using cli = serve('--authorized-keys', authorizedKeys, '--root', root, '--read-only')
    const port = await cli.listening()
    const r = await sftpBatch(port, [`get ro.txt ${join(dir, 'ro-back.txt')}`, `put ${authorizedKeys} written.txt`])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/[Pp]ermission denied/)
    expect(await readFile(join(dir, 'ro-back.txt'), 'utf8')).toBe('read me\n')
    await expect(stat(join(root, 'written.txt'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('runs ssh exec as the login user with --allow exec, and refuses ssh -W without forward', async () => {
    await using cli = serve('--authorized-keys', authorizedKeys, '--allow', 'exec')
    const port = await cli.listening()
    const r = await runCommand(SSH, [...(await clientOptions(port)), `${user}@127.0.0.1`, 'whoami; exit 3'], { allowFailure: true, timeoutMs: 20_000 })
    expect(r).toMatchObject({ stdout: `${user}\n`, code: 3 })
    await using echo = await startEchoServer()
    const w = await runCommand(SSH, [...(await clientOptions(port)), '-W', `127.0.0.1:${echo.port}`, `${user}@127.0.0.1`], { allowFailure: true, timeoutMs: 20_000, input: 'ping\n' })
    expect(w.stdout).toBe('')
    expect(w.stderr).toMatch(/open failed|administratively prohibited|stdio forwarding failed/)
  })

  it('relays ssh -W with --allow forward', async () => {
    await using cli = serve('--authorized-keys', authorizedKeys, '--allow', 'forward')
    const port = await cli.listening()
    await using echo = await startEchoServer()
    const w = await runCommand(SSH, [...(await clientOptions(port)), '-W', `127.0.0.1:${echo.port}`, `${user}@127.0.0.1`], { allowFailure: true, timeoutMs: 20_000, input: 'ping\n' })
    expect(w.stdout, w.stderr).toBe('ping\n')
  })

  it('forwards Unix-socket paths too with --allow forward: ssh -R /path:host:port, reached by socat as the login user', async () => {
    await using cli = serve('--authorized-keys', authorizedKeys, '--allow', 'forward,exec')
    const port = await cli.listening()
    await using echo = await startEchoServer()
    const u = await testUser()
    const sockets = await mkdtemp(join(tmpdir(), 'x-sshd-streamlocal-'))
    await chown(sockets, u.uid, u.gid)
    try {
      const path = join(sockets, 'r.sock')
      // The command may start before the listener is bound: it waits for the socket (5 s at most).
      const command = `for i in $(seq 50); do [ -S ${path} ] && break; sleep 0.1; done; printf via-R | socat -t 5 - UNIX-CONNECT:${path}; stat -c ' %U' ${path}`
      const r = await runCommand(SSH, [...(await clientOptions(port)), '-o', 'ExitOnForwardFailure=yes', '-R', `${path}:127.0.0.1:${echo.port}`, `${user}@127.0.0.1`, command], { allowFailure: true, timeoutMs: 20_000, input: '' })
      expect(r.stdout, r.stderr).toBe(`via-R ${u.name}\n`)
      await waitFor(() => !existsSync(path), { timeoutMs: 10_000, description: 'the socket removed at disconnect' })
    } finally {
      await rm(sockets, { recursive: true, force: true })
    }
  })

  it('logs in with a --password-file password through SSH_ASKPASS, logs JSON lines without it, and refuses a wrong one', async () => {
    const password = `pw-${randomBytes(6).toString('hex')}`
    const passwords = join(dir, 'passwords')
    await writeFile(passwords, `# x-sshd users\n${user}:${await hashPassword(password, { ln: 12 })}\n`, { mode: 0o600 })
    await using cli = serve('--password-file', passwords, '--allow', 'exec', '--log', 'json')
    const port = await cli.listening()
    const login = async (secret: string) => {
      const askpass = join(dir, `askpass-${secret}`)
      await writeFile(askpass, `#!/bin/sh\necho '${secret}'\n`)
      await chmod(askpass, 0o700)
      return runCommand(SSH, [...(await clientOptions(port, '-p', false)), '-o', 'BatchMode=no', '-o', 'PubkeyAuthentication=no', '-o', 'PreferredAuthentications=password',
        '-o', 'NumberOfPasswordPrompts=1', `${user}@127.0.0.1`, 'echo in'], { allowFailure: true, timeoutMs: 20_000, env: { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' } })
    }
    const ok = await login(password)
    expect(ok.stdout, ok.stderr).toBe('in\n')
    const bad = await login('wrong')
    expect(bad.code).toBe(255)
    expect(bad.stderr).toMatch(/Permission denied/)
    const events = cli.stderr().trim().split('\n').map((l) => JSON.parse(l) as { event: string; user?: string; method?: string; result?: string })
    expect(events).toContainEqual(expect.objectContaining({ event: 'login', user }))
    expect(events).toContainEqual(expect.objectContaining({ event: 'auth', method: 'password', result: 'failure' }))
    expect(cli.stderr()).not.toContain(password)
  })

  it('on SIGTERM lets a running session finish, then exits 0', async () => {
    await using cli = serve('--authorized-keys', authorizedKeys, '--allow', 'exec', '--drain-ms', '8000', '--log', 'json')
    const port = await cli.listening()
    const session = runCommand(SSH, [...(await clientOptions(port)), `${user}@127.0.0.1`, 'echo started; sleep 1; echo finished'], { allowFailure: true, timeoutMs: 20_000 })
    await waitFor(() => cli.stderr().includes('"event":"session"'), { timeoutMs: 10_000, description: 'the session to start' })
    cli.child.kill('SIGTERM')
    let timer: NodeJS.Timeout | undefined
    const end = await Promise.race([cli.exited, new Promise((resolve) => (timer = setTimeout(() => resolve('still running'), 15_000)))])
    clearTimeout(timer)
    expect(end).toEqual({ code: 0, signal: null })
    expect(await session).toMatchObject({ stdout: 'started\nfinished\n', code: 0 })
  })

  it('makes an ed25519 host key in --state-dir once and reuses it on the next start', async () => {
    const state = join(dir, 'state', 'x-sshd')
    const fingerprints: string[] = []
    for (let i = 0; i < 2; i++) {
      await using cli = spawnCli(['--listen', '127.0.0.1:0', '--state-dir', state, '--authorized-keys', authorizedKeys, '--allow', 'exec'])
      await cli.listening()
      fingerprints.push(/^host key (SHA256:[A-Za-z0-9+/]{43}) \(ed25519\)$/m.exec(cli.stdout())![1]!)
    }
    expect(fingerprints[1]).toBe(fingerprints[0])
    expect((await stat(state)).mode & 0o777).toBe(0o700)
    expect((await stat(join(state, 'host_ed25519'))).mode & 0o777).toBe(0o600)
    // OpenSSH reads the key file and agrees on the fingerprint.
    const r = await runCommand('/usr/bin/ssh-keygen', ['-lf', join(state, 'host_ed25519')], { timeoutMs: 10_000 })
    expect(r.stdout).toContain(` ${fingerprints[0]} `)
  })

  it('exits 2 with a one-line message for a bad command line, 1 for a startup failure, 0 for --help', async () => {
    for (const args of [['--allow', 'exec,telnet', '--authorized-keys', authorizedKeys], ['--root', root], ['--listen', 'nowhere', '--authorized-keys', authorizedKeys], ['--authorized-keys', authorizedKeys], ['--bogus']]) {
      const r = await runCli(args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr).toMatch(/^x-sshd: [^\n]+\n$/)
      expect(r.stdout).toBe('')
    }
    const missing = await runCli(['--listen', '127.0.0.1:0', '--host-key', host.privatePath, '--authorized-keys', join(dir, 'absent'), '--allow', 'exec'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/^x-sshd: [^\n]*absent[^\n]*\n$/)
    const noRoot = await runCli(['--listen', '127.0.0.1:0', '--host-key', host.privatePath, '--authorized-keys', authorizedKeys, '--root', join(dir, 'no-such-dir')])
    expect(noRoot.code).toBe(1)
    expect(noRoot.stderr).toMatch(/^x-sshd: [^\n]*no-such-dir[^\n]*\n$/)
    const unsafe = await mkdtemp(join(tmpdir(), 'x-sshd-unsafe-'))
    try {
      await writeFile(join(unsafe, 'authorized_keys'), authorizedKeysText(keys), { mode: 0o600 })
      const r = await runCli(['--listen', '127.0.0.1:0', '--host-key', host.privatePath, '--authorized-keys', join(unsafe, 'authorized_keys'), '--allow', 'exec'])
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/^x-sshd: StrictModes: [^\n]+\n$/)
    } finally {
      await rm(unsafe, { recursive: true, force: true })
    }
    const help = await runCli(['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^usage: x-sshd/)
  })

  it('prints a verifiable hash for a password read on stdin with hash-password', async () => {
    const r = await runCli(['hash-password'], 'open sesame\n')
    expect(r.code, r.stderr).toBe(0)
    const line = r.stdout.trim()
    expect(line).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$/)
    expect(await verifyPassword('open sesame', line)).toBe(true)
  })
})
