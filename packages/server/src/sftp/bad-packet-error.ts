/** The error of a malformed SFTP packet; the session that meets one is closed. */
/** Thrown when a packet is malformed: a field runs past its end, or a length is out of bounds. */
export class BadPacketError extends Error {
  override readonly name = 'BadPacketError'
}
