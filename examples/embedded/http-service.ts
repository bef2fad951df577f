/** A tiny HTTP service on 127.0.0.1, standing in for something only reachable through SSH. */
import { createServer } from 'node:http'

/** A running HTTP service. */
export interface HttpService {
  readonly port: number
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

/** Starts a service that answers every request with a short greeting. */
export async function startHttpService(body = 'hello from behind SSH\n'): Promise<HttpService> {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'text/plain')
    res.end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  return { port, close, [Symbol.asyncDispose]: close }
}
