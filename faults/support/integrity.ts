/**
 * Helpers of the integrity cases: which cipher × MAC pairs both ssh2 and the local OpenSSH
 * support, and one attempt to log in and run a command through a relay.
 */
import { runCommand, type SshServerHandle } from '@x/testbed'
import { Connection } from '@x/connection'
import { SSHError, TimeoutError, Transport, knownHosts, supportedAlgorithms, type ExitStatus, type NegotiatedAlgorithms } from '@x/transport'
import { failure, since, within } from './outcome.js'

/** One cipher and, for a non-AEAD cipher, one MAC. */
export interface CipherPair {
  readonly cipher: string
  /** undefined: an AEAD cipher (GCM, chacha20-poly1305) with its own integrity. */
  readonly mac: string | undefined
}

/** Whether `cipher` authenticates its own packets (RFC 5647 GCM, chacha20-poly1305@openssh.com). */
export function isAead(cipher: string): boolean {
  return cipher.includes('gcm') || cipher.startsWith('chacha20-poly1305')
}

/** A pair as the figures and test names spell it. */
export function pairName(pair: CipherPair): string {
  return pair.mac === undefined ? pair.cipher : `${pair.cipher} + ${pair.mac}`
}

/**
 * Every cipher × MAC pair ssh2 (this build's `supportedAlgorithms`) and the local OpenSSH
 * (`ssh -Q cipher` / `ssh -Q mac`, the same build as sshd) both support; an AEAD cipher counts
 * once, with its implicit MAC.
 */
export async function sharedCipherPairs(): Promise<{ ciphers: string[]; macs: string[]; pairs: CipherPair[] }> {
  const [cipherOut, macOut] = await Promise.all([runCommand('/usr/bin/ssh', ['-Q', 'cipher']), runCommand('/usr/bin/ssh', ['-Q', 'mac'])])
  const opensshCiphers = new Set(cipherOut.stdout.split('\n').map((l) => l.trim()).filter(Boolean))
  const opensshMacs = new Set(macOut.stdout.split('\n').map((l) => l.trim()).filter(Boolean))
  const ciphers = supportedAlgorithms.cipher.filter((c) => opensshCiphers.has(c))
  const macs = supportedAlgorithms.mac.filter((m) => opensshMacs.has(m))
  const pairs: CipherPair[] = []
  for (const cipher of ciphers) {
    if (isAead(cipher)) pairs.push({ cipher, mac: undefined })
    else for (const mac of macs) pairs.push({ cipher, mac })
  }
  return { ciphers, macs, pairs }
}

/** How one attempt ended. */
export interface AttemptOutcome {
  /** The rejection, or undefined when the command ran. */
  readonly error: unknown
  /** The command's stdout when it ran. */
  readonly stdout: string | undefined
  readonly elapsedMs: number
  /** What the key exchange agreed, if it completed. */
  readonly negotiated: NegotiatedAlgorithms | undefined
}

/** Per-phase limits of an attempt: a hang is bounded by them. */
export const ATTEMPT_TIMEOUTS = { connectMs: 4_000, handshakeMs: 4_000, authMs: 4_000, channelMs: 4_000 } as const

/**
 * Connects through 127.0.0.1:`port` to `server` (its host key checked under its own name),
 * offering only `pair`, logs in with its ed25519 key and runs `command`. Never rejects:
 * the outcome says how it ended. Bounded by `ATTEMPT_TIMEOUTS` plus a hard outer limit.
 */
export async function attemptThrough(port: number, server: SshServerHandle, pair: CipherPair, command = 'echo integrity-ok'): Promise<AttemptOutcome> {
  const t = new Transport(`127.0.0.1:${port}`, {
    hostKeyVerifier: knownHosts({ files: [server.knownHostsFile] }),
    hostname: server.host,
    port: server.port,
    algorithms: pair.mac === undefined ? { cipher: [pair.cipher] } : { cipher: [pair.cipher], mac: [pair.mac] },
    timeouts: ATTEMPT_TIMEOUTS,
  })
  // At the Channel level a connection lost mid-output fails the stream and exitStatus() rejects
  // with ConnectionLostError; the typed reason of the transport's end arrives with its 'close'.
  let closeError: SSHError | undefined
  t.once('close', (err) => (closeError = err))
  const t0 = performance.now()
  let stdout: string | undefined
  const run = async (): Promise<void> => {
    await t.startClient()
    const next = await t.authPublicKey(server.user, server.clientKeys.ed25519.privateText)
    if (next.length > 0) throw new Error(`server wants more: ${next.join(',')}`)
    const { output, status } = await sessionOutput(t, command)
    if (status.code === null) {
      // 'close' is emitted on the next tick after the transport closed.
      await new Promise((resolve) => setImmediate(resolve))
      throw closeError ?? new Error('the channel closed without an exit status, the transport did not say why')
    }
    if (status.code !== 0) throw new Error(`exit status ${String(status.code)}`)
    stdout = output
  }
  const limit = ATTEMPT_TIMEOUTS.connectMs + ATTEMPT_TIMEOUTS.handshakeMs + ATTEMPT_TIMEOUTS.authMs + 2 * ATTEMPT_TIMEOUTS.channelMs
  const error = await failure(within(run(), limit, `attempt through port ${port}`))
  const elapsedMs = since(t0)
  const negotiated = t.negotiated
  if (error === undefined) await t.close()
  else t.destroy()
  return { error, stdout, elapsedMs, negotiated }
}

/** Runs `command` on a new session of `t` with stdin closed; its whole stdout and exit status. */
export async function sessionOutput(t: Transport, command: string): Promise<{ output: string; status: ExitStatus }> {
  const ch = await t.openSession()
  await ch.exec(command)
  ch.end()
  ch.stderr.resume()
  const chunks: Buffer[] = []
  for await (const chunk of ch) chunks.push(Buffer.from(chunk as Buffer))
  return { output: Buffer.concat(chunks).toString(), status: await ch.exitStatus() }
}

/** The error's class, code and (for timeouts) phase, as figures and reports name it. */
export function errorLabel(err: unknown): string {
  if (err === undefined) return 'success'
  if (!(err instanceof SSHError)) return `untyped ${err instanceof Error ? err.name : typeof err}: ${String(err)}`
  return err instanceof TimeoutError ? `${err.name}(${err.code}, phase ${err.phase})` : `${err.name}(${err.code})`
}

/**
 * Runs `command` with a `Connection` through 127.0.0.1:`port` to `server`, offering only `pair`
 * (ssh_config Ciphers/MACs), the host key checked under the server's own name. Never rejects.
 */
export async function runThroughConnection(port: number, server: SshServerHandle, pair: CipherPair, command: string): Promise<AttemptOutcome> {
  const verifier = knownHosts({ files: [server.knownHostsFile] })
  const config = [
    'Host relayed',
    '  HostName 127.0.0.1',
    `  Port ${port}`,
    `  User ${server.user}`,
    `  IdentityFile ${server.clientKeys.ed25519.privatePath}`,
    '  IdentitiesOnly yes',
    `  Ciphers ${pair.cipher}`,
    ...(pair.mac === undefined ? [] : [`  MACs ${pair.mac}`]),
  ].join('\n')
  const c = new Connection('relayed', {
    config: { text: `${config}\n` },
    connectTimeoutMs: ATTEMPT_TIMEOUTS.handshakeMs,
    timeouts: { authMs: ATTEMPT_TIMEOUTS.authMs, channelMs: ATTEMPT_TIMEOUTS.channelMs },
    hostKeys: { policy: (key, _target) => verifier(key, { hostname: server.host, port: server.port }) },
    auth: { agent: false },
    keepalive: false,
  })
  const t0 = performance.now()
  const limit = ATTEMPT_TIMEOUTS.handshakeMs + ATTEMPT_TIMEOUTS.authMs + 2 * ATTEMPT_TIMEOUTS.channelMs
  let stdout: string | undefined
  const error = await failure(within((async () => {
    stdout = (await c.run(command, { timeoutMs: ATTEMPT_TIMEOUTS.channelMs })).stdout
  })(), limit, `run through port ${port}`))
  const elapsedMs = since(t0)
  const negotiated = c.transport?.negotiated
  await c.close()
  return { error, stdout: error === undefined ? stdout : undefined, elapsedMs, negotiated }
}
