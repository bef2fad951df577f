/** How a forward learns that its Transport ended. @internal */
import type { SSHError, Transport } from '@x/transport'

/**
 * Calls `fn` with the cause when `transport` ends (`transport.wait()`), unless the returned
 * function was called first. Only a small holder stays with the Transport's promise after that,
 * not `fn` nor what it closes over, so a closed forward is not kept alive by a live Transport.
 * @internal
 */
export function onTransportEnd(transport: Transport, fn: (error: SSHError | undefined) => void): () => void {
  const watch: { fn?: typeof fn } = { fn }
  void transport.wait().then((error) => watch.fn?.(error))
  return () => {
    delete watch.fn
  }
}
