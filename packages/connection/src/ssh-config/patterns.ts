/**
 * OpenSSH's pattern matching (match.c): `*` and `?` wildcards, comma-separated pattern lists
 * with `!` negation. `?` matches exactly one character; matching is byte-for-byte (case matters)
 * unless a caller lower-cases, as `match_hostname()` does.
 */

/** Lower-cases ASCII letters only, as C's `tolower()` in the C locale does. */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase())
}

/** Tells whether `s` matches one wildcard `pattern` (match.c `match_pattern()`). */
export function matchPattern(s: string, pattern: string): boolean {
  // Iterative glob with backtracking to the last `*`: linear memory, no recursion blow-up.
  let si = 0
  let pi = 0
  let starP = -1
  let starS = 0
  while (si < s.length) {
    const pc = pattern.charAt(pi)
    if (pi < pattern.length && (pc === '?' || pc === s.charAt(si)) && pc !== '*') {
      si++
      pi++
    } else if (pi < pattern.length && pc === '*') {
      starP = pi++
      starS = si
    } else if (starP >= 0) {
      pi = starP + 1
      si = ++starS
    } else {
      return false
    }
  }
  while (pattern.charAt(pi) === '*') pi++
  return pi === pattern.length
}

/**
 * Matches `s` against a comma-separated pattern list (match.c `match_pattern_list()`):
 * -1 when a negated pattern matches, 1 for a positive match, 0 otherwise.
 */
export function matchPatternList(s: string, list: string, lowerPatterns: boolean): -1 | 0 | 1 {
  let positive = false
  for (const raw of splitList(list)) {
    const negated = raw.startsWith('!')
    let sub = negated ? raw.slice(1) : raw
    // OpenSSH copies each sub-pattern into a 1024-byte buffer and fails a longer one.
    if (sub.length >= 1023) return 0
    if (lowerPatterns) sub = asciiLower(sub)
    if (matchPattern(s, sub)) {
      if (negated) return -1
      positive = true
    }
  }
  return positive ? 1 : 0
}

/** Matches a host name against a pattern list, case-insensitively (match.c `match_hostname()`). */
export function matchHostname(host: string, list: string): -1 | 0 | 1 {
  return matchPatternList(asciiLower(host), list, true)
}

function splitList(list: string): string[] {
  // match_pattern_list() walks the string: a trailing comma yields no empty last pattern.
  const parts = list.split(',')
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop()
  return parts
}
