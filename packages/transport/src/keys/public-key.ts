import { createHash } from 'node:crypto'
import { inspect } from 'node:util'
import { KeyError } from '../errors.js'
import { checkPublicBlob, decodeBase64Strict } from './ssh-wire.js'

/**
 * Holds an SSH public key: a host key the server presented, a line of known_hosts, or the public
 * half of a {@link PrivateKey}. paramiko's `PKey` (public part): `get_name()` is {@link type},
 * `asbytes()` is {@link blob}, `get_fingerprint()` is {@link fingerprint} (SHA256 here, as OpenSSH).
 *
 * @example
 * ```ts
 * const key = PublicKey.parse('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI… me@laptop')
 * console.log(key.type, key.fingerprint) // ssh-ed25519 SHA256:…
 * ```
 */
export class PublicKey {
  /** Key type as named in the blob, e.g. 'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ssh-rsa'. */
  readonly type: string
  /** 'SHA256:' and the unpadded base64 of SHA-256 over the blob, exactly as `ssh-keygen -lf` prints it. */
  readonly fingerprint: string
  /** The comment that followed the key in its OpenSSH line, or '' (never part of equality). */
  readonly comment: string
  readonly #blob: Buffer

  private constructor(type: string, blob: Buffer, comment: string) {
    this.type = type
    this.#blob = blob
    this.comment = comment
    this.fingerprint = `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`
  }

  /** Returns a copy of the SSH wire-format public key (RFC 4253 §6.6): the bytes the fingerprint hashes. */
  get blob(): Buffer {
    return Buffer.from(this.#blob)
  }

  /**
   * Reads a public key from its SSH wire format, the type taken from the blob's first string.
   * paramiko's `PKey.from_type_string` / `RSAKey(data=…)`.
   *
   * @param blob - The key as the server's key exchange or a known_hosts line's base64 field holds it.
   * @param comment - Kept as {@link PublicKey.comment}; default ''.
   * @throws {@link KeyError} `reason: 'invalid'` when the bytes are not a well-formed key.
   * @throws {@link KeyError} `reason: 'unsupported'` for a well-formed blob of a type not supported
   *   here (certificates among them).
   * @throws TypeError when `blob` is not a Buffer or Uint8Array.
   */
  static fromBlob(blob: Buffer | Uint8Array, comment = ''): PublicKey {
    if (!(blob instanceof Uint8Array)) throw new TypeError('PublicKey.fromBlob expects a Buffer')
    const copy = Buffer.from(blob)
    const checked = checkPublicBlob(copy)
    if (checked === 'invalid') throw new KeyError('malformed SSH public key blob', { reason: 'invalid' })
    if (checked === 'unsupported') {
      throw new KeyError('unsupported SSH public key type', { reason: 'unsupported' })
    }
    return new PublicKey(checked.type, copy, comment)
  }

  /**
   * Reads one OpenSSH public key line, `type base64 [comment]`, as a `.pub` file or
   * `ssh-keyscan` prints it. For a whole file, the first line that is neither blank nor a `#`
   * comment is read.
   *
   * @throws {@link KeyError} `reason: 'invalid'` when there is no key line, the base64 is bad, or
   *   the type named in the line differs from the blob's.
   * @throws {@link KeyError} `reason: 'unsupported'` for a key type not supported here.
   * @throws TypeError when `lineOrText` is neither a string nor a Buffer.
   */
  static parse(lineOrText: string | Buffer): PublicKey {
    if (typeof lineOrText !== 'string' && !Buffer.isBuffer(lineOrText)) {
      throw new TypeError('PublicKey.parse expects a string or Buffer')
    }
    const lines = lineOrText.toString('utf8').split(/\r?\n/)
    const line = lines.map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#'))
    const m = line === undefined ? null : /^(\S+)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(line)
    if (m === null) throw new KeyError('no OpenSSH public key line found', { reason: 'invalid' })
    const [, type = '', base64 = '', comment = ''] = m
    const blob = decodeBase64Strict(base64)
    if (blob === undefined) throw new KeyError(`bad base64 in ${type} public key`, { reason: 'invalid' })
    const key = PublicKey.fromBlob(blob, comment)
    if (key.type !== type) {
      throw new KeyError(`public key line says ${type} but holds a ${key.type} key`, { reason: 'invalid' })
    }
    return key
  }

  /** Returns the OpenSSH form 'type base64', without the comment (as `known_hosts` stores it). */
  toString(): string {
    return `${this.type} ${this.#blob.toString('base64')}`
  }

  /** Tells whether `other` is the same key (same blob); comments are ignored. */
  equals(other: PublicKey): boolean {
    return other instanceof PublicKey && this.#blob.equals(other.#blob)
  }

  /** Returns `{ type, fingerprint, key }` for JSON, `key` being {@link toString}. */
  toJSON(): { type: string; fingerprint: string; key: string } {
    return { type: this.type, fingerprint: this.fingerprint, key: this.toString() }
  }

  /** Shows type and fingerprint in `util.inspect`. */
  [inspect.custom](): string {
    return `PublicKey { ${this.type} ${this.fingerprint} }`
  }
}
