/**
 * Runs callbacks when a Transport closes, with one 'close' listener per transport however many
 * forwards watch it (no MaxListenersExceededWarning with many forwards).
 * @internal
 */
import type { Transport } from '@x/transport'

const watchers = new WeakMap<Transport, Set<() => void>>()

/** Calls `listener` once when `transport` emits 'close'; returns a function that stops watching. */
export function onTransportClose(transport: Transport, listener: () => void): () => void {
  let set = watchers.get(transport)
  if (!set) {
    const created = new Set<() => void>()
    watchers.set(transport, created)
    transport.once('close', () => {
      watchers.delete(transport)
      for (const watcher of [...created]) watcher()
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
