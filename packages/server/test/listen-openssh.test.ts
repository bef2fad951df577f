// listen() against the real OpenSSH client: sessions from real processes, SFTP, forwarding and the
// server's own limits, each as ssh shows it.
import { createHash, randomBytes } from 'node:crypto'
import { readFile, writeFile, mkdir, mkdtemp, chown, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { createConnection } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { freePort, runCommand, startEchoServer, startSshAgent, testUser, waitFor } from '@x/testbed'
import type { TcpServerHandle } from '@x/testbed'
import { fsSftp } from '../src/index.js'
import { startListenFixture } from './support/listen-server.js'
import type { ListenFixture } from './support/listen-server.js'

const SSH = '/usr/bin/ssh'
const SFTP = '/usr/bin/sftp'
const sha = async (p: string) => createHash('sha256').update(await readFile(p)).digest('hex')

describe('listen() with OpenSSH ssh and sftp', () => {
  let f: ListenFixture
  let echo: TcpServerHandle
  let root: string
  beforeAll(async () => {
    echo = await startEchoServer()
    const u = await testUser()
    f = await startListenFixture({ forwarding: { local: (_l, host) => host === '127.0.0.1', remote: true } })
    root = join(f.dir, 'root')
    await mkdir(root)
    await chown(root, u.uid, u.gid)
    // SFTP needs a root known only once the fixture exists: restart with it.
    await f.server.destroy()
    f = await startListenFixture({ sftp: fsSftp({ root }), forwarding: { local: (_l, host) => host === '127.0.0.1', remote: true } })
  })
  afterAll(async () => {
    await f?.close()
    await echo?.close()
  })
  const ssh = (args: string[], input?: string) =>
    runCommand(SSH, [...f.ssh, `${f.user}@127.0.0.1`, ...args], { allowFailure: true, timeoutMs: 20_000, ...(input === undefined ? {} : { input }) })

  it('runs exec through the user shell: stdout, stderr and exit code apart', async () => {
    const r = await ssh(['echo out; echo err >&2; whoami; exit 7'])
    expect(r).toMatchObject({ stdout: `out\n${f.user}\n`, stderr: 'err\n', code: 7 })
    expect(f.log.some((e) => e.event === 'login' && e.user === f.user)).toBe(true)
  })

  it('gives -tt a real terminal', async () => {
    const r = await ssh(['-tt', 'tty; stty size'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^\/dev\/pts\/\d+\r\n\d+ \d+\r\n$/)
  })

  it('serves sftp -b put and get byte-exact', async () => {
    const src = join(f.dir, 'up.bin')
    await writeFile(src, randomBytes(300_000))
    const back = join(f.dir, 'down.bin')
    const batch = join(f.dir, 'batch')
    await writeFile(batch, `put ${src} up.bin\nget up.bin ${back}\nls -l\n`)
    const r = await runCommand(SFTP, [...f.ssh.filter((a) => a !== '-p').map((a) => (a === String(f.port) ? '' : a)).filter(Boolean), '-P', String(f.port), '-b', batch, `${f.user}@127.0.0.1`], { allowFailure: true, timeoutMs: 20_000 })
    expect(r.code, r.stderr).toBe(0)
    expect(await sha(join(root, 'up.bin'))).toBe(await sha(src))
    expect(await sha(back)).toBe(await sha(src))
  })

  it('relays ssh -W to an allowed target and refuses one the policy does not allow', async () => {
    const ok = await ssh(['-W', `127.0.0.1:${echo.port}`], 'ping\n')
    expect(ok.stdout).toBe('ping\n')
    const no = await ssh(['-W', `localhost:${echo.port}`], 'ping\n')
    expect(no.stdout).toBe('')
    expect(no.stderr).toMatch(/open failed|administratively prohibited|stdio forwarding failed/)
  })

  it('binds ssh -R 0 on the loopback and forwards its connections back', async () => {
    const child = (await import('node:child_process')).spawn(SSH, ['-o', 'LogLevel=INFO', ...f.ssh, '-N', '-o', 'ExitOnForwardFailure=yes', '-R', `0:127.0.0.1:${echo.port}`, `${f.user}@127.0.0.1`], { stdio: ['ignore', 'ignore', 'pipe'] })
    try {
      let err = ''
      child.stderr.on('data', (d: Buffer) => (err += d.toString()))
      await waitFor(() => /Allocated port \d+/.test(err), { timeoutMs: 10_000 })
      const port = Number(/Allocated port (\d+)/.exec(err)![1])
      const reply = await new Promise<string>((resolve, reject) => {
        const s = createConnection({ host: '127.0.0.1', port }, () => s.write('over -R\n'))
        let got = ''
        s.on('data', (d) => {
          got += d.toString()
          if (got.endsWith('\n')) { s.destroy(); resolve(got) }
        })
        s.on('error', reject)
      })
      expect(reply).toBe('over -R\n')
    } finally {
      child.kill()
    }
  })
})

describe('listen() refusals by default and by authorized_keys', () => {
  let f: ListenFixture
  afterAll(async () => {
    await f?.close()
  })

  it('refuses forwarding, sftp and shell it was not given', async () => {
    f = await startListenFixture({ shell: undefined })
    const ssh = (args: string[], input?: string) => runCommand(SSH, [...f.ssh, `${f.user}@127.0.0.1`, ...args], { allowFailure: true, timeoutMs: 20_000, ...(input === undefined ? {} : { input }) })
    const w = await ssh(['-W', '127.0.0.1:22'], '')
    expect(w.stderr).toMatch(/administratively prohibited|open failed|stdio forwarding failed/)
    const s = await ssh(['-s', 'sftp'], '')
    expect(s.code).not.toBe(0)
    const sh = await ssh(['-tt'], 'exit\n')
    expect(sh.code).not.toBe(0)
    expect(f.log.filter((e) => e.event === 'refused').map((e) => e.event === 'refused' && e.what)).toEqual(expect.arrayContaining(['direct-tcpip', 'subsystem', 'shell']))
  })
})


describe('listen() forwarding with OpenSSH ssh -A, -L and -D', () => {
  let f: ListenFixture
  let echo: TcpServerHandle
  let http: Server
  let httpPort = 0
  beforeAll(async () => {
    echo = await startEchoServer()
    http = createServer((_req, res) => res.end('through socks\n'))
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()))
    httpPort = (http.address() as AddressInfo).port
    f = await startListenFixture({ forwarding: { local: true, agent: true } })
  })
  afterAll(async () => {
    await f?.close()
    await echo?.close()
    await new Promise((resolve) => http?.close(resolve))
  })

  it('gives an ssh -A session an SSH_AUTH_SOCK that lists the client agent identities', async () => {
    await using agent = await startSshAgent()
    const env = { SSH_AUTH_SOCK: agent.socketPath }
    await runCommand('/usr/bin/ssh-add', [f.keys.ecdsa.privatePath], { env, timeoutMs: 10_000 })
    const r = await runCommand(SSH, ['-A', ...f.ssh, `${f.user}@127.0.0.1`, 'ssh-add -l; echo "sock=$SSH_AUTH_SOCK"; stat -c %U:%a "$SSH_AUTH_SOCK"'], { env, allowFailure: true, timeoutMs: 20_000, input: '' })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain(f.keys.ecdsa.fingerprint)
    expect(r.stdout).toMatch(new RegExp(`sock=/tmp/ssh-[^/]+/agent\\.\\d+\\n${f.user}:600\\n$`))
    // Without -A there is no socket, and the socket is gone after the session.
    const none = await runCommand(SSH, [...f.ssh, `${f.user}@127.0.0.1`, 'echo "[${SSH_AUTH_SOCK-unset}]"'], { env, allowFailure: true, timeoutMs: 20_000, input: '' })
    expect(none.stdout).toBe('[unset]\n')
    const path = /sock=(\S+)/.exec(r.stdout)![1]!
    expect(existsSync(path)).toBe(false)
  })

  it('relays ssh -L and a -D SOCKS proxy that curl --socks5-hostname uses', async () => {
    const lport = await freePort()
    const l = spawn(SSH, [...f.ssh, '-N', '-o', 'ExitOnForwardFailure=yes', '-L', `${lport}:127.0.0.1:${echo.port}`, `${f.user}@127.0.0.1`], { stdio: 'ignore' })
    const dport = await freePort()
    const d = spawn(SSH, [...f.ssh, '-N', '-o', 'ExitOnForwardFailure=yes', '-D', `127.0.0.1:${dport}`, `${f.user}@127.0.0.1`], { stdio: 'ignore' })
    try {
      const reply = await waitFor(() => new Promise<string>((resolve, reject) => {
        const s = createConnection({ host: '127.0.0.1', port: lport }, () => s.write('via -L\n'))
        s.once('data', (b) => { s.destroy(); resolve(b.toString()) })
        s.once('error', reject)
      }), { timeoutMs: 10_000 })
      expect(reply).toBe('via -L\n')
      const curl = await waitFor(async () => {
        const r = await runCommand('/usr/bin/curl', ['-sS', '--max-time', '5', '--socks5-hostname', `127.0.0.1:${dport}`, `http://localhost:${httpPort}/`], { allowFailure: true, timeoutMs: 10_000 })
        if (r.code !== 0) throw new Error(r.stderr)
        return r.stdout
      }, { timeoutMs: 10_000 })
      expect(curl).toBe('through socks\n')
      expect(f.log.some((e) => e.event === 'forward' && e.kind === 'local' && e.host === 'localhost' && e.port === httpPort)).toBe(true)
    } finally {
      l.kill()
      d.kill()
    }
  })
})

describe('listen() with scp (SFTP mode and -O) and rsync -e ssh', () => {
  let f: ListenFixture
  let root: string
  let home: string
  beforeAll(async () => {
    const u = await testUser()
    home = u.home
    root = await mkdtempRoot(u.uid, u.gid)
    f = await startListenFixture({ sftp: fsSftp({ root }) })
  })
  afterAll(async () => {
    await f?.close()
    await rm(root, { recursive: true, force: true })
  })
  const scpArgs = () => [...f.ssh.slice(0, -2), '-P', String(f.port)]

  it('copies both ways with scp over SFTP, ~ and relative paths under the root', async () => {
    const src = join(f.dir, 'scp.bin')
    await writeFile(src, randomBytes(700_000))
    const up = await runCommand('/usr/bin/scp', [...scpArgs(), src, `${f.user}@127.0.0.1:~/scp-up.bin`], { allowFailure: true, timeoutMs: 20_000 })
    expect(up.code, up.stderr).toBe(0)
    expect(await sha(join(root, 'scp-up.bin'))).toBe(await sha(src))
    const down = join(f.dir, 'scp-down.bin')
    const r = await runCommand('/usr/bin/scp', [...scpArgs(), `${f.user}@127.0.0.1:scp-up.bin`, down], { allowFailure: true, timeoutMs: 20_000 })
    expect(r.code, r.stderr).toBe(0)
    expect(await sha(down)).toBe(await sha(src))
  })

  it('copies both ways with scp -O (scp -t / -f run as commands in the user home)', async () => {
    const src = join(f.dir, 'legacy.bin')
    await writeFile(src, randomBytes(500_000))
    const name = `legacy-${process.pid}.bin`
    const up = await runCommand('/usr/bin/scp', ['-O', ...scpArgs(), src, `${f.user}@127.0.0.1:${name}`], { allowFailure: true, timeoutMs: 20_000 })
    expect(up.code, up.stderr).toBe(0)
    try {
      expect(await sha(join(home, name))).toBe(await sha(src))
      const down = join(f.dir, 'legacy-down.bin')
      const r = await runCommand('/usr/bin/scp', ['-O', ...scpArgs(), `${f.user}@127.0.0.1:${name}`, down], { allowFailure: true, timeoutMs: 20_000 })
      expect(r.code, r.stderr).toBe(0)
      expect(await sha(down)).toBe(await sha(src))
    } finally {
      await rm(join(home, name), { force: true })
    }
  })

  it('syncs a tree both ways with rsync -e ssh, byte-exact', async () => {
    const tree = join(f.dir, 'tree')
    await mkdir(join(tree, 'sub'), { recursive: true })
    await writeFile(join(tree, 'a.bin'), randomBytes(200_000))
    await writeFile(join(tree, 'sub', 'b.txt'), 'bee\n')
    const remote = `rsync-${process.pid}`
    const e = ['/usr/bin/ssh', ...f.ssh].join(' ')
    try {
      const up = await runCommand('/usr/bin/rsync', ['-a', '-e', e, `${tree}/`, `${f.user}@127.0.0.1:${remote}/`], { allowFailure: true, timeoutMs: 30_000 })
      expect(up.code, up.stderr).toBe(0)
      expect(await sha(join(home, remote, 'a.bin'))).toBe(await sha(join(tree, 'a.bin')))
      const back = join(f.dir, 'back')
      const down = await runCommand('/usr/bin/rsync', ['-a', '-e', e, `${f.user}@127.0.0.1:${remote}/`, `${back}/`], { allowFailure: true, timeoutMs: 30_000 })
      expect(down.code, down.stderr).toBe(0)
      expect(await readFile(join(back, 'sub', 'b.txt'), 'utf8')).toBe('bee\n')
      expect(await sha(join(back, 'a.bin'))).toBe(await sha(join(tree, 'a.bin')))
    } finally {
      await rm(join(home, remote), { recursive: true, force: true })
    }
  })

  it('ends an sftp session fed garbage or a 4 GiB length, and goes on serving', async () => {
    const garbage = await runCommand('/usr/bin/ssh', [...f.ssh, '-s', `${f.user}@127.0.0.1`, 'sftp'], { allowFailure: true, timeoutMs: 20_000, input: Buffer.from('this is not sftp at all\n'.repeat(100)) })
    expect(garbage.code).not.toBeNull()
    const huge = Buffer.alloc(64)
    huge.writeUInt32BE(0xffffffff, 0)
    const big = await runCommand('/usr/bin/ssh', [...f.ssh, '-s', `${f.user}@127.0.0.1`, 'sftp'], { allowFailure: true, timeoutMs: 20_000, input: huge })
    expect(big.code).not.toBeNull()
    expect(big.stdout).toBe('')
    expect(f.log.filter((e) => e.event === 'session' && e.kind === 'subsystem').length).toBeGreaterThanOrEqual(2)
    const batch = join(f.dir, 'after')
    await writeFile(batch, 'ls\n')
    const ok = await runCommand('/usr/bin/sftp', [...scpArgs(), '-b', batch, `${f.user}@127.0.0.1`], { allowFailure: true, timeoutMs: 20_000 })
    expect(ok.code, ok.stderr).toBe(0)
  })
})

async function mkdtempRoot(uid: number, gid: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'x-listen-root-'))
  await chown(dir, uid, gid)
  return dir
}
