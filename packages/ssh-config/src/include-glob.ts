/**
 * Expands an Include pattern the way OpenSSH's bundled glob(3) does with GLOB_TILDE: `*`, `?`
 * and `[…]` per path component, a leading `.` only matched literally, only existing paths
 * returned, results sorted byte-wise. Synchronous, because the resolver is.
 */
import { lstatSync, readdirSync, statSync } from 'node:fs'

const MAGIC = /[*?[]/

function componentRegex(pattern: string): RegExp {
  let re = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i)
    if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern.charAt(++i))
    else if (c === '*') re += '[^]*'
    else if (c === '?') re += '[^]'
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2)
      if (close < 0) {
        re += '\\['
        continue
      }
      let body = pattern.slice(i + 1, close)
      const negate = body.startsWith('!')
      if (negate) body = body.slice(1)
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, (m) => `\\${m}`)}]`
      i = close
    } else re += escapeRe(c)
  }
  return new RegExp(`^${re}$`, 's')
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/-]/g, (m) => `\\${m}`)
}

function exists(path: string): boolean {
  try {
    lstatSync(path)
    return true
  } catch {
    return false
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

/**
 * Returns the paths matching `pattern` (already tilde-expanded and absolute), sorted; an empty
 * list is OpenSSH's GLOB_NOMATCH, which Include silently skips.
 */
export function globInclude(pattern: string): string[] {
  const parts = pattern.split('/')
  let bases = [parts[0] ?? '']
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i] ?? ''
    const last = i === parts.length - 1
    if (!MAGIC.test(part)) {
      const literal = part.replace(/\\(.)/g, '$1')
      bases = bases.map((b) => `${b}/${literal}`)
      continue
    }
    const re = componentRegex(part)
    const next: string[] = []
    for (const base of bases) {
      let names: string[]
      try {
        names = readdirSync(base === '' ? '/' : base)
      } catch {
        continue
      }
      for (const name of names) {
        if (name.startsWith('.') && !part.startsWith('.')) continue
        if (!re.test(name)) continue
        const full = `${base}/${name}`
        if (last || isDir(full)) next.push(full)
      }
    }
    bases = next
  }
  return bases.filter(exists).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
}

/** Expands a leading `~` or `~user` in an Include pattern (GLOB_TILDE). */
export function globTilde(pattern: string, home: string, userHome: (user: string) => string | undefined): string {
  if (!pattern.startsWith('~')) return pattern
  const slash = pattern.indexOf('/')
  const user = slash < 0 ? pattern.slice(1) : pattern.slice(1, slash)
  const rest = slash < 0 ? '' : pattern.slice(slash)
  const dir = user === '' ? home : userHome(user)
  return dir === undefined ? pattern : `${dir}${rest}`
}
