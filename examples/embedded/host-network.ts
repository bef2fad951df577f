/**
 * What an embedded lab host can reach: `direct-tcpip` channels (ssh -L, ProxyJump, openSocket) go
 * to the names in its route table, and `tcpip-forward` (ssh -R) listens on its loopback.
 */
import { connect, createServer, type Server, type Socket } from 'node:net'
import type { Connection as ServerClient } from 'ssh2'

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

/** Dials `host:port` as `network` allows; undefined when that name is not reachable from here. */
export function dial(network: HostNetwork, host: string, port: number): Socket | undefined {
  const endpoint = network.routes.get(`${host}:${port}`)
  if (endpoint) return 'path' in endpoint ? connect(endpoint.path) : connect(endpoint.port, endpoint.host)
  if (network.loopback && (host === '127.0.0.1' || host === 'localhost')) return connect(port, '127.0.0.1')
  return undefined
}

/** Serves a client's direct-tcpip channels, recording each one opened in `log`. */
export function serveDirectTcpip(client: ServerClient, network: HostNetwork, user: string, log: TunnelRecord[]): void {
  client.on('tcpip', (accept, reject, info) => {
    const target = dial(network, info.destIP, info.destPort)
    if (!target) return reject()
    target.once('error', () => reject())
    target.once('connect', () => {
      log.push({ user, to: `${info.destIP}:${info.destPort}` })
      const channel = accept()
      channel.on('error', () => target.destroy())
      target.on('error', () => channel.destroy())
      channel.on('close', () => target.destroy())
      target.on('close', () => channel.destroy())
      channel.pipe(target).pipe(channel)
    })
  })
}

/** Serves a client's tcpip-forward requests: listens on loopback and opens forwarded-tcpip channels back. */
export function serveRemoteForwards(client: ServerClient): void {
  const listeners = new Map<string, Server>()
  client.on('request', (accept, reject, name, info) => {
    const key = `${info.bindAddr}:${info.bindPort}`
    if (name === 'cancel-tcpip-forward') {
      const server = listeners.get(key)
      if (!server) return reject?.()
      listeners.delete(key)
      server.close()
      return accept?.()
    }
    if (name !== 'tcpip-forward' || !['127.0.0.1', 'localhost', ''].includes(info.bindAddr)) return reject?.()
    const server = createServer((socket) => {
      socket.on('error', () => {})
      client.forwardOut(info.bindAddr, port(), socket.remoteAddress ?? '127.0.0.1', socket.remotePort ?? 0, (err, channel) => {
        if (err) return socket.destroy()
        channel.on('error', () => socket.destroy())
        socket.on('close', () => channel.destroy())
        channel.on('close', () => socket.destroy())
        socket.pipe(channel).pipe(socket)
      })
    })
    const port = (): number => (server.address() as { port: number }).port
    server.on('error', () => reject?.())
    server.listen(info.bindPort, '127.0.0.1', () => {
      listeners.set(`${info.bindAddr}:${port()}`, server)
      accept?.(port())
    })
  })
  client.on('close', () => {
    for (const server of listeners.values()) server.close()
    listeners.clear()
  })
}
