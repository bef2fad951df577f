import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { once } from 'node:events'
import { connect } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { runCommand } from './run-command.js'
import { signalQuietly } from './proc.js'
import { makeTempDir, removeTempDir } from './temp-dir.js'
import { waitFor } from './wait.js'

/** Controls a running OpenSSH agent for tests. */
export interface SshAgentHandle {
  /** The agent's UNIX socket, the value for SSH_AUTH_SOCK. */
  readonly socketPath: string
  readonly pid: number
  /** Adds a private key with `ssh-add` (an encrypted key needs its `passphrase`). */
  add(privatePath: string, passphrase?: string): Promise<void>
  /** Lists the loaded keys as `ssh-add -L` prints them (OpenSSH public key lines). */
  list(): Promise<string[]>
  /** Kills the agent (bounded), reaps it and removes its temp dir; idempotent. */
  close(): Promise<void>
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>
}

/**
 * Starts a real `ssh-agent -D -a <socket>` in a private temp dir.
 *
 * @throws Error when the agent's socket does not accept connections within 5 s.
 */
export async function startSshAgent(): Promise<SshAgentHandle> {
  const dir = await makeTempDir('agent')
  const socketPath = join(dir, 'agent.sock')
  // ssh-add asks this program for a passphrase (SSH_ASKPASS_REQUIRE=force); it prints the
  // one passed in its environment (never on a command line), once: asked again after a
  // wrong passphrase, it fails, and ssh-add gives up instead of asking forever.
  const askpass = join(dir, 'askpass')
  await writeFile(askpass, [
    '#!/bin/sh',
    '[ -e "$XSSH_TESTBED_ASKED" ] && exit 1',
    ': > "$XSSH_TESTBED_ASKED"',
    'printf "%s\\n" "$XSSH_TESTBED_PASSPHRASE"',
    '',
  ].join('\n'), { mode: 0o700 })
  let adds = 0
  const child = spawn('/usr/bin/ssh-agent', ['-D', '-a', socketPath], { stdio: 'ignore' })
  child.on('error', () => {}) // surfaces below as the socket never appearing
  const exited = once(child, 'close').catch(() => {})
  let closing: Promise<void> | undefined
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        signalQuietly(child.pid, 'SIGTERM')
        const done = await Promise.race([exited.then(() => true), sleep(3000, false)])
        if (!done) {
          signalQuietly(child.pid, 'SIGKILL')
          await Promise.race([exited, sleep(5000)])
        }
      }
      await removeTempDir(dir)
    })())
  try {
    // The socket file appears at bind(), before listen(): until then connecting is refused.
    await waitFor(() => existsSync(socketPath) && accepts(socketPath), {
      timeoutMs: 5000, description: 'the ssh-agent socket',
    })
  } catch (err) {
    await close()
    throw err
  }
  const env = { SSH_AUTH_SOCK: socketPath }
  return {
    socketPath,
    pid: child.pid ?? -1,
    add: async (privatePath, passphrase) => {
      const askEnv = passphrase === undefined ? {} : {
        SSH_ASKPASS: askpass,
        SSH_ASKPASS_REQUIRE: 'force',
        XSSH_TESTBED_PASSPHRASE: passphrase,
        XSSH_TESTBED_ASKED: join(dir, `asked-${++adds}`),
      }
      await runCommand('/usr/bin/ssh-add', ['-q', privatePath], { env: { ...env, ...askEnv }, timeoutMs: 10_000 })
    },
    list: async () => {
      const out = await runCommand('/usr/bin/ssh-add', ['-L'], { env, allowFailure: true, timeoutMs: 10_000 })
      return out.code === 0 ? out.stdout.split('\n').filter((l) => l.trim() !== '') : []
    },
    close,
    [Symbol.asyncDispose]: close,
  }
}

/** Tells whether the UNIX socket at `path` accepts a connection (closed at once). */
function accepts(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => {
      socket.destroy()
      resolve(false)
    })
  })
}
