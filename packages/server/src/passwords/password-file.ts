/** A password file: `user:hash` lines, hashes made by {@link hashPassword}. */
import { readFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { ConfigError } from '@x/transport'
import { parseHash, verifyParsed } from './scrypt-hash.js'
import type { ParsedHash } from './scrypt-hash.js'

const USER = /^[A-Za-z0-9._][A-Za-z0-9._@-]*$/

/**
 * The users and password hashes of one file, as `x-sshd --password-file` reads it: one
 * `user:$scrypt$…` line per user; `#` comments and blank lines are skipped.
 */
export class PasswordFile {
  readonly #users: ReadonlyMap<string, ParsedHash>
  // An unknown user is checked against this, so the time taken does not tell who exists.
  readonly #decoy: ParsedHash

  private constructor(users: ReadonlyMap<string, ParsedHash>) {
    this.#users = users
    const first = users.values().next().value
    const params = first ?? { ln: 15, r: 8, p: 1 }
    this.#decoy = { ln: params.ln, r: params.r, p: params.p, salt: randomBytes(16), hash: randomBytes(32) }
  }

  /**
   * Parses the text of a password file; `file` names it in errors.
   *
   * @throws ConfigError for a line that is not `user:hash` or a repeated user (file and line set;
   * the hash is never in the message).
   */
  static parse(text: string, file?: string): PasswordFile {
    const users = new Map<string, ParsedHash>()
    const lines = text.split(/\r?\n/)
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim()
      if (line === '' || line.startsWith('#')) continue
      const where = `${file ?? 'password file'}:${i + 1}`
      const colon = line.indexOf(':')
      const user = colon < 0 ? '' : line.slice(0, colon)
      if (!USER.test(user)) throw new ConfigError(`${where}: expected user:hash`, { file, line: i + 1 })
      const parsed = parseHash(line.slice(colon + 1))
      if (!parsed) throw new ConfigError(`${where}: the hash of ${user} is not a valid $scrypt$ hash`, { file, line: i + 1 })
      if (users.has(user)) throw new ConfigError(`${where}: ${user} is listed twice`, { file, line: i + 1 })
      users.set(user, parsed)
    }
    return new PasswordFile(users)
  }

  /**
   * Reads and parses the password file at `path`.
   *
   * @throws ConfigError when the file cannot be read or a line is bad.
   */
  static async load(path: string): Promise<PasswordFile> {
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (err) {
      throw new ConfigError(`cannot read password file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { file: path }, { cause: err })
    }
    return PasswordFile.parse(text, path)
  }

  /** The users the file lists. */
  get users(): readonly string[] {
    return [...this.#users.keys()]
  }

  /** Checks `password` for `user`; an unknown user costs the same hash computation and fails. */
  async check(user: string, password: string): Promise<boolean> {
    const known = this.#users.get(user)
    const ok = await verifyParsed(password, known ?? this.#decoy)
    return ok && known !== undefined
  }
}
