/**
 * Opens the byte stream a Connection's route gives: nothing for a direct route (the Transport
 * dials TCP itself), a direct-tcpip channel of the gateway for a jump, a ProxyCommand's stdio.
 * @internal
 */
import type { Duplex } from 'node:stream'
import { openDirectTcpip, openProxyCommand } from '@x/gateway'
import { ConnectionLostError, type Transport } from '@x/transport'
import { withConnectTimeout } from './connect-timeout.js'
import type { GatewayRoute } from './gateway-route.js'
import type { Resources } from './resources.js'

/** What the route's stream needs of the Connection through it. */
export interface RouteTarget {
  readonly host: string
  readonly hostname: string
  readonly port: number
  readonly user: string
  /** `user@hostname:port`, for messages. */
  readonly label: string
}

/** A gateway Connection as the route uses it. */
interface Gateway {
  open(options: { signal: AbortSignal }): Promise<void>
  readonly transport: Transport | undefined
  close(): Promise<void>
}

/**
 * Opens the stream of `route` to `target` (undefined: the Transport dials TCP itself). Through a
 * jump, the gateway's direct-tcpip open is this hop's TCP connect: `connectMs` bounds it, as
 * ConnectTimeout bounds `ssh -J` (a silently dropped SYN there would otherwise hold the open
 * until the gateway's own connect gives up, minutes later). A ProxyCommand's reaping is held in
 * `held`: the Transport destroys its socket, `close()` then waits until its process group is gone.
 */
export async function openRouteStream(route: GatewayRoute<Gateway>, target: RouteTarget, connectMs: number, held: Resources, signal: AbortSignal): Promise<Duplex | undefined> {
  switch (route.kind) {
    case 'direct':
      return undefined
    case 'jump': {
      await route.via.open({ signal })
      const via = route.via.transport
      if (!via) throw new ConnectionLostError(`the gateway to ${target.label} closed while opening`)
      return withConnectTimeout(connectMs, `connecting to ${target.label} through its gateway`, signal, (bounded) =>
        openDirectTcpip(via, target.hostname, target.port, { signal: bounded }))
    }
    case 'proxy-command': {
      const sock = await openProxyCommand(route.command, { host: target.hostname, port: target.port, user: target.user, alias: target.host, signal })
      const reaping = held.defer(() => sock.reaped)
      void sock.reaped.then(() => reaping[Symbol.dispose]())
      return sock
    }
  }
}
