/**
 * The SFTP v3 server over the real filesystem, confined to a root directory: paramiko's
 * `SFTPServer` with a `chroot`, but with its own codec and OpenSSH's extensions.
 */
import { realpathSync, statSync } from 'node:fs'
import type { Duplex } from 'node:stream'
import type { SessionContext } from './context.js'
import { HandleTable } from './handles.js'
import { RootedFs } from './rooted-fs.js'
import { SerialQueue } from './serial-queue.js'
import { SftpSession } from './session.js'
import type { SftpSessionEnd } from './session.js'

/** Options of {@link SftpServer} and {@link fsSftp}. */
export interface FsSftpOptions {
  /** The directory served as `/`; must exist. Symlinks in the path itself are resolved once, here. */
  readonly root: string
  /** Refuse every write (OPEN for writing, WRITE, SETSTAT, REMOVE, MKDIR, RENAME, links…) with PERMISSION_DENIED. Default false. */
  readonly readOnly?: boolean | undefined
  /** The most handles one session may hold open. Default 256. */
  readonly maxHandles?: number | undefined
}

const DEFAULT_MAX_HANDLES = 256

/**
 * Serves SFTP v3 (draft-ietf-secsh-filexfer-02) over any number of streams, each a session of its
 * own, all confined to one root. Path operations of all its sessions run one at a time, so no
 * client can race its own path checks; file reads and writes run concurrently.
 *
 * @example
 * ```ts
 * const sftp = new SftpServer({ root: '/srv/files', readOnly: true })
 * const end = await sftp.serve(channel) // any Duplex carrying the subsystem's bytes
 * ```
 */
export class SftpServer {
  /** The real path of the served root. */
  readonly root: string
  /** Whether every write is refused. */
  readonly readOnly: boolean
  readonly #fs: RootedFs
  readonly #maxHandles: number
  readonly #paths = new SerialQueue()

  /**
   * Creates a server for `options.root`.
   * @throws {TypeError} when `root` is not a string.
   * @throws {RangeError} when `maxHandles` is not a positive integer.
   * @throws {Error} (ENOENT, ENOTDIR) when `root` is not an existing directory.
   */
  constructor(options: FsSftpOptions) {
    if (typeof options.root !== 'string' || options.root === '') throw new TypeError('fsSftp: root must be a non-empty string')
    const maxHandles = options.maxHandles ?? DEFAULT_MAX_HANDLES
    if (!Number.isInteger(maxHandles) || maxHandles < 1) throw new RangeError('fsSftp: maxHandles must be a positive integer')
    const real = realpathSync(options.root)
    if (!statSync(real).isDirectory()) {
      throw Object.assign(new Error(`fsSftp: root is not a directory: ${options.root}`), { code: 'ENOTDIR' })
    }
    this.root = real
    this.readOnly = options.readOnly ?? false
    this.#fs = new RootedFs(real)
    this.#maxHandles = maxHandles
  }

  /**
   * Serves one session over `stream` until the client ends it or it breaks. Never rejects: a
   * malformed packet destroys the stream and resolves with `'protocol-error'`. Every handle the
   * session opened is closed before it resolves. The stream should allow half-open use (ssh2
   * channels do): answers to requests the client pipelined before its EOF are still written, and
   * the stream is ended once they are.
   */
  serve(stream: Duplex): Promise<SftpSessionEnd> {
    const ctx: SessionContext = {
      fs: this.#fs,
      handles: new HandleTable(this.#maxHandles),
      readOnly: this.readOnly,
      maxHandles: this.#maxHandles,
      paths: this.#paths,
    }
    return new SftpSession(stream, ctx).done
  }
}

/** A subsystem handler: serves SFTP over the stream of one `sftp` subsystem request. */
export type SftpSubsystemHandler = (stream: Duplex) => Promise<SftpSessionEnd>

/**
 * Returns an SFTP subsystem handler over the real filesystem under `root`, shown to clients as `/`.
 * Paramiko's `SFTPServer` with `SFTPServerInterface` over a directory; OpenSSH's `sftp-server`
 * in a chroot (`-R` for `readOnly`). See the README's security model for what confinement promises.
 *
 * @example
 * ```ts
 * const sftp = fsSftp({ root: '/srv/files' })
 * transport.setSubsystemHandler('sftp', (channel) => sftp(channel))
 * ```
 * @throws {TypeError} when `root` is not a string.
 * @throws {RangeError} when `maxHandles` is not a positive integer.
 * @throws {Error} (ENOENT, ENOTDIR) when `root` is not an existing directory.
 */
export function fsSftp(options: FsSftpOptions): SftpSubsystemHandler {
  const server = new SftpServer(options)
  return (stream) => server.serve(stream)
}
