/**
 * Answers the client's global requests (RFC 4254 §4) from the {@link ServerInterface}: port and
 * Unix-socket forwarding and their cancels. Every request that wants a reply gets one: a
 * missing or throwing check method refuses. Other names never get here: the protocol layer
 * answers them with failure itself (keepalive@openssh.com among them; RFC 4254 §4), and
 * records no-more-sessions@openssh.com, refusing every later session open.
 */
import type { ServerInterface } from './server-interface.js'

/** A global request's fields, as the protocol layer parsed them. @internal */
export interface GlobalRequestData {
  readonly bindAddr?: string | undefined
  readonly bindPort?: number | undefined
  readonly socketPath?: string | undefined
}

/** Sends the reply: success (with the bound port for a tcpip-forward of port 0) or failure. @internal */
export type GlobalReply = (ok: boolean, port?: number) => void

/**
 * Decides one global request and replies when `reply` is set (the client asked for one).
 * @internal
 */
export async function answerGlobalRequest(server: ServerInterface, name: string, data: GlobalRequestData | null | undefined, reply: GlobalReply | undefined): Promise<void> {
  let ok = false
  let port: number | undefined
  try {
    switch (name) {
      case 'tcpip-forward': {
        if (!server.checkPortForwardRequest) break
        const bound = await server.checkPortForwardRequest(data?.bindAddr ?? '', data?.bindPort ?? 0)
        ok = typeof bound === 'number'
        port = ok ? (bound as number) : undefined
        break
      }
      case 'cancel-tcpip-forward':
        if (!server.cancelPortForwardRequest) break
        await server.cancelPortForwardRequest(data?.bindAddr ?? '', data?.bindPort ?? 0)
        ok = true
        break
      case 'streamlocal-forward@openssh.com':
        if (!server.checkStreamLocalForwardRequest || typeof data?.socketPath !== 'string') break
        ok = (await server.checkStreamLocalForwardRequest(data.socketPath)) === true
        break
      case 'cancel-streamlocal-forward@openssh.com':
        if (!server.cancelStreamLocalForwardRequest || typeof data?.socketPath !== 'string') break
        await server.cancelStreamLocalForwardRequest(data.socketPath)
        ok = true
        break
    }
  } catch {
    ok = false // a throwing handler refuses
  }
  reply?.(ok, ok ? port : undefined)
}
