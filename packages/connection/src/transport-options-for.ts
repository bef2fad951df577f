/**
 * Maps one host's settings to the options of its Transport: host-key verifier and name, keepalive,
 * algorithms, compression, agent forwarding and the per-phase timeouts.
 * @internal
 */
import type { TransportOptions } from '@x/transport'
import { transportAlgorithms } from './algorithm-policy.js'
import { agentSocket } from './auth-policy.js'
import { hostKeyVerifierFor, loggingVerifier } from './host-key-policy.js'
import type { HostSettings } from './host-settings.js'

/**
 * The Transport options for `settings`; `debug` receives the Transport's trace and the host-key
 * verdicts.
 * @throws ConfigError when an algorithm list names nothing this build supports.
 */
export function transportOptionsFor(settings: HostSettings, debug: ((line: string) => void) | undefined): TransportOptions {
  const verifier = hostKeyVerifierFor(settings.hostKeys)
  const agentForwarding = agentForwardingSocket(settings)
  const connectMs = settings.connectTimeoutMs
  return {
    hostKeyVerifier: debug ? loggingVerifier(verifier, debug) : verifier,
    ...(debug ? { debug } : {}),
    hostname: settings.hostKeys.name,
    port: settings.port,
    keepalive: settings.keepalive,
    algorithms: transportAlgorithms(settings.algorithms),
    ...(agentForwarding ? { agentForwarding, agentForwardingSessions: settings.forwardAgentSessions } : {}),
    compression: settings.compression,
    // connectTimeoutMs / ConnectTimeout bound the handshake too (a ProxyCommand or server that
    // never answers), as the option says; OpenSSH bounds its banner exchange with it.
    timeouts: { connectMs, handshakeMs: connectMs, ...settings.timeouts },
  }
}

/** The agent socket forwarded (ForwardAgent / `forwardAgent`): the auth agent, a path, or a `$VARIABLE`'s value. */
function agentForwardingSocket(settings: HostSettings): string | undefined {
  const wanted = settings.forwardAgent
  if (wanted === false) return undefined
  if (wanted === true) return agentSocket(settings.auth.agent)
  return wanted.startsWith('$') ? process.env[wanted.slice(1)] : wanted
}
