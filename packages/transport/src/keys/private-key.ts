import { inspect } from 'node:util'
import { attachSsh2Key } from './internal.js'
import { parsePrivateKeyData, readKeySource } from './parse-private-key.js'
import { PublicKey } from './public-key.js'

/** Options of {@link loadPrivateKey}. */
export interface LoadPrivateKeyOptions {
  /** Decrypts an encrypted key. Used once while loading, never stored; '' counts as none. */
  readonly passphrase?: string | Buffer | undefined
}

/**
 * Holds a private key ready for public-key authentication (`Transport.authPublicKey`).
 * paramiko's `PKey` loaded with `from_private_key_file`. Only the type, public half and comment
 * are visible: `util.inspect`, `JSON.stringify` and `String()` never show key material, and the
 * passphrase is not kept.
 *
 * Made by {@link loadPrivateKey} (or {@link PrivateKey.load}); it has no public constructor.
 */
export class PrivateKey {
  /** Key type, e.g. 'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ssh-rsa'. */
  readonly type: string
  /** The public half. */
  readonly publicKey: PublicKey
  /** The comment stored in the key (OpenSSH format only), or ''. */
  readonly comment: string

  private constructor(publicKey: PublicKey, comment: string) {
    this.type = publicKey.type
    this.publicKey = publicKey
    this.comment = comment
  }

  /**
   * Loads a private key from a file path, key text or Buffer; the same as {@link loadPrivateKey}.
   * paramiko's `PKey.from_private_key_file(filename, password)` / `from_private_key(file_obj, password)`.
   *
   * @throws {@link KeyError} see {@link loadPrivateKey}.
   * @throws TypeError when an argument has the wrong type.
   */
  static async load(pathOrText: string | Buffer, options: LoadPrivateKeyOptions = {}): Promise<PrivateKey> {
    if (typeof pathOrText !== 'string' && !Buffer.isBuffer(pathOrText)) {
      throw new TypeError('loadPrivateKey expects a path, key text or a Buffer')
    }
    const { passphrase } = options
    if (passphrase !== undefined && typeof passphrase !== 'string' && !Buffer.isBuffer(passphrase)) {
      throw new TypeError('passphrase must be a string or a Buffer')
    }
    const pass = passphrase === undefined || passphrase.length === 0 ? undefined : Buffer.from(passphrase)
    const { data, source } = await readKeySource(pathOrText)
    try {
      const parsed = parsePrivateKeyData(data, pass, source)
      const key = new PrivateKey(PublicKey.fromBlob(parsed.getPublicSSH()), parsed.comment ?? '')
      attachSsh2Key(key, parsed)
      return key
    } finally {
      pass?.fill(0)
    }
  }

  /** Returns `[PrivateKey type fingerprint]`: never key material. */
  toString(): string {
    return `[PrivateKey ${this.type} ${this.publicKey.fingerprint}]`
  }

  /** Returns `{ type, fingerprint, comment }` for JSON: never key material. */
  toJSON(): { type: string; fingerprint: string; comment: string } {
    return { type: this.type, fingerprint: this.publicKey.fingerprint, comment: this.comment }
  }

  /** Shows type, fingerprint and comment in `util.inspect`. */
  [inspect.custom](): string {
    return `PrivateKey { ${this.type} ${this.publicKey.fingerprint}${this.comment ? ` ${JSON.stringify(this.comment)}` : ''} }`
  }
}

/**
 * Loads a private key: OpenSSH format, PEM (PKCS#1 RSA, SEC1 EC), PKCS#8 (RSA, ECDSA, Ed25519)
 * and PuTTY PPK v2, encrypted or not. A string with a newline or a `-----BEGIN` line is key
 * text; any other string is a file path (a leading `~/` means the home directory).
 * paramiko's `PKey.from_private_key_file(filename, password)`.
 *
 * @example
 * ```ts
 * const key = await loadPrivateKey('~/.ssh/id_ed25519', { passphrase })
 * await transport.authPublicKey('deploy', key)
 * ```
 * @throws {@link KeyError} `reason: 'unreadable'` when the file cannot be read (missing, not a file, no permission).
 * @throws {@link KeyError} `reason: 'passphrase'` when the key is encrypted and no passphrase, or a wrong one, is given.
 * @throws {@link KeyError} `reason: 'unsupported'` for a key format, cipher or type that cannot be used here.
 * @throws {@link KeyError} `reason: 'invalid'` for damaged key data or a public key.
 * @throws TypeError when an argument has the wrong type.
 */
export function loadPrivateKey(pathOrText: string | Buffer, options?: LoadPrivateKeyOptions): Promise<PrivateKey> {
  return PrivateKey.load(pathOrText, options)
}
