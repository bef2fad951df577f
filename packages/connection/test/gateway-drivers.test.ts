import { createHash, randomBytes } from 'node:crypto'
import { get as httpGet, request as httpRequest } from 'node:http'
import { connect as netConnect } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { startSite, type SiteHandle } from '@x/testbed'
import { Connection } from '@x/connection'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { siteConfig } from './site-helpers.js'

let site: SiteHandle
let inner: Connection
beforeAll(async () => {
  site = await startSite()
  inner = new Connection('inner', { config: { text: siteConfig(site) }, proxyJump: 'bastion,middle' })
}, 60_000)
afterAll(async () => {
  await inner?.close()
  await site?.close()
})

async function body(res: NodeJS.ReadableStream): Promise<string> {
  let text = ''
  for await (const chunk of res) text += String(chunk)
  return text
}

describe('openSocket through a 2-hop chain into the site', () => {
  it('lets the pg client query the PostgreSQL server inside the site', async () => {
    const { postgres } = site
    const socket = await inner.openSocket(postgres.host, postgres.port)
    const client = new pg.Client({
      host: postgres.host,
      port: postgres.port,
      user: postgres.user,
      password: postgres.password,
      database: postgres.database,
      stream: () => socket as never,
    })
    await client.connect()
    try {
      const { rows } = await client.query('SELECT 6 * 7 AS answer')
      expect(rows).toEqual([{ answer: 42 }])
    } finally {
      await client.end()
    }
  })

  it('carries http.get (createConnection) and tls.connect({ socket }) to the HTTPS server inside the site', async () => {
    const { https } = site
    const tlsSocket = tlsConnect({ socket: (await inner.openSocket(https.host, https.port)) as never, ca: https.ca, servername: 'localhost' })
    const viaTls = await new Promise<string>((resolve, reject) => {
      httpRequest({ host: 'localhost', port: https.port, createConnection: () => tlsSocket as never }, (res) => body(res).then(resolve, reject))
        .on('error', reject)
        .end()
    })
    expect(viaTls).toBe(https.body)
    const secondTls = tlsConnect({ socket: (await inner.openSocket(https.host, https.port)) as never, ca: https.ca, servername: 'localhost' })
    const viaGet = await new Promise<string>((resolve, reject) => {
      httpGet({ host: 'localhost', port: https.port, createConnection: () => secondTls as never }, (res) => body(res).then(resolve, reject)).on('error', reject)
    })
    expect(viaGet).toBe(https.body)
  })

  it('carries 256 MiB byte-exact through a forwardLocal over the 2-hop chain', async () => {
    // An echo service inside the site, on the inner host: socat, started over the chain itself.
    const echoPort = 7007
    const server = await inner.exec(`exec socat TCP-LISTEN:${echoPort},bind=127.0.0.1,reuseaddr,fork EXEC:cat`)
    try {
      for (let tries = 0; tries < 50; tries++) {
        if ((await inner.run(`socat /dev/null TCP:127.0.0.1:${echoPort}`, { warn: true })).ok) break
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      await using fwd = await inner.forwardLocal({ remoteHost: '127.0.0.1', remotePort: echoPort })
      const total = 256 << 20
      const block = randomBytes(1 << 20)
      const sent = createHash('sha256')
      const got = createHash('sha256')
      let received = 0
      const sock = netConnect(fwd.port, '127.0.0.1')
      const done = new Promise<void>((resolve, reject) => {
        sock.on('data', (chunk: Buffer) => {
          got.update(chunk)
          received += chunk.length
        })
        sock.on('end', resolve)
        sock.on('error', reject)
      })
      let written = 0
      await new Promise<void>((resolve) => {
        const write = (): void => {
          while (written < total) {
            const chunk = Buffer.from(block)
            chunk.writeUInt32BE(written >>> 0, 0)
            sent.update(chunk)
            written += chunk.length
            if (!sock.write(chunk)) return void sock.once('drain', write)
          }
          sock.end()
          resolve()
        }
        write()
      })
      await done
      expect(received).toBe(total)
      expect(got.digest('hex')).toBe(sent.digest('hex'))
    } finally {
      server.sendSignal('KILL')
      server.destroy()
    }
  }, 300_000)
})
