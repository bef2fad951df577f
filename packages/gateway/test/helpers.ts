import { readdirSync, readFileSync } from 'node:fs'
import type { Duplex } from 'node:stream'

/** Lists the PIDs of every process (zombies included) whose process group is `pgid`, from /proc. */
export function groupMembers(pgid: number): number[] {
  const out: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    let stat: string
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8')
    } catch {
      continue
    }
    // Fields after the command name, which ends at the last ')': state, ppid, pgrp, …
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (Number(fields[2]) === pgid) out.push(Number(name))
  }
  return out
}

/** Fails after `ms` instead of waiting forever. */
export function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms)
  })
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer))
}

/** Resolves with the error the stream was destroyed with (undefined if none), once it has closed. */
export function closeOf(stream: Duplex, ms = 5000): Promise<Error | undefined> {
  return within(ms, "the stream's 'close'", new Promise((resolve) => {
    if (stream.closed) return resolve(stream.errored ?? undefined)
    stream.once('close', () => resolve(stream.errored ?? undefined))
  }))
}

/** Reads `stream` to its end into one Buffer (bounded). */
export function readAll(stream: Duplex, ms = 10_000): Promise<Buffer> {
  return within(ms, 'reading to the end', (async () => {
    const chunks: Buffer[] = []
    for await (const chunk of stream) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks)
  })())
}
