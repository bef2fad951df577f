/**
 * What an embedded lab host can reach, as @x/server's {@link ForwardingPolicy}: `direct-tcpip`
 * channels (ssh -L, ProxyJump, openSocket) go to the names in its route table (and, if allowed, to
 * its loopback), and `tcpip-forward` (ssh -R) listens on its loopback.
 */
import { createConnection } from 'node:net'
import type { ForwardingPolicy } from '@x/server'

/** Where a name in a route table leads: a TCP address, or a Unix socket no one else is told about. */
export type Endpoint = { readonly host: string; readonly port: number } | { readonly path: string }

/** A lab host's view of its network. */
export interface HostNetwork {
  /** Names only this host can resolve: 'inner.lab:22' → endpoint. */
  readonly routes: ReadonlyMap<string, Endpoint>
  /** Whether 127.0.0.1 / localhost on any port is reachable too. */
  readonly loopback: boolean
}

/** One direct-tcpip channel a host opened, as its log would show it. */
export interface TunnelRecord {
  readonly user: string
  readonly to: string
}

/** Returns where `host:port` leads from this host, or undefined when that name is not reachable. */
export function endpointOf(network: HostNetwork, host: string, port: number): Endpoint | undefined {
  const route = network.routes.get(`${host}:${port}`)
  if (route) return route
  if (network.loopback && (host === '127.0.0.1' || host === 'localhost')) return { host: '127.0.0.1', port }
  return undefined
}

/** Builds the forwarding policy of `network`, recording each direct-tcpip connection made in `log`. */
export function forwardingPolicyOf(network: HostNetwork, log: TunnelRecord[]): ForwardingPolicy {
  return {
    local: (_login, host, port) => endpointOf(network, host, port) !== undefined,
    connect: (login, host, port) => {
      const endpoint = endpointOf(network, host, port)
      if (!endpoint) throw new Error(`no route to ${host}:${port}`)
      const socket = 'path' in endpoint ? createConnection(endpoint.path) : createConnection(endpoint.port, endpoint.host)
      socket.once('connect', () => log.push({ user: login.username, to: `${host}:${port}` }))
      return socket
    },
    remote: (_login, address) => ['127.0.0.1', 'localhost', ''].includes(address),
  }
}
