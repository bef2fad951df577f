/**
 * Parses one known_hosts line the way OpenSSH 9.2's `hostkeys_foreach_file` and `sshkey_read`
 * do (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): `[@marker] hosts keytype base64 [comment]`.
 */
import { KeyError } from '../errors.js'
import { PublicKey } from '../keys/public-key.js'
import { decodeBase64Strict } from '../keys/ssh-wire.js'
import { hashedFieldSalt } from './host-pattern.js'

/** The marker in front of a line: none, `@revoked` or `@cert-authority`. */
export type KnownHostsMarker = 'none' | 'revoked' | 'cert-authority'

/** One usable known_hosts entry. */
export interface KnownHostsEntry {
  readonly marker: KnownHostsMarker
  /** The host field as written: a pattern list, or one hashed name `|1|salt|hash`. */
  readonly hosts: string
  /** The salt of a hashed host field; undefined for a pattern list. */
  readonly salt: Buffer | undefined
  readonly key: PublicKey
  /** The text after the host field (key type, base64, comment), as `ssh-keygen -H` reuses it. */
  readonly rest: string
}

/** A parsed line: blank or comment, malformed (skipped, as OpenSSH does), or an entry. */
export type KnownHostsLine =
  | { readonly kind: 'comment' }
  | { readonly kind: 'malformed'; readonly why: string }
  | { readonly kind: 'entry'; readonly entry: KnownHostsEntry }

// sshkey_read takes a key's full type name; the rsa-sha2-* signature names also mean an RSA key
// (short names such as 'ED25519' are refused, checked against ssh-keygen 9.2).
const TYPE_ALIASES: Record<string, string> = { 'rsa-sha2-256': 'ssh-rsa', 'rsa-sha2-512': 'ssh-rsa' }

const WS = /[ \t]/

/** Returns the index of the first space or tab at or after `from`, or the length. */
function fieldEnd(s: string, from: number): number {
  let i = from
  while (i < s.length && !WS.test(s[i] as string)) i++
  return i
}

/** Returns the index of the first character at or after `from` that is not a space or tab. */
function skipSpace(s: string, from: number): number {
  let i = from
  while (i < s.length && WS.test(s[i] as string)) i++
  return i
}

/** Parses one line (without its newline). */
export function parseKnownHostsLine(raw: string): KnownHostsLine {
  const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
  let cp = skipSpace(line, 0)
  if (cp === line.length || line[cp] === '#') return { kind: 'comment' }
  let marker: KnownHostsMarker = 'none'
  while (line[cp] === '@') {
    if (marker !== 'none') return { kind: 'malformed', why: 'more than one marker' }
    // check_markers: the marker ends at the first space in the rest of the line, else the first tab.
    let sp = line.indexOf(' ', cp)
    if (sp === -1) sp = line.indexOf('\t', cp)
    if (sp === -1 || sp <= cp + 1 || sp - cp >= 32) return { kind: 'malformed', why: 'bad marker' }
    const name = line.slice(cp, sp)
    if (name === '@cert-authority') marker = 'cert-authority'
    else if (name === '@revoked') marker = 'revoked'
    else return { kind: 'malformed', why: `unknown marker ${name}` }
    cp = skipSpace(line, sp)
  }
  const hostsEnd = fieldEnd(line, cp)
  const hosts = line.slice(cp, hostsEnd)
  let salt: Buffer | undefined
  if (hosts.startsWith('|')) {
    salt = hashedFieldSalt(hosts)
    if (salt === undefined) return { kind: 'malformed', why: 'bad hashed host field' }
  }
  const keyStart = skipSpace(line, hostsEnd)
  if (keyStart === line.length || line[keyStart] === '#') return { kind: 'malformed', why: 'no key' }
  const typeEnd = fieldEnd(line, keyStart)
  const typeName = line.slice(keyStart, typeEnd)
  const type = TYPE_ALIASES[typeName] ?? typeName
  const b64Start = skipSpace(line, typeEnd)
  const b64End = fieldEnd(line, b64Start)
  const blob = decodeBase64Strict(line.slice(b64Start, b64End))
  if (blob === undefined) return { kind: 'malformed', why: 'bad base64' }
  let key: PublicKey
  try {
    key = PublicKey.fromBlob(blob, line.slice(skipSpace(line, b64End)))
  } catch (err) {
    if (err instanceof KeyError) return { kind: 'malformed', why: err.message }
    throw err
  }
  if (key.type !== type) return { kind: 'malformed', why: `line says ${typeName} but holds ${key.type}` }
  return { kind: 'entry', entry: { marker, hosts, salt, key, rest: line.slice(keyStart) } }
}
