/**
 * An SFTP server that advertises no extension: OpenSSH's own sftp-server binary behind the
 * in-process ssh2 Server, with the extension list cut out of its VERSION packet (and nothing
 * else touched). It shows what put() does on a server without posix-rename@openssh.com, a corner
 * the test bed's real servers (OpenSSH, Dropbear, which runs the same sftp-server) cannot show.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { startSsh2Server, type Ssh2ServerHandle } from '@x/testbed'
import { Transport, fixedHostKey } from '@x/transport'

const SFTP_SERVER = '/usr/lib/openssh/sftp-server'
/** SSH_FXP_VERSION, version 3, no extension pairs. */
const BARE_VERSION = Buffer.from([0, 0, 0, 5, 2, 0, 0, 0, 3])

/** The running server and an authenticated Transport to it; `close()` ends both and reaps sftp-server. */
export interface BareSftpServer {
  readonly server: Ssh2ServerHandle
  readonly transport: Transport
  close(): Promise<void>
}

/** Starts the server with sftp-server's start directory `startDir` (what REALPATH '.' answers). */
export async function startSftpWithoutExtensions(startDir: string): Promise<BareSftpServer> {
  const children = new Set<ChildProcess>()
  const server = await startSsh2Server({
    onConnection: (client) => {
      client.on('authentication', (ctx) => ctx.accept())
      client.on('ready', () => {
        client.on('session', (accept) => {
          const session = accept()
          session.on('subsystem', (acceptSubsystem, reject, info) => {
            if (info.name !== 'sftp') return reject()
            const channel = acceptSubsystem()
            const child = spawn(SFTP_SERVER, ['-d', startDir], { stdio: ['pipe', 'pipe', 'ignore'] })
            children.add(child)
            child.on('exit', () => children.delete(child))
            child.on('error', () => channel.destroy())
            let head: Buffer | undefined = Buffer.alloc(0)
            child.stdout.on('data', (data: Buffer) => {
              if (head === undefined) return void channel.write(data)
              head = Buffer.concat([head, data])
              if (head.length < 4 || head.length < 4 + head.readUInt32BE(0)) return
              const rest = head.subarray(4 + head.readUInt32BE(0))
              head = undefined
              channel.write(BARE_VERSION)
              if (rest.length > 0) channel.write(rest)
            })
            channel.on('data', (data: Buffer) => child.stdin.write(data))
            channel.on('error', () => {})
            child.stdin.on('error', () => {})
            channel.on('close', () => child.kill('SIGKILL'))
            child.on('exit', () => {
              if (!channel.destroyed) channel.end()
            })
          })
        })
      })
    },
  })
  const transport = new Transport(`${server.host}:${server.port}`, { hostKeyVerifier: fixedHostKey(server.hostKey.publicLine) })
  await transport.startClient()
  await transport.authNone('anyone')
  return {
    server,
    transport,
    async close() {
      await transport.close()
      await server.close()
      await Promise.all([...children].map(async (child) => {
        child.kill('SIGKILL')
        if (child.exitCode === null && child.signalCode === null) await once(child, 'exit')
      }))
    },
  }
}
