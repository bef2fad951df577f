import { createHash, randomBytes } from 'node:crypto'
import { chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { descendantPids, processCommandLine, runCommand } from '@x/testbed'
import { DEFAULT_USER_PATH } from '../src/index.js'
import type { SessionFixture } from './support/fixture.js'
import { startSessionFixture } from './support/fixture.js'

const SSH = '/usr/bin/ssh'
/** sha256 of a file: vitest's deep equality on megabyte Buffers takes tens of seconds. */
const digest = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex')
let f: SessionFixture

beforeAll(async () => {
  f = await startSessionFixture()
})
afterAll(async () => {
  await f?.close()
})

const ssh = (args: string[], input?: string | Buffer) =>
  runCommand(SSH, [...f.ssh, 'xssh-test@127.0.0.1', ...args], { allowFailure: true, ...(input === undefined ? {} : { input }) })

describe('runSession exec over OpenSSH ssh', () => {
  it('relays stdout, stderr and the exit code of shell -c command', async () => {
    const out = await ssh(['echo out; echo err >&2; exit 3'])
    expect(out).toMatchObject({ stdout: 'out\n', stderr: 'err\n', code: 3 })
    expect(f.results.at(-1)).toEqual({ exitCode: 3, exitSignal: null, hungUp: false })
  })

  it('runs as the user, in its home, with argv[0] and the environment sshd gives', async () => {
    const script = 'echo "0=$0"; id -u; id -G; pwd; echo "USER=$USER LOGNAME=$LOGNAME HOME=$HOME SHELL=$SHELL"; ' +
      'echo "PATH=$PATH"; echo "MAIL=$MAIL"; echo "CLIENT=$SSH_CLIENT"; echo "CONN=$SSH_CONNECTION"; ' +
      'echo "TTY=${SSH_TTY-unset} TERM=${TERM-unset} ORIG=${SSH_ORIGINAL_COMMAND-unset} LC=$LC_XTEST"'
    const out = await runCommand(SSH, [...f.ssh, '-o', 'SetEnv=LC_XTEST=sent', 'xssh-test@127.0.0.1', script], { allowFailure: true })
    expect(out.code, out.stderr).toBe(0)
    const lines = out.stdout.split('\n')
    const u = f.user
    // setpriv execs the shell by its path when the user changes (see spawn-plan.ts).
    expect(lines[0]).toBe(`0=${u.shell}`)
    expect(lines[1]).toBe(String(u.uid))
    expect(lines[2]).toBe(String(u.gid)) // initgroups: the user's own groups, none of root's
    expect(lines[3]).toBe(u.home)
    expect(lines[4]).toBe(`USER=${u.name} LOGNAME=${u.name} HOME=${u.home} SHELL=${u.shell}`)
    expect(lines[5]).toBe(`PATH=${DEFAULT_USER_PATH}`)
    expect(lines[6]).toBe(`MAIL=/var/mail/${u.name}`)
    expect(lines[7]).toMatch(new RegExp(`^CLIENT=127\\.0\\.0\\.1 \\d+ ${f.server.port}$`))
    expect(lines[8]).toMatch(new RegExp(`^CONN=127\\.0\\.0\\.1 \\d+ 127\\.0\\.0\\.1 ${f.server.port}$`))
    expect(lines[9]).toBe('TTY=unset TERM=unset ORIG=unset LC=sent')
  })

  it('runs a forced command instead, with the client command in SSH_ORIGINAL_COMMAND and env= applied', async () => {
    f.options = { forcedCommand: 'echo "forced [$SSH_ORIGINAL_COMMAND] $FROM_KEY"', env: { FROM_KEY: 'k' } }
    try {
      expect((await ssh(['echo', 'mine'])).stdout).toBe('forced [echo mine] k\n')
    } finally {
      f.options = {}
    }
  })

  it('relays stdin to EOF and large output with back-pressure, byte-exact', async () => {
    const input = randomBytes(3 * 1024 * 1024)
    const counted = await ssh(['wc -c'], input)
    expect(counted.stdout.trim()).toBe(String(input.length))
    const big = await ssh(['head -c 20000000 /dev/zero | tr "\\0" x'])
    expect(big.stdout.length).toBe(20_000_000)
  })

  it('sends exit-signal TERM without SIG when the command kills itself', async () => {
    const out = await ssh(['kill -TERM $$'])
    expect(out.code).toBe(255) // OpenSSH's exit for a remote signal
    expect(f.results.at(-1)).toEqual({ exitCode: null, exitSignal: 'TERM', hungUp: false })
  })

  it('ends the process group when the client goes away, leaving no process', async () => {
    const marker = `sleep ${300 + Math.floor(Math.random() * 1000)}`
    const done = ssh([`${marker} & ${marker}; echo never`])
    let pids: number[] = []
    for (let i = 0; i < 100 && pids.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 50))
      pids = descendantPids(process.pid).filter((pid) => processCommandLine(pid) === marker)
    }
    expect(pids.length).toBe(2)
    // Closing the client's connection closes the channel: runSession must end both sleeps.
    const sshPid = descendantPids(process.pid).find((pid) => processCommandLine(pid).startsWith(SSH) && processCommandLine(pid).includes(marker))
    process.kill(sshPid!, 'SIGTERM')
    await done
    for (let i = 0; i < 60 && f.results.at(-1)?.hungUp !== true; i++) await new Promise((r) => setTimeout(r, 50))
    expect(f.results.at(-1)?.hungUp).toBe(true)
    expect(descendantPids(process.pid).filter((pid) => processCommandLine(pid) === marker)).toEqual([])
  })
})

describe('scp -O and rsync run as plain commands', () => {
  let local: string
  let remote: string
  beforeAll(async () => {
    local = join(f.dir, 'local')
    remote = join(f.user.home, `x-server-files-${process.pid}`)
    await mkdir(local)
    await mkdir(remote)
    await chown(remote, f.user.uid, f.user.gid)
    await writeFile(join(local, 'up.bin'), randomBytes(2 * 1024 * 1024 + 17))
  })
  afterAll(async () => {
    await rm(remote, { recursive: true, force: true })
  })
  const scp = (args: string[]) => runCommand('/usr/bin/scp', ['-O', ...f.ssh.map((a) => (a === '-p' ? '-P' : a)), ...args], { allowFailure: true })

  it('copies a file up and down with scp -O byte-exact', async () => {
    const up = await scp([join(local, 'up.bin'), `xssh-test@127.0.0.1:${remote}/up.bin`])
    expect(up.code, up.stderr).toBe(0)
    expect(await digest(join(remote, 'up.bin'))).toBe(await digest(join(local, 'up.bin')))
    const down = await scp([`xssh-test@127.0.0.1:${remote}/up.bin`, join(local, 'down.bin')])
    expect(down.code, down.stderr).toBe(0)
    expect(await digest(join(local, 'down.bin'))).toBe(await digest(join(local, 'up.bin')))
  })

  it('syncs a tree both ways with rsync -e ssh byte-exact', async () => {
    const tree = join(local, 'tree')
    await mkdir(join(tree, 'sub'), { recursive: true })
    await writeFile(join(tree, 'a.txt'), 'alpha\n')
    await writeFile(join(tree, 'sub', 'b.bin'), randomBytes(700_000))
    const e = ['-e', [SSH, ...f.ssh].join(' ')]
    const up = await runCommand('/usr/bin/rsync', ['-a', ...e, `${tree}/`, `xssh-test@127.0.0.1:${remote}/tree/`], { allowFailure: true })
    expect(up.code, up.stderr).toBe(0)
    expect(await digest(join(remote, 'tree', 'sub', 'b.bin'))).toBe(await digest(join(tree, 'sub', 'b.bin')))
    const back = join(local, 'back')
    const down = await runCommand('/usr/bin/rsync', ['-a', ...e, `xssh-test@127.0.0.1:${remote}/tree/`, `${back}/`], { allowFailure: true })
    expect(down.code, down.stderr).toBe(0)
    expect(await readFile(join(back, 'a.txt'), 'utf8')).toBe('alpha\n')
    expect(await digest(join(back, 'sub', 'b.bin'))).toBe(await digest(join(tree, 'sub', 'b.bin')))
  })
})
