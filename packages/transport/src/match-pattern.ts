/**
 * OpenSSH's pattern matching (match.c), the one copy in the library: known_hosts host fields
 * here, and Host/Match/IgnoreUnknown/algorithm lists in @x/ssh-config (which re-exports it).
 * `*` matches any run, `?` exactly one character; comma-separated lists with `!` negation.
 * Matching is byte-for-byte (case matters) unless the caller lower-cases, as
 * `match_hostname()` does.
 */

/** Lower-cases ASCII letters only, as C's `tolower()` in the C locale does (OpenSSH's host names). */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase())
}

/** Tells whether `s` matches one wildcard `pattern` (match.c `match_pattern()`). */
export function matchPattern(s: string, pattern: string): boolean {
  // Iterative glob with backtracking to the last `*`: the recursive C's result, linear memory.
  let si = 0
  let pi = 0
  let starP = -1
  let starS = 0
  while (si < s.length) {
    const pc = pattern.charAt(pi)
    if (pi < pattern.length && pc === '*') {
      starP = pi++
      starS = si
    } else if (pi < pattern.length && (pc === '?' || pc === s.charAt(si))) {
      si++
      pi++
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
 * Matches `s` against a comma-separated pattern list (match.c `match_pattern_list()`): -1 when
 * a `!negated` pattern matches (a veto for the whole list), 1 for a positive match, 0 otherwise.
 * `lowerPatterns` lower-cases the patterns (match.c's `dolower`), not `s`.
 */
export function matchPatternList(s: string, list: string, lowerPatterns: boolean): -1 | 0 | 1 {
  let positive = false
  for (const raw of splitList(list)) {
    const negated = raw.startsWith('!')
    let sub = negated ? raw.slice(1) : raw
    // OpenSSH copies each sub-pattern into a 1024-byte buffer and fails the list on a longer one.
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

/** Splits a list as match_pattern_list() walks it: an empty list or a trailing comma yields no empty last pattern. */
function splitList(list: string): string[] {
  if (list === '') return []
  const parts = list.split(',')
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop()
  return parts
}
