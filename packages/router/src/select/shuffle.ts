/** A uniform shuffle with a random source the caller can seed (`route_select: random`). */

/**
 * Returns a shuffled copy of `items` (Fisher–Yates, from the last place down): every order is
 * equally likely when `random` is uniform on [0, 1). `items` is not changed.
 *
 * @throws RangeError when `random` returns a value outside [0, 1).
 */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const r = random()
    if (!(r >= 0 && r < 1)) throw new RangeError(`random() must return a number in [0, 1), got ${r}`)
    const j = Math.floor(r * (i + 1))
    const t = out[i] as T
    out[i] = out[j] as T
    out[j] = t
  }
  return out
}
