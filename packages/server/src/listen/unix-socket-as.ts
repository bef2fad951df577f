/**
 * Unix-socket operations done as a login's account, as sshd's post-authentication child (which
 * runs as the user) does them for streamlocal forwarding: bind a listener, connect to a path,
 * remove a socket we made. When this process is root and the account is someone else, each
 * operation runs in a short-lived helper process started as that account (setpriv, with the
 * user's groups) that hands the socket back over Node's IPC channel, so the kernel checks the
 * user's permissions on every directory of the path, and the socket is the user's.
 */
import { spawn } from 'node:child_process'
import { lstat, unlink } from 'node:fs/promises'
import { createConnection, Server, Socket } from 'node:net'
import { asCredentials } from '../process/spawn-plan.js'
import type { SessionUser } from '../process/user.js'

/** What identifies the socket file a bind made, so that only that file is ever removed. @internal */
export interface SocketFileId {
  readonly dev: number
  readonly ino: number
}

/** Options of the operations: whose they are, and how long the helper may take. @internal */
export interface AsAccountOptions {
  readonly user: SessionUser
  /** Kills a running helper; the operation rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined
  /** How long a helper may run; default 10 000. */
  readonly timeoutMs?: number | undefined
}

/** A failed operation, with the errno code the helper saw (ENOENT, EACCES, EADDRINUSE, …). @internal */
export class UnixSocketError extends Error {
  override readonly name = 'UnixSocketError' as const
  /** The errno code, or 'ETIMEDOUT' when the helper did not answer in time, 'EIO' when it failed. */
  readonly code: string
  /** Creates the error for `path`. */
  constructor(code: string, path: string, options?: ErrorOptions) {
    super(`${code}: ${path}`, options)
    this.code = code
  }
}

// The helper's program, run by `node -e` (so it needs no file of its own in the package): argv is
// [op, path, arg]. It answers with one IPC message ({ ok, code?, dev?, ino? }) and the socket or
// listener as its handle, then exits: exiting (not closing) keeps libuv from unlinking the path.
const HELPER = `'use strict'
const net = require('node:net'), fs = require('node:fs')
const [op, path, arg] = process.argv.slice(1)
const answer = (msg, handle) => process.send(msg, handle, () => process.exit(0))
const fail = (e) => answer({ ok: false, code: (e && e.code) || 'EIO' })
try {
  if (op === 'bind') {
    process.umask(Number(arg.split(',')[0]))
    if (arg.split(',')[1] === 'unlink') {
      try { if (fs.lstatSync(path).isSocket()) fs.unlinkSync(path) } catch (e) { if (e.code !== 'ENOENT') throw e }
    }
    const s = net.createServer()
    s.once('error', fail)
    s.listen(path, () => {
      const st = fs.lstatSync(path)
      answer({ ok: true, dev: st.dev, ino: st.ino }, s)
    })
  } else if (op === 'connect') {
    const c = net.createConnection(path)
    c.once('error', fail)
    c.once('connect', () => { c.pause(); answer({ ok: true }, c) })
  } else if (op === 'unlink') {
    const [dev, ino] = arg.split(',').map(Number)
    const st = fs.lstatSync(path)
    if (st.isSocket() && st.dev === dev && st.ino === ino) fs.unlinkSync(path)
    answer({ ok: true })
  } else fail()
} catch (e) { fail(e) }
`

interface HelperAnswer {
  readonly ok: boolean
  readonly code?: unknown
  readonly dev?: unknown
  readonly ino?: unknown
}

/** Whether operations for `user` need a helper: this process is root and the account is someone else. @internal */
export function needsHelper(user: SessionUser): boolean {
  const ourUid = process.getuid?.()
  return ourUid === 0 && (user.uid !== ourUid || user.gid !== process.getgid?.())
}

/**
 * Runs the helper once as `user` (as this process when no change of user is needed) and
 * resolves with its answer and handle. The helper gets an empty environment: it runs as the
 * user, who could read it.
 */
function runHelper(args: readonly [string, string, string], options: AsAccountOptions): Promise<{ answer: HelperAnswer; handle: unknown }> {
  options.signal?.throwIfAborted()
  const { user } = options
  let command: { file: string; args: string[] }
  try {
    command = asCredentials(needsHelper(user) ? user : undefined, user.name, process.execPath, ['-e', HELPER, ...args])
  } catch (err) {
    return Promise.reject(new UnixSocketError('EPERM', args[1], { cause: err }))
  }
  return new Promise((resolve, reject) => {
    const child = spawn(command.file, command.args, { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], env: {}, cwd: '/', serialization: 'json' })
    let settled = false
    const finish = (err: Error | undefined, value?: { answer: HelperAnswer; handle: unknown }): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      if (err) reject(err)
      else resolve(value!)
    }
    const onAbort = (): void => finish(options.signal?.reason instanceof Error ? options.signal.reason : new UnixSocketError('ECANCELED', args[1]))
    const timer = setTimeout(() => finish(new UnixSocketError('ETIMEDOUT', args[1])), options.timeoutMs ?? 10_000)
    options.signal?.addEventListener('abort', onAbort, { once: true })
    child.once('error', (err) => finish(new UnixSocketError('EIO', args[1], { cause: err })))
    // 'close' (not 'exit'): it comes after the IPC channel delivered everything the helper sent.
    child.once('close', () => finish(new UnixSocketError('EIO', args[1])))
    child.once('message', (message: unknown, handle: unknown) => {
      const answer = typeof message === 'object' && message !== null ? (message as HelperAnswer) : { ok: false }
      if (settled) return closeHandle(handle)
      finish(undefined, { answer, handle })
    })
  })
}

function closeHandle(handle: unknown): void {
  if (handle instanceof Server) handle.close()
  else if (handle instanceof Socket) handle.destroy()
}

function failure(answer: HelperAnswer, path: string): UnixSocketError {
  return new UnixSocketError(typeof answer.code === 'string' ? answer.code : 'EIO', path)
}

/**
 * Listens on the Unix socket `path` as `user`, the socket's mode set by `mask` as by a umask
 * (sshd's StreamLocalBindMask) from the moment it exists; with `unlinkFirst`, an existing socket
 * (and only a socket) at `path` is removed first (StreamLocalBindUnlink). Always done in a
 * helper process, whose umask is its own: this process's umask is shared by all its threads.
 * @throws UnixSocketError with the errno code of a failed bind.
 * @internal
 */
export async function bindUnixSocketAs(path: string, mask: number, unlinkFirst: boolean, options: AsAccountOptions): Promise<{ server: Server; id: SocketFileId }> {
  const { answer, handle } = await runHelper(['bind', path, `${mask},${unlinkFirst ? 'unlink' : 'keep'}`], options)
  if (!answer.ok || !(handle instanceof Server)) {
    closeHandle(handle)
    throw failure(answer, path)
  }
  if (typeof answer.dev !== 'number' || typeof answer.ino !== 'number') {
    handle.close()
    throw new UnixSocketError('EIO', path)
  }
  return { server: handle, id: { dev: answer.dev, ino: answer.ino } }
}

/**
 * Connects to the Unix socket `path` as `user`: in this process when no change of user is
 * needed, else through a helper. The socket is paused until read.
 * @throws UnixSocketError with the errno code of a failed connect.
 * @internal
 */
export async function connectUnixSocketAs(path: string, options: AsAccountOptions): Promise<Socket> {
  if (needsHelper(options.user)) {
    const { answer, handle } = await runHelper(['connect', path, ''], options)
    if (answer.ok && handle instanceof Socket) return handle
    closeHandle(handle)
    throw failure(answer, path)
  }
  options.signal?.throwIfAborted()
  return new Promise((resolve, reject) => {
    const sock = createConnection(path)
    sock.once('error', (err: NodeJS.ErrnoException) => reject(new UnixSocketError(err.code ?? 'EIO', path, { cause: err })))
    sock.once('connect', () => {
      sock.removeAllListeners('error')
      sock.pause()
      resolve(sock)
    })
  })
}

/**
 * Removes the socket file `path` as `user`, only if it is still the one `id` names (not a file
 * put there since). A missing file is not an error.
 * @throws UnixSocketError when the removal fails.
 * @internal
 */
export async function unlinkUnixSocketAs(path: string, id: SocketFileId, options: AsAccountOptions): Promise<void> {
  if (needsHelper(options.user)) {
    const { answer } = await runHelper(['unlink', path, `${id.dev},${id.ino}`], options)
    if (!answer.ok && answer.code !== 'ENOENT') throw failure(answer, path)
    return
  }
  try {
    const st = await lstat(path)
    if (st.isSocket() && st.dev === id.dev && st.ino === id.ino) await unlink(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new UnixSocketError((err as NodeJS.ErrnoException).code ?? 'EIO', path, { cause: err })
  }
}
