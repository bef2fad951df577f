import { startPostgres, startSshd, type PostgresHandle, type SshdHandle } from '@x/testbed'
import type { Connection } from '@x/connection'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectionTo } from './helpers.js'

let sshd: SshdHandle
let postgres: PostgresHandle
let c: Connection
beforeAll(async () => {
  ;[sshd, postgres] = await Promise.all([startSshd(), startPostgres()])
  c = connectionTo(sshd)
})
afterAll(async () => {
  await c?.close()
  await Promise.all([sshd?.close(), postgres?.close()])
})

describe('the pg driver over Connection.openSocket', () => {
  it('queries a real PostgreSQL server through the SSH connection', async () => {
    // pg asks for its socket synchronously and connects it itself: hand it an SSH channel to
    // the server's view of host:port, already open (a ChannelSocket re-emits 'connect').
    const socket = await c.openSocket(postgres.host, postgres.port)
    let asked = 0
    const client = new pg.Client({
      host: postgres.host,
      port: postgres.port,
      user: postgres.user,
      password: postgres.password,
      database: postgres.database,
      stream: () => {
        asked++
        return socket as never
      },
    })
    await client.connect()
    try {
      const { rows } = await client.query('SELECT 6 * 7 AS answer, current_user AS who')
      expect(rows).toEqual([{ answer: 42, who: postgres.user }])
      const many = await client.query('SELECT generate_series(1, 20000) AS n')
      expect(many.rows).toHaveLength(20000)
    } finally {
      await client.end()
    }
    expect(asked).toBe(1)
    expect(socket.destroyed).toBe(true)
  })
})
