import type { Figure } from '../lib/figure.js'
import { p1Forward } from './p1-forward.js'

/** Every figure of BENCH.md, in table order. */
export const FIGURES: readonly Figure[] = [p1Forward]
