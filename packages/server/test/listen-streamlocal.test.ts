// Unix-socket forwarding (OpenSSH PROTOCOL §2.4) by listen() against the real OpenSSH client:
// ssh -L local.sock:/remote.sock, ssh -R /remote.sock:local.sock, ssh -O cancel through a
// ControlMaster, and the refusals sshd makes (AllowStreamLocalForwarding, no-port-forwarding,
// restrict). ssh -W takes only host:port in OpenSSH 9.2 (man ssh), so it has no path case here.
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, readdirSync } from 'node:fs'
import { chmod, chown, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createConnection, createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clientKeys, runCommand, testUser, waitFor } from '@x/testbed'
import type { TestUser } from '@x/testbed'
import { AuthorizedKeys } from '../src/index.js'
import type { ForwardingPolicy } from '../src/index.js'
import { startListenFixture } from './support/listen-server.js'
import type { ListenFixture } from './support/listen-server.js'

const SSH = '/usr/bin/ssh'
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

/** A Unix-socket echo server at `path`. */
async function unixEcho(path: string): Promise<Server> {
  const s = createServer({ allowHalfOpen: true }, (c) => c.on('error', () => c.destroy()).pipe(c))
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject)
    s.listen(path, () => resolve())
  })
  return s
}

/** Writes `data` to the Unix socket `path`, half-closes, and resolves with what came back before it closed. */
function exchange(path: string, data: Buffer, timeoutMs = 15_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const sock = createConnection(path, () => sock.end(data))
    const timer = setTimeout(() => {
      sock.destroy()
      reject(new Error(`no end from ${path} in ${timeoutMs} ms`))
    }, timeoutMs)
    sock.on('data', (d: Buffer) => chunks.push(d))
    sock.on('error', () => undefined)
    sock.on('close', () => {
      clearTimeout(timer)
      resolve(Buffer.concat(chunks))
    })
  })
}

/**
 * A long-running ssh; `stop()` sends SIGTERM, then SIGKILL if it is still there after 3 s, and
 * waits for it to exit. ssh 9.2 can lose a SIGTERM that comes just as it enters its client loop
 * (it probes each handler by setting SIG_IGN first): seen as a hang 1 run in 10 on a loaded host.
 */
function startSsh(f: ListenFixture, args: string[]): ChildProcess & { stop(): Promise<void>; err(): string } {
  const child = spawn(SSH, [...f.ssh, ...args, `${f.user}@127.0.0.1`], { stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return Object.assign(child, {
    err: () => err,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill()
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000)
      await exited
      clearTimeout(timer)
    },
  })
}

const fdCount = () => readdirSync('/proc/self/fd').length

async function userDir(u: TestUser, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  await chown(dir, u.uid, u.gid)
  return dir
}

describe('listen() Unix-socket forwarding with OpenSSH ssh -L and -R', () => {
  let f: ListenFixture
  let u: TestUser
  let remote: string
  let echo: Server
  let localEcho: Server
  beforeAll(async () => {
    u = await testUser()
    f = await startListenFixture({ forwarding: { streamLocal: { local: true, remote: true } } })
    // The login's own directory (0700): only the account (and root) can reach sockets in it.
    remote = await userDir(u, 'x-streamlocal-')
    echo = await unixEcho(join(remote, 'echo.sock'))
    await chown(join(remote, 'echo.sock'), u.uid, u.gid)
    localEcho = await unixEcho(join(f.dir, 'client-echo.sock'))
  })
  afterAll(async () => {
    echo?.close()
    localEcho?.close()
    await f?.close()
    await rm(remote, { recursive: true, force: true })
  })

  it('relays ssh -L local.sock:/remote.sock to a Unix-socket server, 2 MiB byte-exact', async () => {
    const local = join(f.dir, 'l.sock')
    const target = join(remote, 'echo.sock')
    const ssh = startSsh(f, ['-N', '-o', 'ExitOnForwardFailure=yes', '-L', `${local}:${target}`])
    try {
      await waitFor(() => existsSync(local), { timeoutMs: 10_000, description: 'ssh -L socket' })
      const data = randomBytes(2 * 1024 * 1024)
      const back = await exchange(local, data)
      expect(back.length).toBe(data.length)
      expect(sha(back)).toBe(sha(data))
      expect(f.log).toContainEqual(expect.objectContaining({ event: 'forward', kind: 'local-streamlocal', path: target }))
    } finally {
      await ssh.stop()
    }
  })

  it('connects as the login account: a socket only root could reach is refused with EACCES', async () => {
    const rootOnly = await mkdtemp(join(tmpdir(), 'x-streamlocal-root-'))
    await chmod(rootOnly, 0o700)
    const target = join(rootOnly, 'echo.sock')
    const rootEcho = await unixEcho(target)
    const local = join(f.dir, 'denied.sock')
    const ssh = startSsh(f, ['-N', '-L', `${local}:${target}`])
    try {
      await waitFor(() => existsSync(local), { timeoutMs: 10_000, description: 'ssh -L socket' })
      expect((await exchange(local, Buffer.from('hello'))).length).toBe(0)
      expect(f.log).toContainEqual({ event: 'refused', id: expect.any(Number), what: 'direct-streamlocal', detail: `${target} (EACCES)` })
    } finally {
      await ssh.stop()
      rootEcho.close()
      await rm(rootOnly, { recursive: true, force: true })
    }
  })

  it('listens for ssh -R /remote.sock:local.sock as the login account, mode 0600, and removes it when ssh goes away', async () => {
    const path = join(remote, 'r.sock')
    const before = fdCount()
    const ssh = startSsh(f, ['-N', '-o', 'ExitOnForwardFailure=yes', '-R', `${path}:${join(f.dir, 'client-echo.sock')}`])
    try {
      await waitFor(() => existsSync(path), { timeoutMs: 10_000, description: 'the -R socket' })
      const st = await stat(path)
      expect({ socket: st.isSocket(), uid: st.uid, gid: st.gid, mode: st.mode & 0o777 }).toEqual({ socket: true, uid: u.uid, gid: u.gid, mode: 0o600 })
      // A real client, as the login account, through its own session.
      const r = await runCommand(SSH, [...f.ssh, `${f.user}@127.0.0.1`, `printf 'via -R' | socat -t 5 - UNIX-CONNECT:${path}`], { allowFailure: true, timeoutMs: 20_000, input: '' })
      expect(r, r.stderr).toMatchObject({ stdout: 'via -R', code: 0 })
      // The path is taken (StreamLocalBindUnlink no): a second listener is refused on the wire.
      const second = await runCommand(SSH, [...f.ssh, '-N', '-o', 'ExitOnForwardFailure=yes', '-R', `${path}:${join(f.dir, 'client-echo.sock')}`, `${f.user}@127.0.0.1`], { allowFailure: true, timeoutMs: 20_000 })
      expect(second.code).toBe(255)
      expect(second.stderr).toMatch(/remote port forwarding failed for listen path/)
      expect(f.log).toContainEqual({ event: 'refused', id: expect.any(Number), what: 'streamlocal-forward', detail: `${path} (EADDRINUSE)` })
    } finally {
      await ssh.stop()
    }
    await waitFor(() => !existsSync(path), { timeoutMs: 10_000, description: 'the socket file removed at disconnect' })
    await waitFor(() => f.server.connections.size === 0, { timeoutMs: 10_000, description: 'connections ended' })
    await waitFor(() => fdCount() <= before, { timeoutMs: 10_000, description: `fds back to ${before} (now ${fdCount()})` })
  })

  it('removes the socket on ssh -O cancel through a ControlMaster, and the connection goes on', async () => {
    const path = join(remote, 'c.sock')
    const ctl = join(f.dir, 'ctl')
    const master = startSsh(f, ['-N', '-M', '-S', ctl, '-o', 'ControlPersist=no'])
    const mux = (op: string) => runCommand(SSH, [...f.ssh, '-S', ctl, '-O', op, '-R', `${path}:${join(f.dir, 'client-echo.sock')}`, `${f.user}@127.0.0.1`], { allowFailure: true, timeoutMs: 20_000 })
    try {
      await waitFor(() => existsSync(ctl), { timeoutMs: 10_000, description: 'the control socket' })
      const fwd = await mux('forward')
      expect(fwd.code, fwd.stderr).toBe(0)
      await waitFor(() => existsSync(path), { timeoutMs: 10_000, description: 'the -R socket' })
      const cancel = await mux('cancel')
      expect(cancel.code, cancel.stderr).toBe(0)
      await waitFor(() => !existsSync(path), { timeoutMs: 10_000, description: 'the socket file removed by the cancel' })
      expect(master.exitCode).toBeNull()
      const again = await mux('forward')
      expect(again.code, again.stderr).toBe(0)
      await waitFor(() => existsSync(path), { timeoutMs: 10_000, description: 'the -R socket again' })
    } finally {
      await master.stop()
    }
    await waitFor(() => !existsSync(path), { timeoutMs: 10_000, description: 'the socket file removed at disconnect' })
  })

  it('refuses a relative path', async () => {
    const r = await runCommand(SSH, [...f.ssh, '-N', '-o', 'ExitOnForwardFailure=yes', '-R', `sub/rel.sock:${join(f.dir, 'client-echo.sock')}`, `${f.user}@127.0.0.1`], { allowFailure: true, timeoutMs: 20_000 })
    expect(r.code).toBe(255)
    expect(r.stderr).toMatch(/remote port forwarding failed for listen path sub\/rel\.sock/)
    expect(f.log).toContainEqual({ event: 'refused', id: expect.any(Number), what: 'streamlocal-forward', detail: 'sub/rel.sock (relative path)' })
  })
})

describe('listen() Unix-socket forwarding refusals and settings', () => {
  let u: TestUser
  let keyBody: string
  let dir: string
  beforeAll(async () => {
    u = await testUser()
    keyBody = (await clientKeys()).ed25519.publicLine.split(' ').slice(0, 2).join(' ')
    dir = await userDir(u, 'x-streamlocal-refusals-')
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  /**
   * Runs `ssh -R path:…` (ExitOnForwardFailure: a refusal makes it exit 255) until it is refused
   * or listening, then `ssh -L local.sock:target` and a client of it, against a server made with
   * `options`.
   */
  async function tryBoth(options: { line?: string; forwarding?: ForwardingPolicy }, name: string): Promise<{ remote: 'refused' | 'listening'; local: Buffer; f: ListenFixture }> {
    const f = await startListenFixture({
      ...(options.line === undefined ? {} : { auth: { authorizedKeys: AuthorizedKeys.parse(`${options.line} ${keyBody}\n`) } }),
      forwarding: options.forwarding,
    })
    const path = join(dir, `${name}.sock`)
    const local = join(f.dir, 'l.sock')
    const echo = await unixEcho(join(f.dir, 'echo.sock'))
    const target = join(dir, `${name}-target.sock`)
    const targetEcho = await unixEcho(target)
    await chown(target, u.uid, u.gid)
    try {
      const r = startSsh(f, ['-N', '-o', 'ExitOnForwardFailure=yes', '-R', `${path}:${join(f.dir, 'echo.sock')}`])
      let remote: 'refused' | 'listening'
      try {
        remote = await waitFor(() => (r.exitCode !== null ? 'refused' : f.log.some((e) => e.event === 'forward' && e.kind === 'remote-streamlocal') ? 'listening' : undefined), { timeoutMs: 15_000, description: 'ssh -R refused or listening' })
        if (remote === 'refused') {
          expect(r.exitCode).toBe(255)
          expect(r.err()).toMatch(/remote port forwarding failed for listen path/)
        } else expect((await stat(path)).isSocket()).toBe(true)
      } finally {
        await r.stop()
      }
      const ssh = startSsh(f, ['-N', '-L', `${local}:${target}`])
      try {
        await waitFor(() => existsSync(local), { timeoutMs: 10_000, description: 'ssh -L socket' })
        return { remote, local: await exchange(local, Buffer.from('ping')), f }
      } finally {
        await ssh.stop()
      }
    } finally {
      echo.close()
      targetEcho.close()
      await f.close()
    }
  }

  it('refuses both directions by default (AllowStreamLocalForwarding unset), on the wire', async () => {
    const r = await tryBoth({}, 'default')
    expect(r.remote).toBe('refused')
    expect(r.local.length).toBe(0)
    expect(existsSync(join(dir, 'default.sock'))).toBe(false)
    expect(r.f.log.filter((e) => e.event === 'refused').map((e) => e.event === 'refused' && e.what)).toEqual(['streamlocal-forward', 'direct-streamlocal'])
  })

  it('allows only the direction the policy names (local / remote)', async () => {
    const onlyLocal = await tryBoth({ forwarding: { streamLocal: { local: true } } }, 'only-local')
    expect(onlyLocal.remote).toBe('refused')
    expect(onlyLocal.local.toString()).toBe('ping')
    const onlyRemote = await tryBoth({ forwarding: { streamLocal: { remote: (_login, path) => path.endsWith('only-remote.sock') } } }, 'only-remote')
    expect(onlyRemote.remote).toBe('listening')
    expect(onlyRemote.local.length).toBe(0)
  })

  it('refuses with authorized_keys no-port-forwarding and restrict; restrict,port-forwarding re-enables', async () => {
    const policy = { streamLocal: { local: true, remote: true } }
    for (const line of ['no-port-forwarding', 'restrict']) {
      const r = await tryBoth({ line, forwarding: policy }, line)
      expect(r.remote, line).toBe('refused')
      expect(r.local.length, line).toBe(0)
      expect(r.f.log.filter((e) => e.event === 'refused').map((e) => e.event === 'refused' && e.detail)).toEqual([`${join(dir, `${line}.sock`)} (authorized_keys)`, `${join(dir, `${line}-target.sock`)} (authorized_keys)`])
    }
    const ok = await tryBoth({ line: 'restrict,port-forwarding', forwarding: policy }, 'restrict-pf')
    expect(ok).toMatchObject({ remote: 'listening', local: Buffer.from('ping') })
  })

  it('does not apply permitopen= or permitlisten= to paths', async () => {
    const r = await tryBoth({ line: 'permitopen="127.0.0.1:1",permitlisten="localhost:1"', forwarding: { streamLocal: { local: true, remote: true } } }, 'permits')
    expect(r).toMatchObject({ remote: 'listening', local: Buffer.from('ping') })
    expect(r.f.log).toContainEqual(expect.objectContaining({ event: 'forward', kind: 'remote-streamlocal', path: join(dir, 'permits.sock') }))
  })

  it('binds with bindMask and, with bindUnlink, replaces a stale socket but never a plain file; as this process with runAs self', async () => {
    const path = join(dir, 'stale.sock')
    const plain = join(dir, 'plain.sock')
    // A socket file nobody serves, as a crashed listener leaves it; and a regular file.
    await runCommand('/usr/bin/python3', ['-c', 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', path], { timeoutMs: 10_000 })
    await writeFile(plain, 'keep me\n')
    const f = await startListenFixture({ runAs: 'self', forwarding: { streamLocal: { remote: true, bindMask: 0o117, bindUnlink: true } } })
    const echo = await unixEcho(join(f.dir, 'echo.sock'))
    const ssh = startSsh(f, ['-N', '-o', 'ExitOnForwardFailure=yes', '-R', `${path}:${join(f.dir, 'echo.sock')}`])
    try {
      await waitFor(() => f.log.some((e) => e.event === 'forward' && e.kind === 'remote-streamlocal'), { timeoutMs: 10_000, description: 'the -R listener' })
      const st = await stat(path)
      expect({ socket: st.isSocket(), uid: st.uid, mode: st.mode & 0o777 }).toEqual({ socket: true, uid: process.getuid!(), mode: 0o660 })
      expect((await exchange(path, Buffer.from('replaced'))).toString()).toBe('replaced')
      const r = await runCommand(SSH, [...f.ssh, '-N', '-o', 'ExitOnForwardFailure=yes', '-R', `${plain}:${join(f.dir, 'echo.sock')}`, `${f.user}@127.0.0.1`], { allowFailure: true, timeoutMs: 20_000 })
      expect(r.code).toBe(255)
      expect(await readFile(plain, 'utf8')).toBe('keep me\n')
    } finally {
      await ssh.stop()
      echo.close()
      await f.close()
    }
    await waitFor(() => !existsSync(path), { timeoutMs: 10_000, description: 'the socket file removed at disconnect' })
  })
})
