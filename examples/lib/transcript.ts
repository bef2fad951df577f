/** The demo's readable transcript: numbered steps with their outcome and time, and a summary. */

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

/** Prints steps as they run and remembers them for the summary. */
export class Transcript {
  readonly #started = Date.now()
  readonly #steps: Array<{ title: string; ms: number }> = []

  /** Prints `title`, runs `work`, and records how long it took; a failure propagates. */
  async step<T>(title: string, work: () => Promise<T>): Promise<T> {
    console.log(`\n▶ ${this.#steps.length + 1}. ${title}`)
    const at = Date.now()
    const value = await work()
    this.#steps.push({ title, ms: Date.now() - at })
    return value
  }

  /** Prints an outcome line of the current step. */
  ok(text: string): void {
    console.log(`  ✓ ${text}`)
  }

  /** Prints an indented detail line. */
  note(text: string): void {
    console.log(`    ${text}`)
  }

  /** Prints every step with its time, and the total. */
  summary(): void {
    console.log('\n▶ Summary')
    for (const [i, s] of this.#steps.entries()) console.log(`  ✓ ${String(i + 1).padStart(2)}. ${s.title.padEnd(56)} ${seconds(s.ms)}`)
    console.log(`✔ demo finished: ${this.#steps.length} steps in ${seconds(Date.now() - this.#started)}, everything closed`)
  }
}
