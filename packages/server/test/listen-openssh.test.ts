// listen() against the real OpenSSH client: sessions from real processes, SFTP, forwarding and the
// server's own limits, each as ssh shows it.
import { createHash, randomBytes } from 'node:crypto'
import { readFile, writeFile, chmod, mkdir, chown } from 'node:fs/promises'
import { createConnection } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCommand, startEchoServer, testUser, waitFor } from '@x/testbed'
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

void chmod
