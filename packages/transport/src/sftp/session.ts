/**
 * Owns one ssh2 SFTP wrapper: listens to it (always with an 'error' listener), turns its
 * callbacks into promises, tracks every pending call so that all of them reject when the channel
 * closes, and honours each call's AbortSignal.
 */
import { onAbort } from '../internal/abort.js'
import { channelWritable } from '../internal/protocol-internals.js'
import type { SftpWire } from '../internal/sftp-wire.js'
import { connectionLost, sftpStatusOf, translateSftpError, type SftpOperation } from './sftp-errors.js'

/** The callback shape of the protocol library's SFTP methods. */
export type SftpCallback<T> = (err: Error | null | undefined, value?: T) => void

/** One call: what it is (for errors), its signal, and how to release a result nobody awaits. */
export interface SftpRequest<T> extends SftpOperation {
  readonly signal?: AbortSignal | undefined
  /** Releases a result that arrives after the caller gave up (for example, closes a late handle). */
  readonly release?: ((value: T) => void) | undefined
}

/** Tells whether `value` looks like the protocol library's SFTP session ({@link SftpWire}). @internal */
export function isSftpWrapper(value: unknown): value is SftpWire {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return ['open', 'close', 'read', 'write', 'stat', 'end', 'on'].every((m) => typeof v[m] === 'function')
}

/**
 * Wraps the protocol library's SFTP wrapper. `onShutdown` runs once, at the first of: the wrapper's 'error',
 * 'end' or 'close', or {@link SftpSession.shutdown}.
 */
export class SftpSession {
  /** The SFTP session every request goes through. @internal */
  readonly wrapper: SftpWire
  readonly #pending = new Set<(cause: unknown) => void>()
  readonly #onShutdown: (cause: unknown) => void
  #lost = false
  #cause: unknown
  #channelClosed = false
  readonly #channelCloseWaiters: Array<() => void> = []

  /** Attaches 'error', 'end' and 'close' listeners to `wrapper`; they stay for its lifetime. @internal */
  constructor(wrapper: SftpWire, onShutdown: (cause: unknown) => void) {
    this.wrapper = wrapper
    this.#onShutdown = onShutdown
    wrapper.on('error', (err: unknown) => this.shutdown(err))
    wrapper.on('end', () => this.shutdown(undefined))
    wrapper.on('close', () => {
      this.#channelClosed = true
      this.shutdown(undefined)
      for (const wake of this.#channelCloseWaiters.splice(0)) wake()
    })
  }

  /** Tells whether calls can still be made. */
  get isOpen(): boolean {
    return !this.#lost && this.#channelWritable()
  }

  /** Marks the session lost and rejects every pending call with ConnectionLostError. */
  shutdown(cause: unknown): void {
    if (this.#lost) return
    this.#lost = true
    this.#cause = cause
    for (const fail of [...this.#pending]) fail(cause)
    this.#onShutdown(cause)
  }

  /** Resolves when the wrapper emitted 'close', or after `timeoutMs`, whichever comes first. */
  waitChannelClosed(timeoutMs: number): Promise<void> {
    if (this.#channelClosed) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs)
      timer.unref()
      this.#channelCloseWaiters.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  /** Translates an error thrown or reported for `o`, knowing whether the channel is gone. */
  translate(err: unknown, o: SftpOperation): Error {
    return translateSftpError(err, o, this.#lost || !this.#channelWritable())
  }

  /**
   * Runs one SFTP request as a promise. Rejects with `signal.reason` on abort (a late result is
   * handed to `release`), with SFTPError for a server status, and with ConnectionLostError when
   * the channel is or becomes closed.
   */
  run<T>(r: SftpRequest<T>, start: (cb: SftpCallback<T>) => void): Promise<T> {
    const { signal } = r
    if (signal?.aborted) return Promise.reject(signal.reason)
    if (!this.isOpen) return Promise.reject(connectionLost(r, this.#cause))
    return new Promise<T>((resolve, reject) => {
      let settled = false
      let aborting: Disposable | undefined
      const settle = (): boolean => {
        if (settled) return false
        settled = true
        this.#pending.delete(onLost)
        aborting?.[Symbol.dispose]()
        return true
      }
      const onLost = (cause: unknown): void => {
        if (settle()) reject(connectionLost(r, cause))
      }
      const fail = (err: unknown): void => {
        if (settle()) reject(this.translate(err, r))
      }
      this.#pending.add(onLost)
      aborting = onAbort(signal, (reason) => {
        if (settle()) reject(reason)
      })
      const cb: SftpCallback<T> = (err, value) => {
        if (err) {
          // ssh2 fails pending requests ("No response from server") just before the wrapper
          // emits 'close' in the same tick; waiting one microtask lets onLost classify them.
          if (sftpStatusOf(err) !== undefined) fail(err)
          else queueMicrotask(() => fail(err))
          return
        }
        if (settle()) resolve(value as T)
        else r.release?.(value as T)
      }
      try {
        start(cb)
      } catch (err) {
        fail(err)
      }
    })
  }

  // ssh2 1.17 writes requests into a closed channel without complaint and never answers them.
  #channelWritable(): boolean {
    return channelWritable(this.wrapper)
  }
}
