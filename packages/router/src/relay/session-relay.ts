/**
 * Relays one session channel of a client to a session channel on the host: the pty and its
 * window changes, env, the exec command / shell / subsystem, stdin, stdout and stderr with EOF
 * and back-pressure (pipes only: nothing buffers beyond the channel windows), signals, and the
 * exit status or signal.
 */
import { finished } from 'node:stream/promises'
import type { ServerChannel, SessionChannel, Transport } from '@x/transport'
import type { SessionRequest } from '@x/server'
import type { ByteCounter } from './byte-counter.js'

/** What the relay sends besides the client's own requests. */
export interface SessionRelayOptions {
  /** Variables set on the host's session after the client's (the route's `environment`). */
  readonly environment: Readonly<Record<string, string>>
  /** Counts the bytes relayed each way. */
  readonly counter?: ByteCounter | undefined
}

/** Why a session could not be started on the host (its channel open or first request refused). */
export class UpstreamSessionError extends Error {
  /** Stable code: `ERR_SSH_ROUTER_SESSION`. */
  readonly code = 'ERR_SSH_ROUTER_SESSION'
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'UpstreamSessionError'
  }
}

async function ended(stream: NodeJS.ReadableStream): Promise<void> {
  await finished(stream, { writable: false }).catch(() => undefined)
}

/** Opens and starts the host's side of `channel`. @throws UpstreamSessionError */
async function startUpstream(channel: ServerChannel, request: SessionRequest, upstream: Transport, options: SessionRelayOptions): Promise<SessionChannel> {
  let up: SessionChannel
  try {
    up = await upstream.openSession()
  } catch (err) {
    throw new UpstreamSessionError('the host refused a session channel', { cause: err })
  }
  try {
    const pty = channel.pty
    if (pty) up.getPty({ term: pty.term, cols: pty.cols, rows: pty.rows, width: pty.width, height: pty.height, modes: { ...pty.modes } })
    for (const [name, value] of Object.entries({ ...channel.env, ...options.environment })) up.setEnvironmentVariable(name, value)
    if (channel.agentForwarding && request.kind !== 'subsystem') up.requestAgentForwarding()
    // A forced command (authorized_keys command=) on the router runs on the host instead.
    if (request.kind === 'exec' || request.command !== undefined) await up.exec(request.command ?? '')
    else if (request.kind === 'shell') await up.invokeShell({ pty: pty !== undefined })
    else await up.invokeSubsystem(request.subsystem ?? '')
  } catch (err) {
    up.destroy()
    throw new UpstreamSessionError(`the host refused the ${request.kind} request`, { cause: err })
  }
  return up
}

/**
 * Runs `channel` against a new session on `upstream` until both ends are done; the client gets
 * the host's exit status or signal. Resolves when the relay is over, never throws after the
 * host's session started.
 * @throws UpstreamSessionError when the host refuses the session.
 */
export async function relaySession(channel: ServerChannel, request: SessionRequest, upstream: Transport, options: SessionRelayOptions): Promise<void> {
  const up = await startUpstream(channel, request, upstream, options)
  const counter = options.counter
  if (counter) {
    channel.on('data', (d: Buffer) => counter.toHost(d.length))
    up.on('data', (d: Buffer) => counter.toClient(d.length))
    up.stderr.on('data', (d: Buffer) => counter.toClient(d.length))
  }
  const onWindow = (cols: number, rows: number, width: number, height: number): void => {
    if (!up.destroyed) up.resizePty(cols, rows, width, height)
  }
  const onSignal = (name: string): void => {
    if (!up.destroyed) up.sendSignal(name)
  }
  channel.on('window-change', onWindow)
  channel.on('signal', onSignal)
  // Errors end both sides through 'close'; listening keeps them from being unhandled.
  channel.on('error', () => up.destroy())
  up.on('error', () => channel.destroy())
  channel.pipe(up)
  up.pipe(channel, { end: false })
  up.stderr.pipe(channel.stderr, { end: false })
  const clientGone = (): void => {
    if (!up.destroyed) up.destroy()
  }
  channel.once('close', clientGone)
  try {
    const [status] = await Promise.all([up.exitStatus().catch(() => undefined), ended(up), ended(up.stderr)])
    if (channel.destroyed || channel.writableEnded) return
    if (status?.signal) channel.exitSignal(status.signal.replace(/^SIG/, ''))
    else if (status?.code !== null && status?.code !== undefined) channel.exit(status.code)
    else channel.end()
  } finally {
    channel.off('window-change', onWindow)
    channel.off('signal', onSignal)
    channel.off('close', clientGone)
    channel.unpipe(up)
  }
}
