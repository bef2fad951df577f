import type { Connection } from '@x/connection'
import type { Client } from 'ssh2'

/** Runs `use` on an opened Connection and always closes it. */
export async function withOurs<T>(open: () => Promise<Connection>, use: (c: Connection) => Promise<T>): Promise<T> {
  const conn = await open()
  try {
    return await use(conn)
  } finally {
    await conn.close()
  }
}

/** Counts a readable's bytes to its end. */
export async function countBytes(stream: AsyncIterable<unknown>): Promise<number> {
  let n = 0
  for await (const chunk of stream) n += (chunk as Buffer).length
  return n
}

export type { Client }
