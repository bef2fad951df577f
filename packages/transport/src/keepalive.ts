/**
 * OpenSSH's ServerAliveInterval/ServerAliveCountMax for a Transport: every `intervalMs` without
 * inbound traffic a `keepalive@openssh.com` global request goes out; when `countMax` of them are
 * outstanding at the next tick, the peer is declared dead ((countMax + 1) × interval at most).
 */
import { TimeoutError } from './errors.js'

/** What the keepalive needs from its transport. */
export interface KeepaliveHooks {
  /** Sends one keepalive request; `onReply` runs on any reply (success or failure). */
  ping(onReply: () => void): void
  /** The peer is dead: close the transport with this error. */
  dead(err: TimeoutError): void
}

/** A running keepalive; {@link Keepalive.stop} ends it. @internal */
export class Keepalive {
  readonly #hooks: KeepaliveHooks
  readonly #intervalMs: number
  readonly #countMax: number
  #outstanding = 0
  #sawTraffic = false
  #timer: NodeJS.Timeout | undefined

  /** Starts ticking every `intervalMs` (unref'd: it never keeps the process alive by itself). */
  constructor(hooks: KeepaliveHooks, intervalMs: number, countMax: number) {
    this.#hooks = hooks
    this.#intervalMs = intervalMs
    this.#countMax = countMax
    this.#timer = setInterval(() => this.#tick(), intervalMs)
    this.#timer.unref()
  }

  /** Notes inbound traffic: the peer is alive, whatever else is queued. */
  traffic(): void {
    this.#sawTraffic = true
  }

  /** Stops the timer. */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = undefined
  }

  #tick(): void {
    if (this.#sawTraffic) {
      this.#sawTraffic = false
      this.#outstanding = 0
    }
    if (this.#outstanding >= this.#countMax) {
      this.stop()
      const bound = this.#intervalMs * (this.#countMax + 1)
      this.#hooks.dead(
        new TimeoutError(`no answer to ${this.#outstanding} keepalive requests (every ${this.#intervalMs} ms)`, {
          phase: 'keepalive',
          timeoutMs: bound,
        }),
      )
      return
    }
    this.#outstanding++
    this.#hooks.ping(() => {
      this.#outstanding = 0
    })
  }
}
