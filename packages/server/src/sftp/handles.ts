/**
 * Open file and directory handles of one SFTP session (draft-ietf-secsh-filexfer-02 §6.3, §6.7):
 * opaque ids never reused within a session, a per-session cap, and per-handle tracking of the
 * operations in flight so CLOSE (and FSTAT, FSETSTAT, fsync) wait for earlier pipelined I/O.
 */
import type { Dir } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import { SftpStatus } from './constants.js'
import { SftpStatusError } from './status.js'

/** An open file. */
export interface OpenFile {
  /** Discriminates files from directories. */
  readonly kind: 'file'
  /** The open file. */
  readonly file: FileHandle
  /** The file's host path when opened (for fstatvfs). */
  readonly real: string
  /** Whether the file was opened with SSH_FXF_APPEND (writes go to its end). */
  readonly append: boolean
  /** Whether the file was opened for writing. */
  readonly writable: boolean
}

/** An open directory being listed. */
export interface OpenDir {
  /** Discriminates directories from files. */
  readonly kind: 'dir'
  /** The directory stream. */
  readonly dir: Dir
  /** The directory's host path (for lstat of its entries). */
  readonly real: string
}

/** Either kind of handle. */
export type OpenHandle = OpenFile | OpenDir

interface Slot {
  readonly handle: OpenHandle
  readonly inFlight: Set<Promise<unknown>>
}

const badHandle = (): SftpStatusError => new SftpStatusError(SftpStatus.FAILURE, 'Invalid handle')

/** The handle table of one session. */
export class HandleTable {
  readonly #slots = new Map<string, Slot>()
  readonly #closing = new Set<Promise<void>>()
  readonly #max: number
  #next = 0

  /** Creates a table that refuses more than `max` open handles. */
  constructor(max: number) {
    this.#max = max
  }

  /** Returns how many handles are open. */
  get size(): number {
    return this.#slots.size
  }

  /** Returns true when another handle may be opened. */
  get hasRoom(): boolean {
    return this.#slots.size < this.#max
  }

  /** Registers an open file or directory and returns its handle string. */
  add(handle: OpenHandle): Buffer {
    const id = Buffer.allocUnsafe(4)
    id.writeUInt32BE(this.#next++ >>> 0)
    this.#slots.set(id.toString('hex'), { handle, inFlight: new Set() })
    return id
  }

  /**
   * Runs `op` on the handle named `id` (which must be of `kind`), tracked as in flight.
   * With `barrier`, first waits for every operation already in flight on that handle.
   */
  async use<K extends OpenHandle['kind'], T>(
    id: Buffer,
    kind: K,
    op: (h: Extract<OpenHandle, { kind: K }>) => Promise<T>,
    barrier = false,
  ): Promise<T> {
    const slot = this.#slots.get(id.toString('hex'))
    if (slot === undefined || slot.handle.kind !== kind) throw badHandle()
    const before = barrier ? [...slot.inFlight] : []
    const run = (async () => {
      if (before.length > 0) await Promise.allSettled(before)
      return op(slot.handle as Extract<OpenHandle, { kind: K }>)
    })()
    slot.inFlight.add(run)
    try {
      return await run
    } finally {
      slot.inFlight.delete(run)
    }
  }

  /** Closes the handle named `id` after its in-flight operations; unknown ids are an error. */
  async close(id: Buffer): Promise<void> {
    const key = id.toString('hex')
    const slot = this.#slots.get(key)
    if (slot === undefined) throw badHandle()
    this.#slots.delete(key)
    const closing = drainAndClose(slot)
    this.#closing.add(closing)
    try {
      await closing
    } finally {
      this.#closing.delete(closing)
    }
  }

  /** Closes every handle (end of session), each after its in-flight operations; never throws. */
  async closeAll(): Promise<void> {
    const slots = [...this.#slots.values()]
    this.#slots.clear()
    await Promise.allSettled([...slots.map(drainAndClose), ...this.#closing])
  }
}

async function drainAndClose(slot: Slot): Promise<void> {
  await Promise.allSettled([...slot.inFlight])
  const h = slot.handle
  if (h.kind === 'file') await h.file.close()
  else await h.dir.close()
}
