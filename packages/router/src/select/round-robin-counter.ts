/**
 * The rotation `route_select: round-robin` needs: one counter per service, kept by the router.
 * Process-local: instances sharing an etcd store each rotate on their own, so the pool sees the
 * sum of several even rotations (even overall, not a strict global turn order).
 */

/** Per-service turn counters for `route_select: round-robin`; one per router, for its lifetime. */
export class RoundRobinCounter {
  readonly #turns = new Map<string, number>()

  /**
   * Returns this service's turn number (0, 1, 2, … per service) and advances it. Wraps to 0
   * before losing integer precision.
   */
  next(service: string): number {
    const turn = this.#turns.get(service) ?? 0
    this.#turns.set(service, turn >= Number.MAX_SAFE_INTEGER ? 0 : turn + 1)
    return turn
  }

  /** Returns this service's next turn number without advancing it. */
  peek(service: string): number {
    return this.#turns.get(service) ?? 0
  }

  /** Forgets every service's turn (a config reload may do this; it is never required). */
  reset(): void {
    this.#turns.clear()
  }
}
