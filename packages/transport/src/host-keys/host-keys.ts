import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { PublicKey } from '../keys/public-key.js'
import { hashHostName, hostFieldMatches, hostKeyName } from './host-pattern.js'
import { parseKnownHostsLine } from './known-hosts-line.js'
import type { KnownHostsLine } from './known-hosts-line.js'
import { hashedLines, writeFileAtomic } from './write-known-hosts.js'

/** What known_hosts says about one host (see {@link HostKeys.lookup}). */
export interface HostKeyLookup {
  /** Keys of ordinary lines that match the host, in file order, without repeats. */
  readonly keys: PublicKey[]
  /** Keys of `@revoked` lines that match the host: never accepted, even when also in `keys`. */
  readonly revoked: PublicKey[]
  /** Whether a `@cert-authority` line matches the host. Such lines never make a key acceptable here. */
  readonly certAuthority: boolean
}

/** The verdict on one key for one host (OpenSSH's HOST_OK, HOST_NEW, HOST_CHANGED, HOST_REVOKED). */
export type HostKeyStatus = 'ok' | 'unknown' | 'mismatch' | 'revoked'

/** A line that was skipped because OpenSSH would skip it. */
export interface MalformedLine {
  /** The file (or the `source` given to `loadText`). */
  readonly source: string
  /** 1-based line number. */
  readonly line: number
  /** Why it was skipped. */
  readonly reason: string
}

/** Options of {@link HostKeys.add} and {@link HostKeys.save}. */
export interface HostKeysWriteOptions {
  /** Stores host names hashed (`|1|salt|hash`), as OpenSSH's HashKnownHosts does. Default false. */
  readonly hash?: boolean | undefined
}

interface StoredLine {
  readonly text: string
  readonly parsed: KnownHostsLine
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

function judge({ keys, revoked }: HostKeyLookup, key: PublicKey): HostKeyStatus {
  if (revoked.some((k) => k.equals(key))) return 'revoked'
  if (keys.some((k) => k.equals(key))) return 'ok'
  return keys.length > 0 ? 'mismatch' : 'unknown'
}

/**
 * Holds OpenSSH known_hosts lines and answers which keys a host may present; paramiko's
 * `HostKeys` (`load`, `lookup`, `check`, `add`, `save`). Matching is OpenSSH's: comma-separated
 * patterns with `*`, `?` and `!negation`, `[host]:port` for ports other than 22, hashed
 * `|1|salt|hash` names, several keys per host, `@revoked` and `@cert-authority` markers.
 * Malformed lines are skipped and listed in {@link HostKeys.malformedLines}; every line read,
 * comments included, is written back by {@link HostKeys.save}.
 *
 * @example
 * ```ts
 * const known = new HostKeys([`${homedir()}/.ssh/known_hosts`])
 * if (known.check('db.internal', 2222, key) !== 'ok') throw new Error('unknown host')
 * ```
 */
export class HostKeys {
  readonly #lines: StoredLine[] = []
  readonly #malformed: MalformedLine[] = []

  /**
   * Loads `files` in order; missing files are skipped.
   *
   * @throws the `fs` error (EACCES, EISDIR…) when a file exists but cannot be read.
   */
  constructor(files: readonly string[] = []) {
    for (const file of files) this.load(file)
  }

  /**
   * Reads `files` without blocking, as the constructor does; missing files are skipped.
   *
   * @throws the `fs` error (EACCES, EISDIR…) when a file exists but cannot be read.
   */
  static async read(files: readonly string[]): Promise<HostKeys> {
    const texts = await Promise.all(
      files.map((file) => readFile(file, 'utf8').catch((err: unknown) => (isMissing(err) ? undefined : Promise.reject(err)))),
    )
    const keys = new HostKeys()
    texts.forEach((text, i) => text !== undefined && keys.loadText(text, files[i]))
    return keys
  }

  /**
   * Adds the lines of a known_hosts file; a missing file adds nothing. paramiko's `HostKeys.load`.
   *
   * @returns The number of usable entries read.
   * @throws the `fs` error (EACCES, EISDIR…) when the file exists but cannot be read.
   */
  load(file: string): number {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      if (isMissing(err)) return 0
      throw err
    }
    return this.loadText(text, file)
  }

  /**
   * Adds the lines of known_hosts text; `source` names it in {@link malformedLines}.
   *
   * @returns The number of usable entries read.
   */
  loadText(text: string, source = '(text)'): number {
    const lines = text.split('\n')
    if (lines.at(-1) === '') lines.pop()
    let entries = 0
    lines.forEach((line, i) => {
      const parsed = parseKnownHostsLine(line)
      this.#lines.push({ text: line, parsed })
      if (parsed.kind === 'entry') entries++
      else if (parsed.kind === 'malformed') this.#malformed.push({ source, line: i + 1, reason: parsed.why })
    })
    return entries
  }

  /** Lists the lines skipped as malformed, as OpenSSH skips them. */
  get malformedLines(): readonly MalformedLine[] {
    return [...this.#malformed]
  }

  /** Counts the usable entries held. */
  get size(): number {
    return this.#lines.filter((l) => l.parsed.kind === 'entry').length
  }

  /**
   * Returns the keys known for `hostname` on `port`, the ones revoked for it, and whether a
   * `@cert-authority` line covers it. paramiko's `HostKeys.lookup`. The host is looked up as
   * OpenSSH does: `host` for port 22, `[host]:port` otherwise, lower-cased; an IP address is
   * looked up as written (`[::1]` and `::1` are the same).
   *
   * @throws RangeError for an empty hostname or a port outside 0–65535.
   */
  lookup(hostname: string, port: number): HostKeyLookup {
    const name = hostKeyName(hostname, port)
    const keys: PublicKey[] = []
    const revoked: PublicKey[] = []
    let certAuthority = false
    for (const { parsed } of this.#lines) {
      if (parsed.kind !== 'entry' || !hostFieldMatches(parsed.entry.hosts, name, parsed.entry.salt)) continue
      const { marker, key } = parsed.entry
      if (marker === 'cert-authority') certAuthority = true
      const list = marker === 'revoked' ? revoked : marker === 'none' ? keys : undefined
      if (list && !list.some((k) => k.equals(key))) list.push(key)
    }
    return { keys, revoked, certAuthority }
  }

  /**
   * Judges `key` for `hostname` on `port` as OpenSSH's client does (`check_key_in_hostkeys`):
   * 'revoked' when a matching `@revoked` line lists it (whatever else says), 'ok' when an
   * ordinary line lists it, 'mismatch' when other keys (of any type) are known for the host,
   * else 'unknown'. `@cert-authority` lines never make a key 'ok' (certificates are not
   * supported: fail closed). For a port other than 22 with nothing known under `[host]:port`,
   * the bare host name is tried as ssh does ("found matching key w/out port"): 'ok' there is
   * 'ok'; a key revoked there is 'revoked' (ssh would call it new: stricter on purpose).
   *
   * @throws RangeError for an empty hostname or a port outside 0–65535.
   */
  check(hostname: string, port: number, key: PublicKey): HostKeyStatus {
    const status = judge(this.lookup(hostname, port), key)
    if (status !== 'unknown' || port === 22 || port === 0) return status
    const bare = judge(this.lookup(hostname, 22), key)
    return bare === 'ok' || bare === 'revoked' ? bare : status
  }

  /**
   * Returns the key types known (and not revoked) for the host, in file order, e.g.
   * `['ssh-ed25519', 'ssh-rsa']`: what OpenSSH uses to prefer host-key algorithms.
   *
   * @throws RangeError for an empty hostname or a port outside 0–65535.
   */
  knownKeyTypes(hostname: string, port: number): string[] {
    const { keys, revoked } = this.lookup(hostname, port)
    const usable = keys.filter((k) => !revoked.some((r) => r.equals(k)))
    return [...new Set(usable.map((k) => k.type))]
  }

  /**
   * Adds an entry for `key` under `hostname`/`port` unless the host already has it; other
   * entries stay (paramiko's `HostKeys.add`, but appending as OpenSSH does). Call
   * {@link save} to write it.
   *
   * @returns Whether a line was added.
   * @throws RangeError for an empty hostname or a port outside 0–65535.
   * @throws TypeError when `key` is not a {@link PublicKey}.
   */
  add(hostname: string, port: number, key: PublicKey, options: HostKeysWriteOptions = {}): boolean {
    if (!(key instanceof PublicKey)) throw new TypeError('key must be a PublicKey')
    const name = hostKeyName(hostname, port)
    if (this.check(hostname, port, key) === 'ok') return false
    const text = `${options.hash === true ? hashHostName(name) : name} ${key.toString()}`
    this.#lines.push({ text, parsed: parseKnownHostsLine(text) })
    return true
  }

  /**
   * Writes every line held (comments and malformed lines included, in load order, then added
   * entries) to `file` atomically: a temporary file in the same directory, then a rename. With
   * `hash`, plain host names are hashed as `ssh-keygen -H` does (patterns and marker lines stay).
   * paramiko's `HostKeys.save`.
   *
   * @throws the `fs` error (EACCES, ENOSPC…) when the file cannot be written; the old file stays.
   */
  async save(file: string, options: HostKeysWriteOptions = {}): Promise<void> {
    const out: string[] = []
    for (const { text, parsed } of this.#lines) {
      if (options.hash === true && parsed.kind === 'entry') out.push(...hashedLines(text, parsed.entry))
      else out.push(text)
    }
    await writeFileAtomic(file, out.map((l) => `${l}\n`).join(''))
  }
}
