/**
 * A PostgreSQL client (`pg`) talking to a database only the bastion can reach: `openSocket()`
 * opens a direct-tcpip channel from the bastion to the database, and pg uses it as its socket.
 * No local port is opened (compare forward-local).
 *
 * Embedded lab: `pnpm tsx --conditions=source examples/postgres-through-bastion.ts` — starts a
 *   real PostgreSQL from the server binaries installed here (Debian: package postgresql).
 * A real host:  `PGUSER=… PGPASSWORD=… PGDATABASE=… pnpm tsx --conditions=source examples/postgres-through-bastion.ts user@bastion db.internal:5432`
 */
import { Connection } from '@x/connection'
import pg from 'pg'
import { exampleTarget, type ExampleTarget } from './lib/target.js'

await using target = await exampleTarget('bastion', { postgres: true })
if (target.lab && !target.lab.db) {
  console.error('No PostgreSQL server binaries on this machine (/usr/lib/postgresql/*/bin/postgres): install them, or give a bastion and a database host:port.')
  process.exitCode = 1
} else {
  await queryThroughBastion(target)
}

async function queryThroughBastion(target: ExampleTarget): Promise<void> {
  const db = target.lab?.db
  const [dbHost = 'db.lab', dbPort = '5432'] = (target.args[0] ?? 'db.lab:5432').split(':')
  await using bastion = new Connection(target.host, target.options)
  const socket = await bastion.openSocket(dbHost, Number(dbPort))

  // pg takes a ready stream; without user/password/database it reads PGUSER, PGPASSWORD, PGDATABASE.
  const client = new pg.Client({
    stream: () => socket as never,
    ...(db ? { user: db.user, password: db.password, database: db.database } : {}),
  })
  await client.connect()
  try {
    const { rows } = await client.query<{ version: string; who: string; answer: number }>('SELECT version(), current_user AS who, 6 * 7 AS answer')
    console.log(`connected through ${bastion.hostname}:${bastion.port} to ${dbHost}:${dbPort}`)
    console.log(`server: ${rows[0]?.version.split(',')[0]}`)
    console.log(`SELECT 6 * 7 → ${rows[0]?.answer}, as ${rows[0]?.who}`)
  } finally {
    await client.end()
  }
}
