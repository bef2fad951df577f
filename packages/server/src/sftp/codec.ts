/**
 * The SFTP wire codec, in one import: packet framing with a size cap, the payload reader and the
 * packet writer (draft-ietf-secsh-filexfer-02 §3, RFC 4251 §5 types). Internal to the SFTP server.
 */
export { BadPacketError } from './bad-packet-error.js'
export { PacketFramer } from './packet-framer.js'
export type { RawPacket } from './packet-framer.js'
export { PacketWriter } from './packet-writer.js'
export { PayloadReader } from './payload-reader.js'
