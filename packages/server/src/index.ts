/**
 * `@x/server`: a real SSH and SFTP server in a few lines, over `@x/transport`'s server role.
 * The public surface, listed by hand.
 * @packageDocumentation
 */
export { SftpServer, fsSftp } from './sftp/sftp-server.js'
export type { FsSftpOptions, SftpSubsystemHandler } from './sftp/sftp-server.js'
export type { SftpSessionEnd, SftpSessionEndReason } from './sftp/session.js'
