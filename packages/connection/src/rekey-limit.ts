/**
 * ssh_config's RekeyLimit: a new key exchange after so many bytes in either direction, or after
 * so much time, since the last one (ssh_config(5); packet.c `ssh_packet_need_rekeying()`),
 * started with `Transport.renegotiateKeys()`. The protocol library (1.17) never rekeys on its own.
 * @internal
 */
import type { Transport } from '@x/transport'

/** RekeyLimit as decided: `bytes` undefined is `default` (the protocol library's), `intervalMs` undefined is `none`. */
export interface RekeyLimit {
  readonly bytes: number | undefined
  readonly intervalMs: number | undefined
}

/**
 * Reads RekeyLimit as `ssh -G` prints it: `<bytes> <seconds>`, the resolver having applied the
 * K/M/G suffixes and the `default` / `none` forms (0 for either).
 */
export function rekeyLimitFrom(value: string | undefined): RekeyLimit {
  const [bytes = '0', seconds = '0'] = (value ?? '').trim().split(/\s+/)
  const b = Number(bytes)
  const s = Number(seconds)
  return {
    bytes: Number.isFinite(b) && b > 0 ? b : undefined,
    intervalMs: Number.isFinite(s) && s > 0 ? s * 1000 : undefined,
  }
}

/**
 * Rekeys `transport` whenever `limit` is reached: the bytes received or sent since the last key
 * exchange (either side's, a server-started one included) reach `limit.bytes`, or
 * `limit.intervalMs` passed since it. The counters are looked at each time data arrives (the
 * Transport's 'traffic' event; during an upload the peer's window adjustments arrive often).
 * Data already in flight when the exchange starts still arrives under the old keys, as with
 * OpenSSH. Stops with the transport, or when disposed.
 */
export function watchRekeyLimit(transport: Transport, limit: RekeyLimit, log?: (line: string) => void): Disposable {
  const { bytes, intervalMs } = limit
  if (bytes === undefined && intervalMs === undefined) return { [Symbol.dispose]: () => {} }
  let baseRead = transport.bytesRead
  let baseWritten = transport.bytesWritten
  let rekeying = false
  let timeTimer: NodeJS.Timeout | undefined

  const start = (why: string): void => {
    if (rekeying || !transport.isActive) return
    rekeying = true
    log?.(`rekey: ${why}`)
    transport.renegotiateKeys().then(
      () => {
        rekeying = false
      },
      (err: unknown) => {
        rekeying = false
        log?.(`rekey: the key re-exchange failed (${err instanceof Error ? err.message : String(err)})`)
      },
    )
  }
  const armTime = (): void => {
    if (intervalMs === undefined) return
    clearTimeout(timeTimer)
    timeTimer = setTimeout(() => start(`${intervalMs / 1000} s since the last key exchange`), intervalMs).unref()
  }
  const onTraffic = (read: number, written: number): void => {
    if (bytes !== undefined && (read - baseRead >= bytes || written - baseWritten >= bytes)) start(`${bytes} bytes since the last key exchange`)
  }
  const onRekey = (): void => {
    baseRead = transport.bytesRead
    baseWritten = transport.bytesWritten
    armTime()
  }
  const stop = (): void => {
    clearTimeout(timeTimer)
    transport.off('traffic', onTraffic)
    transport.off('rekey', onRekey)
    transport.off('close', stop)
  }
  transport.on('rekey', onRekey)
  transport.once('close', stop)
  if (bytes !== undefined) transport.on('traffic', onTraffic)
  armTime()
  return { [Symbol.dispose]: stop }
}
