/**
 * Copies a readable into a caller's writable with backpressure, leaving the writable open
 * (Fabric's `getfo` and Go's `io.Copy` do not close the destination either).
 * @internal
 */
import type { Readable } from 'node:stream'
import { onAbort } from '@x/transport'

/**
 * Writes every chunk of `source` into `dest`, waiting for 'drain' when `dest` asks, and resolves
 * once `dest` has accepted the last chunk (its write callback ran). Rejects when `dest` errors or
 * closes first, or with `signal.reason` on abort; `source` is destroyed then. `dest` is never
 * ended nor destroyed.
 */
export async function writeInto(
  source: Readable,
  dest: NodeJS.WritableStream,
  onChunk: (bytes: number) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  const stop = stopper(dest, signal)
  try {
    let last: Promise<void> = Promise.resolve()
    for await (const chunk of source) {
      const data = chunk as Buffer
      let ok = true
      last = new Promise<void>((resolve, reject) => {
        ok = dest.write(data, (err) => (err ? reject(err) : resolve()))
      })
      last.catch(() => {}) // a failed write also emits 'error', which `stop` reports
      onChunk(data.length)
      if (!ok) await Promise.race([new Promise((resolve) => dest.once('drain', resolve)), stop.promise])
    }
    await Promise.race([last, stop.promise])
  } finally {
    stop.dispose()
  }
}

/** A promise that rejects when `dest` fails or closes, or `signal` aborts; and its cleanup. */
function stopper(dest: NodeJS.WritableStream, signal: AbortSignal | undefined): { promise: Promise<never>; dispose(): void } {
  let fail!: (err: unknown) => void
  const promise = new Promise<never>((_resolve, reject) => {
    fail = reject
  })
  promise.catch(() => {})
  const onError = (err: Error): void => fail(err)
  const onClose = (): void => fail(new Error('the destination stream closed before the download finished'))
  dest.on('error', onError)
  dest.on('close', onClose)
  const aborting = onAbort(signal, fail)
  return {
    promise,
    dispose() {
      dest.off('error', onError)
      dest.off('close', onClose)
      aborting[Symbol.dispose]()
    },
  }
}
