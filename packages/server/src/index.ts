/**
 * `@x/server`: a real SSH and SFTP server in a few lines, over `@x/transport`'s server role.
 * The public surface, listed by hand.
 * @packageDocumentation
 */
export {}
