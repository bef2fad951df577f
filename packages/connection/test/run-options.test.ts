import { randomInt } from 'node:crypto'
import { startSshd, type SshdHandle } from '@x/testbed'
import { commandStopOf, MaxBufferError, Result, TimeoutError, type Connection } from '@x/connection'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import { connectionTo } from './helpers.js'

let sshd: SshdHandle
let forced: SshdHandle
let c: Connection
let root: Connection
let probe: Connection
beforeAll(async () => {
  ;[sshd, forced] = await Promise.all([
    startSshd({ extraConfig: ['AcceptEnv XSSH_*', 'PermitRootLogin prohibit-password', 'AllowUsers root'] }),
    // What a ForceCommand wrapper (git-shell, rrsync) is given to read.
    startSshd({ extraConfig: ['ForceCommand printf %s "$SSH_ORIGINAL_COMMAND"'] }),
  ])
  c = connectionTo(sshd)
  root = connectionTo(sshd, {}, ['User root'])
  probe = connectionTo(sshd)
  await Promise.all([c.open(), root.open(), probe.open()])
})
afterAll(async () => {
  await Promise.all([c?.close(), root?.close(), probe?.close()])
  await Promise.all([sshd?.close(), forced?.close()])
})

async function running(marker: string): Promise<boolean> {
  return (await probe.run(`pgrep -f '[s]leep ${marker}'`, { warn: true })).exitCode === 0
}

async function goneWithin(marker: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  for (;;) {
    if (!(await running(marker))) return true
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Kills what a case left behind, whoever started it. */
async function kill(marker: string): Promise<void> {
  await root.run(`pkill -KILL -f '[s]leep ${marker}'`, { warn: true })
}

describe('Result', () => {
  it('keeps ok and failed in JSON.stringify', async () => {
    const json = JSON.parse(JSON.stringify(await c.run('exit 5', { warn: true }))) as Record<string, unknown>
    expect(json).toMatchObject({ command: 'exit 5', exitCode: 5, signal: null, ok: false, failed: true, stdout: '', stderr: '' })
  })
})

describe("run({ encoding: 'buffer' })", () => {
  it('returns stdout and stderr as Buffers, byte-exact, invalid UTF-8 included', async () => {
    const r = await c.run(`printf '\\377\\000\\200\\001x'; printf '\\001\\376' >&2`, { encoding: 'buffer' })
    expectTypeOf(r).toEqualTypeOf<Result<Buffer>>()
    expect(Buffer.isBuffer(r.stdout)).toBe(true)
    expect(r.stdout).toEqual(Buffer.from([0xff, 0x00, 0x80, 0x01, 0x78]))
    expect(r.stderr).toEqual(Buffer.from([0x01, 0xfe]))
    expectTypeOf((await c.run('true')).stdout).toEqualTypeOf<string>()
  })
})

describe('run({ maxBuffer })', () => {
  it('stops the command and rejects with MaxBufferError once stdout passes the limit', async () => {
    const marker = `41.${randomInt(1e9)}`
    let streamed = 0
    const err = await c.run(`head -c 1000000 /dev/zero; sleep ${marker}`, {
      maxBuffer: 1000,
      timeoutMs: 10_000,
      onStdout: (chunk) => {
        streamed += chunk.length
      },
    }).catch((e: unknown) => e)
    try {
      expect(err).toBeInstanceOf(MaxBufferError)
      expect((err as MaxBufferError).code).toBe('ERR_SSH_MAX_BUFFER')
      expect((err as MaxBufferError)).toMatchObject({ maxBuffer: 1000, stream: 'stdout', stop: { method: 'process-group', mayStillRun: false } })
      expect(streamed).toBe(1000)
      expect(await goneWithin(marker, 1000)).toBe(true)
    } finally {
      await kill(marker)
    }
  })

  it('rejects a negative maxBuffer with RangeError', async () => {
    await expect(c.run('true', { maxBuffer: -1 })).rejects.toBeInstanceOf(RangeError)
  })
})

describe('run({ env })', () => {
  it('lists the variables the server refused in refusedEnv and sets the others', async () => {
    const r = await c.run('printf "%s|%s" "$XSSH_TAKEN" "$NOT_ACCEPTED"', { env: { XSSH_TAKEN: 'yes', NOT_ACCEPTED: 'no' } })
    expect(r.stdout).toBe('yes|')
    expect(r.refusedEnv).toEqual(['NOT_ACCEPTED'])
    expect((await c.run('true', { env: { XSSH_TAKEN: 'yes' } })).refusedEnv).toEqual([])
  })
})

describe('process-group tracking', () => {
  it('leaves stdout, stderr (\\001 bytes included), exit code and stdin as the command made them', async () => {
    const r = await c.run(`cat; printf 'a\\001' >&2; printf '\\001xssh-pgid-' >&2; exit 7`, { stdin: 'in\n', warn: true, encoding: 'buffer' })
    expect(r.exitCode).toBe(7)
    expect(r.stdout.toString()).toBe('in\n')
    expect(r.stderr).toEqual(Buffer.from('a\u0001\u0001xssh-pgid-', 'latin1'))
  })

  it('is left out with trackProcessGroup: false, so a ForceCommand sees the command exactly', async () => {
    await using f = connectionTo(forced)
    const command = `echo 'a b' "$HOME"; exit 3`
    expect((await f.run(command, { trackProcessGroup: false })).stdout).toBe(command)
  })

  it('sends a run with no timeout, signal or maxBuffer exactly as given, and tracks one with a bound', async () => {
    await using f = connectionTo(forced)
    const command = `echo 'a b' "$HOME"; exit 3`
    expect((await f.run(command)).stdout).toBe(command)
    const tracked = (await f.run(command, { timeoutMs: 30_000 })).stdout
    expect(tracked).not.toBe(command)
    expect(tracked.endsWith(`\n${command}`)).toBe(true)
  })

  it('without tracking still stops a non-root command through the signal request, sent after stdin ended', async () => {
    const marker = `41.${randomInt(1e9)}`
    const err = await c.run(`sleep ${marker}; true`, { timeoutMs: 300, trackProcessGroup: false }).catch((e: unknown) => e)
    try {
      expect(err).toBeInstanceOf(TimeoutError)
      expect((err as TimeoutError).stop).toEqual({ method: 'signal', mayStillRun: false })
      expect(await goneWithin(marker, 1000)).toBe(true)
    } finally {
      await kill(marker)
    }
  })

  it('without tracking, as root on OpenSSH (signal refused), says the command may still run', async () => {
    const marker = `41.${randomInt(1e9)}`
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 300)
    const err = await root.run(`sleep ${marker}; true`, { signal: controller.signal, trackProcessGroup: false }).catch((e: unknown) => e)
    try {
      expect(err).toBe(controller.signal.reason)
      expect(commandStopOf(err)).toEqual({ method: 'signal', mayStillRun: true })
      expect(await running(marker)).toBe(true)
    } finally {
      await kill(marker)
    }
  })

  it('with a pty, as root on OpenSSH, hangs the terminal up', async () => {
    const marker = `41.${randomInt(1e9)}`
    const err = await root.run(`sleep ${marker}; true`, { timeoutMs: 300, pty: true }).catch((e: unknown) => e)
    try {
      expect(err).toBeInstanceOf(TimeoutError)
      expect((err as TimeoutError).stop?.method).toBe('pty-hangup')
      expect(await goneWithin(marker, 1000)).toBe(true)
    } finally {
      await kill(marker)
    }
  })
})
