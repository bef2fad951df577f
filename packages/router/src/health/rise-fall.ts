/**
 * The hysteresis between probe outcomes and a host's recorded health: `rise` consecutive
 * successes to go from down to up, `fall` consecutive failures to go from up to down.
 */

/** Two probes to change state: one refused or slow accept is not proof (sshd's MaxStartups drops unauthenticated connections at random under load). */
export const DEFAULT_RISE = 2
/** See {@link DEFAULT_RISE}; a host is taken out after two failed probes, or at once by `reportFailure`. */
export const DEFAULT_FALL = 2

/** One host's probe history, as far as the next state depends on it. */
export class RiseFall {
  readonly #rise: number
  readonly #fall: number
  #state: 'up' | 'down' | undefined
  #streak = 0

  /** Starts with no state: the first outcome is taken as it is. */
  constructor(rise: number, fall: number) {
    this.#rise = rise
    this.#fall = fall
  }

  /** The state last decided; undefined before the first outcome. */
  get state(): 'up' | 'down' | undefined {
    return this.#state
  }

  /** True while outcomes disagree with the state but are not yet enough to change it. */
  get pending(): boolean {
    return this.#streak > 0
  }

  /**
   * Takes one probe outcome and returns the state to record now, or undefined to record
   * nothing. The rule: no state yet → the outcome; the outcome agrees with the state → the
   * state again (its record is refreshed) and the streak ends; it disagrees → the streak grows,
   * and at `rise` (to up) or `fall` (to down) the state changes and is returned. While a streak
   * is short of that nothing is recorded: the record ages, and routing probes before use.
   */
  observe(up: boolean): 'up' | 'down' | undefined {
    const seen = up ? 'up' : 'down'
    if (this.#state === undefined || this.#state === seen) {
      this.#state = seen
      this.#streak = 0
      return seen
    }
    this.#streak++
    if (this.#streak < (up ? this.#rise : this.#fall)) return undefined
    this.#state = seen
    this.#streak = 0
    return seen
  }

  /** Sets the state without a streak (a real connection failed: down at once). */
  force(state: 'up' | 'down'): void {
    this.#state = state
    this.#streak = 0
  }
}
