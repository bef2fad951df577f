// Test-only: a SessionChannelLike over memory, recording what runSession sends.
import { Duplex, PassThrough } from 'node:stream'
import type { SessionChannelLike, SessionPty } from '../../src/index.js'

/** A channel whose output is collected in `stdout`/`stderr` and whose exit is recorded. */
export class MemoryChannel extends Duplex implements SessionChannelLike {
  readonly stderr = new PassThrough()
  stdout = ''
  errText = ''
  exitRecord: { code?: number; signal?: string } | undefined
  constructor(
    readonly pty: SessionPty | undefined,
    readonly env: Readonly<Record<string, string>> = {},
  ) {
    super()
    this.stderr.on('data', (d: Buffer) => (this.errText += d.toString()))
  }
  override _read(): void {}
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.stdout += chunk.toString()
    callback()
  }
  exit(code: number): void {
    this.exitRecord = { code }
  }
  exitSignal(name: string): void {
    this.exitRecord = { signal: name }
  }
}
