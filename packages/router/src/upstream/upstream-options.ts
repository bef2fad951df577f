/** How the router logs in to the hosts of its pools, and how it builds each host's Connection. */
import { Connection, type PrivateKey } from '@x/connection'
import type { HostPort } from '../config/route-settings.js'

/** The router's side of each upstream connection. */
export interface UpstreamOptions {
  /** The account on the host; default the client's user name. */
  readonly user?: string | undefined
  /** The router's key for the hosts (a loaded key or a key file's path). */
  readonly identity?: PrivateKey | string | undefined
  /** known_hosts files holding the hosts' keys; checked strictly (unknown or changed keys refuse). */
  readonly knownHostsFiles: readonly string[]
  /** A bastion the pool sits behind, as `ssh -J` takes it. */
  readonly proxyJump?: string | undefined
  /** Limit of each attempt (TCP connect, handshake and login) before the next host is tried; default 5 s. */
  readonly connectTimeoutMs?: number | undefined
  /** Keepalive on the upstream leg; default 15 s × 3, as the client half's. */
  readonly keepalive?: { readonly intervalMs: number; readonly countMax?: number | undefined } | false | undefined
}

/** The default limit of one upstream attempt. */
export const DEFAULT_UPSTREAM_CONNECT_TIMEOUT_MS = 5_000

/**
 * The Connection to `host` for a client logged in as `clientUser`: no ssh_config, no agent, no
 * default keys — only what `options` names, so the router's own account cannot leak into routing.
 * `agentSocket` reaches the client's agent; sessions forward it only when asked.
 */
export function upstreamConnection(host: HostPort, clientUser: string, options: UpstreamOptions, maxSessions: number, agentSocket?: string): Connection {
  return new Connection(host.host, {
    port: host.port,
    user: options.user ?? clientUser,
    config: false,
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_UPSTREAM_CONNECT_TIMEOUT_MS,
    auth: { privateKeys: options.identity === undefined ? [] : [options.identity], agent: false, lookForKeys: false },
    hostKeys: { knownHostsFiles: options.knownHostsFiles, policy: 'strict', hash: false },
    ...(options.proxyJump ? { proxyJump: options.proxyJump } : {}),
    ...(options.keepalive !== undefined ? { keepalive: options.keepalive } : {}),
    maxSessions,
    // The client's agent, for the sessions whose client asked for it (ssh -A).
    ...(agentSocket ? { forwardAgent: agentSocket, forwardAgentSessions: 'requested' as const } : {}),
  })
}
