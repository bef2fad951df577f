import { fingerprintOfPublicLine } from './fingerprint.js'
import { knownHostsLines } from './host-keys.js'
import type { ClientKey } from './client-keys.js'
import type { SshServerHandle } from './server-handle.js'

/**
 * Describes an SSH server as every real client runner needs it: where it listens, whom to log
 * in as, the host keys to pin and the client key to offer. Built from a test bed server with
 * {@link clientTargetOf}, or by hand for any other server (our own `listen()`).
 */
export interface ClientTarget {
  /** A loopback address, '127.0.0.1'. */
  readonly host: string
  readonly port: number
  /** The login name. */
  readonly user: string
  /** Every host key the server may offer, as OpenSSH public lines ('ssh-ed25519 AAAA…'). */
  readonly hostKeys: readonly string[]
  /** An unencrypted private key file in OpenSSH format that the server authorizes for `user`. */
  readonly privateKeyPath: string
}

/**
 * Builds the {@link ClientTarget} of a test bed server (`startSshd`, `startDropbear`), offering
 * `key` (default: the Ed25519 client key).
 *
 * @throws TypeError when `key` is passphrase-protected or not in OpenSSH format.
 */
export function clientTargetOf(server: SshServerHandle, key: ClientKey = server.clientKeys.ed25519): ClientTarget {
  if (key.passphrase !== undefined || key.format !== 'openssh') {
    throw new TypeError('a client target needs an unencrypted OpenSSH-format key')
  }
  return {
    host: server.host,
    port: server.port,
    user: server.user,
    hostKeys: server.hostKeys.map((k) => k.publicLine),
    privateKeyPath: key.privatePath,
  }
}

/** Renders the target's OpenSSH known_hosts lines (`[127.0.0.1]:port type base64`). */
export function targetKnownHostsLines(target: ClientTarget): string[] {
  return knownHostsLines(target.host, target.port, target.hostKeys.map(toKey))
}

/** Lists the 'SHA256:…' fingerprints of the target's host keys, as clients pin them. */
export function targetFingerprints(target: ClientTarget): string[] {
  return target.hostKeys.map(fingerprintOfPublicLine)
}

function toKey(publicLine: string): { type: string; publicLine: string; fingerprint: string } {
  const [type = '', blob = ''] = publicLine.trim().split(/\s+/)
  return { type, publicLine: `${type} ${blob}`, fingerprint: fingerprintOfPublicLine(publicLine) }
}
