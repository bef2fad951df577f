/**
 * Runs callbacks when a Transport closes, with one 'close' listener per transport however many
 * forwards watch it (no MaxListenersExceededWarning with many forwards).
 * @internal
 */
import type { SSHError, Transport } from '@x/transport'

const watchers = new WeakMap<Transport, Set<(error: SSHError | undefined) => void>>()

/**
 * Calls `listener` once when `transport` emits 'close', with its error (undefined when the caller
 * closed it); returns a function that stops watching.
 */
export function onTransportClose(transport: Transport, listener: (error: SSHError | undefined) => void): () => void {
  let set = watchers.get(transport)
  if (!set) {
    const created = new Set<(error: SSHError | undefined) => void>()
    watchers.set(transport, created)
    transport.once('close', (error) => {
      watchers.delete(transport)
      for (const watcher of [...created]) watcher(error)
      created.clear()
    })
    set = created
  }
  const live = set
  live.add(listener)
  return () => {
    live.delete(listener)
  }
}
