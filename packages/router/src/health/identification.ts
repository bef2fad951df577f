/**
 * Recognises the server's identification line in the first bytes of a connection
 * (RFC 4253 §4.2): `SSH-protoversion-softwareversion [comments]` CR LF, possibly after other
 * lines (which a server may send first), at most 255 bytes with the CR LF. Only SSH-2 servers
 * pass: `SSH-2.0-…`, or `SSH-1.99-…` (a server that also speaks SSH-1, RFC 4253 §5.1).
 */

/** The most bytes accepted before the identification line ends (the line included). */
export const MAX_PREAMBLE_BYTES = 8192

/** RFC 4253 §4.2's limit on the identification line, CR LF included. */
export const MAX_IDENTIFICATION_BYTES = 255

/** What {@link scanIdentification} found in the bytes so far. */
export type IdentificationScan =
  | { readonly kind: 'more' }
  | { readonly kind: 'found'; readonly line: string }
  | { readonly kind: 'bad'; readonly reason: string }

const SSH2 = /^SSH-(?:2\.0|1\.99)-[\x21-\x7e]/

/**
 * Scans `bytes` (everything received so far): `'found'` with the identification line (without
 * CR LF) once a complete `SSH-` line is in; `'bad'` for an `SSH-` line of another protocol
 * version or over 255 bytes, or more than {@link MAX_PREAMBLE_BYTES} without one;
 * `'more'` otherwise. Lines end at LF; a CR before it is dropped (OpenSSH accepts a bare LF).
 */
export function scanIdentification(bytes: Buffer): IdentificationScan {
  let pos = 0
  for (;;) {
    const nl = bytes.indexOf(0x0a, pos)
    const end = nl < 0 ? bytes.length : nl + 1
    const isSsh = bytes.length - pos >= 4 ? bytes.toString('latin1', pos, pos + 4) === 'SSH-' : false
    if (isSsh && end - pos > MAX_IDENTIFICATION_BYTES) return { kind: 'bad', reason: `an identification line longer than ${MAX_IDENTIFICATION_BYTES} bytes` }
    if (end > MAX_PREAMBLE_BYTES) return { kind: 'bad', reason: `no identification line in the first ${MAX_PREAMBLE_BYTES} bytes` }
    if (nl < 0) return { kind: 'more' }
    if (isSsh) {
      const line = bytes.toString('latin1', pos, nl).replace(/\r$/, '')
      if (SSH2.test(line)) return { kind: 'found', line }
      return { kind: 'bad', reason: `not an SSH-2 server: ${JSON.stringify(line.slice(0, 40))}` }
    }
    pos = end
  }
}
