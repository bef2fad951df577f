/**
 * Algorithm lists as OpenSSH 9.2 (Debian build) knows them, and `kex_assemble_names()`: a list
 * may replace the default, or start with `+` (append), `-` (remove, patterns allowed) or `^`
 * (put first). ssh -G prints the assembled list; so do we.
 */
import { matchPatternList } from '@x/transport'

const list = (s: string): readonly string[] => s.split(',')

/** `ssh -Q cipher` (cipher_alg_list(',', 0)). */
const ALL_CIPHERS = list('3des-cbc,aes128-cbc,aes192-cbc,aes256-cbc,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com')
/** `ssh -Q mac`. */
const ALL_MACS = list('hmac-sha1,hmac-sha1-96,hmac-sha2-256,hmac-sha2-512,hmac-md5,hmac-md5-96,umac-64@openssh.com,umac-128@openssh.com,hmac-sha1-etm@openssh.com,hmac-sha1-96-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-md5-etm@openssh.com,hmac-md5-96-etm@openssh.com,umac-64-etm@openssh.com,umac-128-etm@openssh.com')
/** `ssh -Q kex`. */
const ALL_KEX = list('diffie-hellman-group1-sha1,diffie-hellman-group14-sha1,diffie-hellman-group14-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha1,diffie-hellman-group-exchange-sha256,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,curve25519-sha256,curve25519-sha256@libssh.org,sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com')
/** Debian's GSSAPI key exchange name prefixes (kex.c `gss_kexalgs`), matched by prefix. */
const GSS_KEX_PREFIXES = list('gss-gex-sha1-,gss-group1-sha1-,gss-group14-sha1-,gss-group14-sha256-,gss-group16-sha512-,gss-nistp256-sha256-,gss-curve25519-sha256-')
/** `ssh -Q key-sig`: every key and signature algorithm (sshkey_alg_list(0, 0, 1)). */
const ALL_KEY_TYPES = list('ssh-ed25519,ssh-ed25519-cert-v01@openssh.com,sk-ssh-ed25519@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521,ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,webauthn-sk-ecdsa-sha2-nistp256@openssh.com,ssh-dss,ssh-dss-cert-v01@openssh.com,ssh-rsa,ssh-rsa-cert-v01@openssh.com,rsa-sha2-256,rsa-sha2-256-cert-v01@openssh.com,rsa-sha2-512,rsa-sha2-512-cert-v01@openssh.com')
/** `ssh -Q sig`: plain signature algorithms (sshkey_alg_list(0, 1, 1)). */
const ALL_SIGS = list('ssh-ed25519,sk-ssh-ed25519@openssh.com,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ecdsa-sha2-nistp256@openssh.com,webauthn-sk-ecdsa-sha2-nistp256@openssh.com,ssh-dss,ssh-rsa,rsa-sha2-256,rsa-sha2-512')

/** Defaults as `ssh -G` prints them with no config. */
const DEFAULT_CIPHERS = list('chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com')
const DEFAULT_MACS = list('umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1')
const DEFAULT_KEX = list('sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256')
const DEFAULT_KEY_TYPES = list('ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256')
const DEFAULT_CA_SIGS = list('ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256')
/** Debian's default GSSAPIKexAlgorithms as ssh -G prints it. */
export const DEFAULT_GSS_KEX = 'gss-group14-sha256-,gss-group16-sha512-,gss-nistp256-sha256-,gss-curve25519-sha256-,gss-group14-sha1-,gss-gex-sha1-'

/** One family of algorithm lists: what is valid in a config line and how it assembles. */
export interface AlgorithmFamily {
  /** Every name OpenSSH 9.2 knows for the keyword (`ssh -Q …`), in its order. */
  readonly all: readonly string[]
  /** The default list, in the order `ssh -G` prints it with no config. */
  readonly defaults: readonly string[]
  /** Whether names may be wildcard patterns (key types: sshkey_names_valid2(…, 1)). */
  readonly wildcards: boolean
  /** Tells whether a name is valid when membership in `all` is not the rule (Debian's GSSAPI prefixes). */
  readonly valid?: ((name: string) => boolean) | undefined
  /** Names a config line may use, when not `all` (CASignatureAlgorithms checks against every key type). */
  readonly validNames?: readonly string[] | undefined
}

/** Describes the Ciphers option's algorithms. */
export const CIPHERS: AlgorithmFamily = { all: ALL_CIPHERS, defaults: DEFAULT_CIPHERS, wildcards: false }
/** Describes the MACs option's algorithms. */
export const MACS: AlgorithmFamily = { all: ALL_MACS, defaults: DEFAULT_MACS, wildcards: false }
/** Describes the KexAlgorithms option's algorithms (Debian's GSSAPI names count as valid). */
export const KEX: AlgorithmFamily = {
  all: ALL_KEX, defaults: DEFAULT_KEX, wildcards: false,
  valid: (n) => ALL_KEX.includes(n) || GSS_KEX_PREFIXES.some((p) => n.startsWith(p)),
}
/** Describes HostKeyAlgorithms, PubkeyAcceptedAlgorithms and HostbasedAcceptedAlgorithms. */
export const KEY_TYPES: AlgorithmFamily = { all: ALL_KEY_TYPES, defaults: DEFAULT_KEY_TYPES, wildcards: true }
/** Describes CASignatureAlgorithms: checked against every key type, assembled from the signature algorithms. */
export const CA_SIGS: AlgorithmFamily = { all: ALL_SIGS, defaults: DEFAULT_CA_SIGS, wildcards: true, validNames: ALL_KEY_TYPES }

/** Tells whether a config value is accepted (readconf.c: a `-` list is never checked). */
export function validAlgorithmSpec(family: AlgorithmFamily, spec: string): boolean {
  if (spec.startsWith('-')) return true
  const names = spec.startsWith('+') || spec.startsWith('^') ? spec.slice(1) : spec
  if (names === '') return false
  // strsep() stops at the first empty name, so "a,,b" only checks "a".
  for (const name of names.split(',')) {
    if (name === '') break
    const known = family.validNames ?? family.all
    const ok = family.valid?.(name) ?? known.includes(name)
    if (ok) continue
    if (family.wildcards && known.some((n) => matchPatternList(n, name, false) !== 0)) continue
    return false
  }
  return true
}

function cat(a: readonly string[], b: readonly string[]): string[] {
  const out = [...a]
  for (const n of b) {
    if (n === '') break
    if (!out.includes(n)) out.push(n)
  }
  return out
}

/** Assembles a list like `kex_assemble_names()`; undefined when the result is empty (ssh fails). */
export function assembleAlgorithms(family: AlgorithmFamily, spec: string | undefined): string | undefined {
  if (spec === undefined || spec === '') return family.defaults.join(',')
  if (spec.startsWith('-')) {
    return family.defaults.filter((n) => matchPatternList(n, spec.slice(1), false) !== 1).join(',')
  }
  let names: string[]
  if (spec.startsWith('+')) names = cat(family.defaults, spec.slice(1).split(','))
  else if (spec.startsWith('^')) names = cat(spec.slice(1).split(','), family.defaults)
  else names = spec.split(',')
  let out: string[] = []
  for (const pattern of names) {
    if (pattern.startsWith('!')) return undefined
    out = cat(out, family.all.filter((n) => matchPatternList(n, pattern, false) === 1))
  }
  return out.length === 0 ? undefined : out.join(',')
}
