import { connect } from 'node:net'
import { once } from 'node:events'
import { request } from 'node:https'
import { describe, expect, it } from 'vitest'
import {
  HTTPS_TEST_BODY, closedPort, startEchoServer, startGarbageServer, startSilentServer, startTlsHttpsServer,
} from '../src/index.js'

async function dial(port: number) {
  const socket = connect({ host: '127.0.0.1', port })
  const errors: Error[] = []
  socket.on('error', (err) => errors.push(err))
  await once(socket, 'connect')
  return socket
}

describe('raw TCP helpers', () => {
  it('startEchoServer writes back every byte', async () => {
    await using echo = await startEchoServer()
    const socket = await dial(echo.port)
    socket.write('hello')
    const [data] = await once(socket, 'data')
    expect(String(data)).toBe('hello')
    socket.destroy()
  })

  it('startSilentServer accepts and never writes', async () => {
    await using silent = await startSilentServer()
    const socket = await dial(silent.port)
    socket.write('anyone there?')
    let received = 0
    socket.on('data', (d: Buffer) => (received += d.length))
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(received).toBe(0)
    const closed = once(socket, 'close')
    await silent.close()
    await closed // close() destroys the server side too
  })

  it('startGarbageServer writes its payload and stays open', async () => {
    await using garbage = await startGarbageServer('HTTP/1.1 400 Bad Request\r\n\r\n')
    const socket = await dial(garbage.port)
    const [data] = await once(socket, 'data')
    expect(String(data)).toBe('HTTP/1.1 400 Bad Request\r\n\r\n')
    expect(socket.readyState).toBe('open')
    socket.destroy()
  })

  it('closedPort gives a port that refuses connections', async () => {
    const port = await closedPort()
    const socket = connect({ host: '127.0.0.1', port })
    const [err] = await once(socket, 'error').catch((e: unknown) => [e])
    expect(err).toMatchObject({ code: 'ECONNREFUSED' })
  })

  it('startTlsHttpsServer answers GET / over TLS trusted by its own ca', async () => {
    await using https = await startTlsHttpsServer()
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: https.port, path: '/', ca: https.ca, agent: false }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve(Buffer.concat(chunks).toString()))
        res.on('error', reject)
      })
      req.on('error', reject)
      req.end()
    })
    expect(body).toBe(HTTPS_TEST_BODY)
  })

  it('startTlsHttpsServer is not trusted without its ca', async () => {
    await using https = await startTlsHttpsServer()
    const err = await new Promise<unknown>((resolve) => {
      const req = request({ host: '127.0.0.1', port: https.port, path: '/', agent: false }, (res) => {
        res.resume()
        resolve(null)
      })
      req.on('error', resolve)
      req.end()
    })
    expect(err).toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })
  })
})
