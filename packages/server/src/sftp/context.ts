/** What every request handler of one SFTP session works with. Internal to the SFTP server. */
import type { PayloadReader } from './codec.js'
import type { HandleTable } from './handles.js'
import type { RootedFs } from './rooted-fs.js'
import type { SerialQueue } from './serial-queue.js'
import { denied } from './status.js'

/** The state one request handler sees. */
export interface SessionContext {
  /** Path resolution inside root. */
  readonly fs: RootedFs
  /** This session's open handles. */
  readonly handles: HandleTable
  /** Whether every write is refused. */
  readonly readOnly: boolean
  /** The most handles one session may hold open (announced in limits@openssh.com). */
  readonly maxHandles: number
  /** Serializes path operations across the handler's sessions. */
  readonly paths: SerialQueue
}

/** Handles one request: parses the rest of its payload and returns the framed answer. */
export type RequestHandler = (id: number, r: PayloadReader, ctx: SessionContext) => Promise<Buffer>

/** Throws PERMISSION_DENIED when the session is read-only. */
export function assertWritable(ctx: SessionContext): void {
  if (ctx.readOnly) throw denied('Read-only server')
}
