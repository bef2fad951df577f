// Code shown in docs/sockets.md; release/snippets.test.ts runs the HTTP and forward examples
// against a real sshd and a local HTTP server; the pg example is type-checked by tsc.
import http from 'node:http'
import type { Connection } from '@x/connection'
import pg from 'pg'

/** Sends one HTTP request over an SSH channel to `host:port` as the server sees it. */
export async function httpOverSsh(c: Connection, host: string, port: number): Promise<string> {
  // #region http
  const socket = await c.openSocket(host, port) // host and port as the SSH server sees them
  const body = await new Promise<string>((resolve, reject) => {
    http.get({ host, port, path: '/', createConnection: () => socket }, (res) => {
      let text = ''
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => resolve(text))
    }).on('error', reject)
  })
  // #endregion http
  return body
}

/** Gives pg a socket through the SSH connection. */
export async function postgresOverSsh(c: Connection, password: string): Promise<number> {
  // #region pg
  const socket = await c.openSocket('127.0.0.1', 5432) // as the SSH server sees it
  const client = new pg.Client({ stream: () => socket, user: 'app', password, database: 'app' })
  await client.connect()
  const { rows } = await client.query<{ one: number }>('select 1 as one')
  await client.end()
  // #endregion pg
  return rows[0]!.one
}

/** Forwards a local port, for clients that only take host and port. */
export async function localForward(c: Connection, remotePort: number): Promise<string> {
  // #region forward-local
  await using fwd = await c.forwardLocal({ localPort: 0, remoteHost: '127.0.0.1', remotePort })
  const res = await fetch(`http://127.0.0.1:${fwd.port}/`) // any client: redis, mysql, fetch…
  // #endregion forward-local
  return res.text()
}
