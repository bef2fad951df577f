// The router's relay with the real OpenSSH client in front and real sshd hosts behind: what a
// client does through the router is what it would see on the host.
import { createHash, randomBytes } from 'node:crypto'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, readFile, writeFile, rm } from 'node:fs/promises'
import { createServer as createHttpServer, type Server } from 'node:http'
import { createConnection, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import nodePty from 'node-pty'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Connection, loadPrivateKey } from '@x/connection'
import { freePort, runCommand, startEchoServer, startSshAgent, waitFor } from '@x/testbed'
import type { TcpServerHandle } from '@x/testbed'
import { startPool, startRouter, useRouterSite, type Pool, type RouterFixture } from './support/router-site.js'

const SSH = '/usr/bin/ssh'
const SFTP = '/usr/bin/sftp'
const sha = async (p: string) => createHash('sha256').update(await readFile(p)).digest('hex')

describe('Router relay (OpenSSH ssh → router → sshd)', () => {
  const site = useRouterSite()
  const ssh = (args: string[], input?: string) =>
    runCommand(SSH, [...site.r.ssh, `${site.pool.user}@127.0.0.1`, ...args], { allowFailure: true, timeoutMs: 30_000, ...(input === undefined ? {} : { input }) })

  it('runs a command on the host: stdout, stderr and the exit code apart', async () => {
    const res = await ssh(['echo "$X_HOST"; echo err >&2; exit 7'])
    expect(res).toMatchObject({ stdout: 'h1\n', stderr: 'err\n', code: 7 })
    expect(site.r.log.some((e) => e.event === 'route' && e.host === site.pool.hosts[0]!.text)).toBe(true)
  })

  it('relays exit codes 0–255 and a killed command\'s signal', async () => {
    for (const code of [0, 1, 42, 255]) expect((await ssh([`exit ${code}`])).code).toBe(code)
    const killed = await ssh(['kill -KILL $$'])
    // ssh exits 255 when the remote command died of a signal.
    expect(killed.code).toBe(255)
    expect(killed.stderr).toBe('')
  })

  it('passes stdin with its EOF', async () => {
    const data = randomBytes(1_000_000).toString('base64')
    const res = await ssh(['wc -c'], data)
    expect(res.stdout.trim()).toBe(String(data.length))
  })

  it('gives -tt a terminal on the host, with its size', async () => {
    const res = await ssh(['-tt', '-o', 'SetEnv=TERM=xterm', 'tty; stty size'])
    expect(res.code, res.stderr).toBe(0)
    expect(res.stdout).toMatch(/^\/dev\/pts\/\d+\r\n\d+ \d+\r\n$/)
  })

  it('runs a shell without a terminal for ssh -T', async () => {
    const res = await ssh(['-T'], 'tty; echo "$X_HOST"\n')
    // The host's motd comes first, as it does for ssh -T straight to the host.
    expect(res.stdout).toMatch(/(^|\n)not a tty\nh1\n$/)
  })

  it('serves sftp -b put and get of 64 MiB byte-exact through the host\'s sftp-server', async () => {
    const src = join(site.pool.dir, 'up.bin')
    await writeFile(src, randomBytes(64 * 1024 * 1024))
    const back = join(site.pool.dir, 'down.bin')
    const batch = join(site.pool.dir, 'batch')
    const remote = `/tmp/x-router-up-${process.pid}.bin`
    await writeFile(batch, `put ${src} ${remote}\nget ${remote} ${back}\nrm ${remote}\n`)
    const res = await runCommand(SFTP, [...site.r.scp, '-b', batch, `${site.pool.user}@127.0.0.1`], { allowFailure: true, timeoutMs: 90_000 })
    expect(res.code, res.stderr).toBe(0)
    expect(await sha(back)).toBe(await sha(src))
    await rm(back, { force: true })
    await rm(src, { force: true })
  })

  it('relays ssh -W to a service the host reaches', async () => {
    const res = await ssh(['-W', `127.0.0.1:${site.echo.port}`], 'ping\n')
    expect(res.stdout).toBe('ping\n')
  })
})

describe('Router relay: forwarding, scp, rsync, a resized terminal, signals', () => {
  const site = useRouterSite()
  const target = () => `${site.pool.user}@127.0.0.1`

  it('relays ssh -L to a service the host reaches', async () => {
    const local = await freePort()
    const child = spawn(SSH, [...site.r.ssh, '-N', '-o', 'ExitOnForwardFailure=yes', '-L', `${local}:127.0.0.1:${site.echo.port}`, target()], { stdio: 'ignore' })
    try {
      const reply = await retryEcho(local, 'over -L\n')
      expect(reply).toBe('over -L\n')
    } finally {
      await stopChild(child)
    }
  })

  it('relays ssh -R: the host listens, its connections come back to the client', async () => {
    const child = spawn(SSH, ['-o', 'LogLevel=INFO', ...site.r.ssh, '-N', '-o', 'ExitOnForwardFailure=yes', '-R', `0:127.0.0.1:${site.echo.port}`, target()], { stdio: ['ignore', 'ignore', 'pipe'] })
    try {
      let err = ''
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
      await waitFor(() => /Allocated port \d+/.test(err), { timeoutMs: 15_000 })
      const port = Number(/Allocated port (\d+)/.exec(err)![1])
      // The port is the host's: here every host is this machine, so its loopback reaches it.
      expect(await retryEcho(port, 'over -R\n')).toBe('over -R\n')
    } finally {
      await stopChild(child)
    }
  })

  it('copies both ways with scp (SFTP mode and -O)', async () => {
    const src = join(site.pool.dir, 'scp.bin')
    await writeFile(src, randomBytes(2_000_000))
    for (const mode of [[], ['-O']]) {
      const remote = `/tmp/x-router-scp-${process.pid}-${mode.length}.bin`
      const down = join(site.pool.dir, `scp-down-${mode.length}.bin`)
      try {
        const up = await runCommand('/usr/bin/scp', [...mode, ...site.r.scp, src, `${target()}:${remote}`], { allowFailure: true, timeoutMs: 30_000 })
        expect(up.code, up.stderr).toBe(0)
        expect(await sha(remote)).toBe(await sha(src))
        const back = await runCommand('/usr/bin/scp', [...mode, ...site.r.scp, `${target()}:${remote}`, down], { allowFailure: true, timeoutMs: 30_000 })
        expect(back.code, back.stderr).toBe(0)
        expect(await sha(down)).toBe(await sha(src))
      } finally {
        await rm(remote, { force: true })
      }
    }
  })

  it('syncs a tree both ways with rsync -e ssh', async () => {
    const tree = join(site.pool.dir, 'tree')
    await mkdir(join(tree, 'sub'), { recursive: true })
    await writeFile(join(tree, 'a.bin'), randomBytes(500_000))
    await writeFile(join(tree, 'sub', 'b.txt'), 'bee\n')
    const remote = `/tmp/x-router-rsync-${process.pid}`
    const e = [SSH, ...site.r.ssh].join(' ')
    try {
      const up = await runCommand('/usr/bin/rsync', ['-a', '-e', e, `${tree}/`, `${target()}:${remote}/`], { allowFailure: true, timeoutMs: 30_000 })
      expect(up.code, up.stderr).toBe(0)
      expect(await sha(join(remote, 'a.bin'))).toBe(await sha(join(tree, 'a.bin')))
      const back = join(site.pool.dir, 'back')
      const down = await runCommand('/usr/bin/rsync', ['-a', '-e', e, `${target()}:${remote}/`, `${back}/`], { allowFailure: true, timeoutMs: 30_000 })
      expect(down.code, down.stderr).toBe(0)
      expect(await readFile(join(back, 'sub', 'b.txt'), 'utf8')).toBe('bee\n')
    } finally {
      await rm(remote, { recursive: true, force: true })
    }
  })

  it('follows a resize of the client terminal (ssh -tt on a pty, stty size on the host)', async () => {
    const term = nodePty.spawn(SSH, ['-tt', ...site.r.ssh, target()], { name: 'xterm', cols: 91, rows: 27, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } })
    let output = ''
    term.onData((d) => (output += d))
    const exited = new Promise<number>((resolve) => term.onExit((e) => resolve(e.exitCode)))
    try {
      term.write('stty size; echo "M1=$X_HOST"\r')
      await waitFor(() => /27 91\r\nM1=h1/.test(output), { timeoutMs: 15_000 })
      term.resize(132, 43)
      await new Promise((res) => setTimeout(res, 300))
      term.write('stty size; echo M2\r')
      await waitFor(() => /43 132\r\nM2/.test(output), { timeoutMs: 15_000 })
      term.write('exit 5\r')
      expect(await exited).toBe(5)
    } finally {
      term.kill()
    }
  })

  it('relays a signal the client sends, and the exit signal back', async () => {
    const identity = await loadPrivateKey(site.pool.keys.ed25519.privatePath)
    await using c = new Connection('127.0.0.1', {
      port: site.r.port, user: site.pool.user, config: false,
      auth: { privateKeys: [identity], agent: false, lookForKeys: false },
      hostKeys: { knownHostsFiles: [site.r.knownHostsFile], policy: 'strict' },
    })
    const ch = await c.exec('echo ready; sleep 30')
    let out = ''
    ch.on('data', (d: Buffer) => (out += d.toString()))
    await waitFor(() => out.includes('ready'), { timeoutMs: 15_000 })
    expect(ch.sendSignal('TERM')).toBe(true)
    expect(await ch.exitStatus()).toEqual({ code: null, signal: 'SIGTERM' })
  })
})

describe('Router relay: the client agent reaches the host (ssh -A), and -D', () => {
  let pool: Pool
  let r: RouterFixture
  let http: Server
  let httpPort = 0
  beforeAll(async () => {
    pool = await startPool(1)
    r = await startRouter(pool)
    http = createHttpServer((_req, res) => res.end('through socks\n'))
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()))
    httpPort = (http.address() as AddressInfo).port
  }, 60_000)
  afterAll(async () => {
    await r?.close()
    await pool?.close()
    await new Promise((resolve) => http?.close(resolve))
  })

  it('lists the client agent\'s key with ssh-add -l on the host, and only with -A', async () => {
    await using agent = await startSshAgent()
    const env = { SSH_AUTH_SOCK: agent.socketPath }
    await runCommand('/usr/bin/ssh-add', [pool.keys.rsa.privatePath], { env, timeoutMs: 10_000 })
    const a = await runCommand(SSH, ['-A', ...r.ssh, `${pool.user}@127.0.0.1`, 'ssh-add -l'], { env, allowFailure: true, timeoutMs: 20_000, input: '' })
    expect(a.code, a.stderr).toBe(0)
    expect(a.stdout).toContain(pool.keys.rsa.fingerprint)
    const none = await runCommand(SSH, [...r.ssh, `${pool.user}@127.0.0.1`, 'echo "[${SSH_AUTH_SOCK-unset}]"'], { env, allowFailure: true, timeoutMs: 20_000, input: '' })
    expect(none.stdout).toBe('[unset]\n')
  })

  it('serves ssh -D: curl --socks5-hostname reaches a web server through the host', async () => {
    const port = await freePort()
    const d = spawn(SSH, [...r.ssh, '-N', '-o', 'ExitOnForwardFailure=yes', '-D', `127.0.0.1:${port}`, `${pool.user}@127.0.0.1`], { stdio: 'ignore' })
    try {
      const body = await waitFor(async () => {
        const c = await runCommand('/usr/bin/curl', ['-sS', '--max-time', '5', '--socks5-hostname', `127.0.0.1:${port}`, `http://localhost:${httpPort}/`], { allowFailure: true, timeoutMs: 10_000 })
        return c.code === 0 ? c.stdout : undefined
      }, { timeoutMs: 15_000 })
      expect(body).toBe('through socks\n')
    } finally {
      await stopChild(d)
    }
  })
})

async function retryEcho(port: number, text: string): Promise<string> {
  let last: unknown
  for (let i = 0; i < 50; i++) {
    try {
      return await new Promise<string>((resolve, reject) => {
        const s = createConnection({ host: '127.0.0.1', port }, () => s.write(text))
        let got = ''
        s.setTimeout(5_000, () => s.destroy(new Error('timeout')))
        s.on('data', (d) => {
          got += d.toString()
          if (got.endsWith('\n')) {
            s.destroy()
            resolve(got)
          }
        })
        s.on('error', reject)
        s.on('close', () => reject(new Error(`closed after ${JSON.stringify(got)}`)))
      })
    } catch (err) {
      last = err
      await new Promise((res) => setTimeout(res, 100))
    }
  }
  throw last
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const gone = new Promise((res) => child.once('exit', res))
  child.kill('SIGTERM')
  const t = setTimeout(() => child.kill('SIGKILL'), 3_000)
  await gone
  clearTimeout(t)
}
