/**
 * Dispatches the client's channel opens, session requests and global requests to the
 * {@link ServerInterface}, in order per channel, answering every want-reply request (G4).
 */
import type { RawChannel } from '../channel-duplex.js'
import type { RawServerSession, RawSessionRequest, ServerProtocolHooks } from '../internal/server-protocol.js'
import type { TransportEndView } from '../internal/transport-end.js'
import { ServerChannel, type ServerPty } from './server-channel.js'
import type { ServerInterface } from './server-interface.js'

/** Runs a started subsystem on its channel; the channel is ended when it settles. */
export type SubsystemHandler = (channel: ServerChannel) => void | Promise<void>

/** The dispatch of one authenticated connection. @internal */
export class ServerDispatch {
  readonly #server: ServerInterface
  readonly #end: TransportEndView
  readonly #deliver: (channel: ServerChannel) => void
  readonly #subsystems: ReadonlyMap<string, SubsystemHandler>

  constructor(server: ServerInterface, end: TransportEndView, subsystems: ReadonlyMap<string, SubsystemHandler>, deliver: (channel: ServerChannel) => void) {
    this.#server = server
    this.#end = end
    this.#subsystems = subsystems
    this.#deliver = deliver
  }

  /** The hooks for channel opens and global requests. */
  hooks(): Pick<ServerProtocolHooks, 'onSession' | 'onDirectTcpip' | 'onDirectStreamLocal' | 'onGlobalRequest'> {
    return {
      onSession: (accept, reject) => {
        const ch = new ServerChannel('session', undefined, {}, this.#end)
        void this.#decide(() => this.#server.checkChannelRequest?.('session', ch)).then((ok) => {
          if (ok) return this.#session(ch, accept())
          reject()
          ch.destroy()
        })
      },
      onDirectTcpip: (info, accept, reject) => {
        const check = (): unknown => this.#server.checkDirectTcpip?.([info.srcIP, info.srcPort], [info.destIP, info.destPort])
        void this.#decide(check).then((ok) => {
          if (!ok) return reject()
          this.#deliver(new ServerChannel('direct-tcpip', accept(), { remoteAddress: info.srcIP, remotePort: info.srcPort, localAddress: info.destIP, localPort: info.destPort }, this.#end))
        })
      },
      onDirectStreamLocal: (path, accept, reject) => {
        void this.#decide(() => this.#server.checkDirectStreamLocal?.(path)).then((ok) => {
          if (!ok) return reject()
          this.#deliver(new ServerChannel('direct-streamlocal@openssh.com', accept() as RawChannel, { remoteAddress: path }, this.#end))
        })
      },
      onGlobalRequest: (name, data, reply) => void this.#global(name, data as { bindAddr?: string; bindPort?: number }, reply),
    }
  }

  /** Runs a check; a missing method (undefined) or a throw refuses. */
  async #decide(check: () => unknown): Promise<boolean> {
    try {
      return (await check()) === true
    } catch {
      return false
    }
  }

  async #global(name: string, data: { bindAddr?: string; bindPort?: number }, reply: ((ok: boolean, port?: number) => void) | undefined): Promise<void> {
    const s = this.#server
    try {
      if (name === 'tcpip-forward' && s.checkPortForwardRequest) {
        const bound = await s.checkPortForwardRequest(data.bindAddr ?? '', data.bindPort ?? 0)
        return reply?.(typeof bound === 'number', typeof bound === 'number' ? bound : undefined)
      }
      if (name === 'cancel-tcpip-forward' && s.cancelPortForwardRequest) {
        await s.cancelPortForwardRequest(data.bindAddr ?? '', data.bindPort ?? 0)
        return reply?.(true)
      }
    } catch {
      // a throwing handler refuses
    }
    reply?.(false)
  }

  #session(ch: ServerChannel, raw: RawServerSession): void {
    let chain = Promise.resolve()
    raw.listen(
      (request) => {
        // Replies to one channel's requests go out in order (RFC 4254 §5.4).
        chain = chain.then(() => this.#request(ch, request)).catch(() => request.reply?.(false))
      },
      () => {
        if (!ch.destroyed && ch.command === undefined && !ch.isShell && ch.subsystem === undefined) ch.destroy()
      },
    )
  }

  async #request(ch: ServerChannel, request: RawSessionRequest): Promise<void> {
    const s = this.#server
    const started = ch.isShell || ch.command !== undefined || ch.subsystem !== undefined
    const ok = (value: unknown): boolean => value === true
    switch (request.type) {
      case 'pty-req': {
        const d = request.data as ServerPty
        const pty: ServerPty = { term: d.term, cols: d.cols, rows: d.rows, width: d.width, height: d.height, modes: d.modes ?? {} }
        const allowed = !started && ok(await s.checkPtyRequest?.(ch, pty))
        if (allowed) ch.setPty(pty)
        return request.reply?.(allowed)
      }
      case 'env': {
        const d = request.data as { key: string; val: string }
        const allowed = !started && ok(await s.checkEnvRequest?.(ch, d.key, d.val))
        if (allowed) ch.setEnv(d.key, d.val)
        return request.reply?.(allowed)
      }
      case 'window-change': {
        const d = request.data as { cols: number; rows: number; width: number; height: number }
        const allowed = ok(await s.checkWindowChangeRequest?.(ch, d.cols, d.rows, d.width, d.height))
        if (allowed) {
          if (ch.pty) ch.setPty({ ...ch.pty, cols: d.cols, rows: d.rows, width: d.width, height: d.height })
          ch.emit('window-change', d.cols, d.rows, d.width, d.height)
        }
        return request.reply?.(allowed)
      }
      case 'signal': {
        const name = (request.data as { name: string }).name
        ch.emit('signal', name)
        return request.reply?.(ch.listenerCount('signal') > 0)
      }
      case 'break': {
        const data = request.data as Buffer | undefined
        const ms = Buffer.isBuffer(data) && data.length >= 4 ? data.readUInt32BE(0) : 0
        const heard = ch.listenerCount('break') > 0
        ch.emit('break', ms)
        return request.reply?.(heard)
      }
      case 'shell':
      case 'exec':
      case 'subsystem':
        return this.#start(ch, request, started)
      default:
        return request.reply?.(false)
    }
  }

  async #start(ch: ServerChannel, request: RawSessionRequest, started: boolean): Promise<void> {
    const s = this.#server
    const type = request.type
    const command = type === 'exec' ? (request.data as { command: string }).command : undefined
    const name = type === 'subsystem' ? (request.data as { name: string }).name : undefined
    const handler = name !== undefined ? this.#subsystems.get(name) : undefined
    let allowed = false
    if (!started && request.start) {
      try {
        if (type === 'shell') allowed = (await s.checkShellRequest?.(ch)) === true
        else if (type === 'exec') allowed = (await s.checkExecRequest?.(ch, command!)) === true
        else allowed = handler !== undefined || (await s.checkSubsystemRequest?.(ch, name!)) === true
      } catch {
        allowed = false
      }
    }
    const stream = allowed ? request.start?.() : undefined
    if (!stream) return request.reply?.(false)
    ch.start(type === 'shell' ? { shell: true } : type === 'exec' ? { command: command! } : { subsystem: name! }, stream)
    if (!handler) return this.#deliver(ch)
    void Promise.resolve()
      .then(() => handler(ch))
      .catch(() => undefined)
      .finally(() => {
        if (!ch.writableEnded) ch.end()
      })
  }
}
