/** A small HTTP service for the lab: "web.lab", reachable only through the inner host. */
import { createServer } from 'node:http'

/** A running HTTP service. */
export interface HttpService extends AsyncDisposable {
  /** The Unix socket it listens on. */
  readonly path: string
  close(): Promise<void>
}

/**
 * Starts a service on the Unix socket `path` (no TCP port: only a host whose route table names
 * the socket can reach it) that answers every request with a greeting and the request line.
 */
export async function startHttpService(path: string): Promise<HttpService> {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'text/plain')
    res.end(`hello from web.lab — you asked for ${req.method} ${req.url}\n`)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, resolve)
  })
  let closing: Promise<void> | undefined
  const close = (): Promise<void> => {
    closing ??= new Promise((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
    return closing
  }
  return { path, close, [Symbol.asyncDispose]: close }
}
