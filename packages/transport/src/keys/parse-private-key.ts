/**
 * Reads private key files and parses them with the protocol library (internal/protocol-keys.ts);
 * its error messages become {@link KeyError} reasons in internal/translate-error.ts.
 */
import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { homedir } from 'node:os'
import { KeyError } from '../errors.js'
import { parseProtocolKey, type ProtocolKey } from '../internal/protocol-keys.js'
import { keyParseReason } from '../internal/translate-error.js'
import { pkcs8Kind, pkcs8ToSsh2 } from './pkcs8.js'

/** Largest key file read; OpenSSH's own limit for key files is far below (SSHBUF_MAX_BIGNUM). */
const MAX_KEY_FILE_BYTES = 1024 * 1024

/** Tells whether a string argument is key text rather than a path. */
function looksLikeKeyText(value: string): boolean {
  return value.includes('\n') || /-----BEGIN |PuTTY-User-Key-File-/.test(value)
}

/** Returns the key bytes and a name for messages: the path, or 'from text' for inline keys. @internal */
export async function readKeySource(pathOrText: string | Buffer): Promise<{ data: Buffer; source: string }> {
  if (Buffer.isBuffer(pathOrText)) return { data: pathOrText, source: '(from Buffer)' }
  if (looksLikeKeyText(pathOrText)) return { data: Buffer.from(pathOrText, 'utf8'), source: '(from text)' }
  const path = pathOrText.startsWith('~/') ? homedir() + pathOrText.slice(1) : pathOrText
  let handle
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; the stat below then refuses it.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
    const stat = await handle.stat()
    if (!stat.isFile()) {
      throw new KeyError(`private key path ${path} is not a regular file`, { reason: 'unreadable' })
    }
    if (stat.size > MAX_KEY_FILE_BYTES) {
      throw new KeyError(`private key file ${path} is too large to be a key`, { reason: 'invalid' })
    }
    return { data: await handle.readFile(), source: path }
  } catch (err) {
    if (err instanceof KeyError) throw err
    const code = (err as NodeJS.ErrnoException).code ?? 'error'
    throw new KeyError(`cannot read private key file ${path} (${code})`, { reason: 'unreadable' }, { cause: err })
  } finally {
    await handle?.close()
  }
}

/** Tells whether the key text is encrypted (OpenSSH cipher other than none, PEM DEK-Info, PPK). */
function isEncrypted(text: string): boolean {
  if (/Proc-Type:\s*4,ENCRYPTED|^Encryption: (?!none)/m.test(text)) return true
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]+?)-----END/.exec(text)
  if (m === null) return false
  const body = Buffer.from(m[1] ?? '', 'base64')
  // "openssh-key-v1\0" then string ciphername.
  return body.length > 19 && body.subarray(19, 19 + body.readUInt32BE(15)).toString('latin1') !== 'none'
}

/** Signs and verifies a nonce: a wrong passphrase can decrypt a PEM body into plausible garbage. */
function selfTest(key: ProtocolKey): boolean {
  const data = randomBytes(32)
  const algo = key.type === 'ssh-rsa' ? 'sha256' : undefined
  // ssh2 1.17 returns an Error rather than throwing, whatever its types say.
  const signature: unknown = key.sign(data, algo)
  if (!Buffer.isBuffer(signature)) return false
  return key.verify(data, signature, algo) === true
}

/**
 * Parses private key bytes with the protocol library (PKCS#8 converted first), checks that the
 * result is a working private key, and returns the library's key object.
 *
 * @throws {@link KeyError} with reason 'passphrase', 'unsupported' or 'invalid'.
 * @internal
 */
export function parsePrivateKeyData(data: Buffer, passphrase: Buffer | undefined, source: string): ProtocolKey {
  const text = data.toString('utf8')
  const encrypted = isEncrypted(text)
  let input: string | Buffer = data
  if (pkcs8Kind(text) !== undefined) input = pkcs8ToSsh2(text, passphrase, source)
  else if (encrypted && passphrase === undefined) {
    throw new KeyError(`private key ${source} is encrypted and no passphrase was given`, { reason: 'passphrase' })
  }
  const result = parseProtocolKey(input, passphrase)
  if (result instanceof Error) {
    const reason = keyParseReason(result.message, text)
    const what = reason === 'passphrase' ? 'wrong passphrase for' : reason === 'unsupported' ? 'unsupported' : 'cannot parse'
    throw new KeyError(`${what} private key ${source}`, { reason }, { cause: result })
  }
  const parsed = Array.isArray(result) ? result[0] : result
  if (parsed === undefined) throw new KeyError(`no key in private key ${source}`, { reason: 'invalid' })
  if (!parsed.isPrivateKey()) {
    throw new KeyError(`${source} holds a public key, not a private key`, { reason: 'invalid' })
  }
  if (!selfTest(parsed)) {
    if (encrypted) throw new KeyError(`wrong passphrase for private key ${source}`, { reason: 'passphrase' })
    throw new KeyError(`private key ${source} is damaged: its halves do not match`, { reason: 'invalid' })
  }
  return parsed
}
