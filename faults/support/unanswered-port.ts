import { spawn } from 'node:child_process'
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { LOOPBACK } from '@x/testbed'

/** Names the system perl, which holds the never-accepting listener of {@link startUnansweredPort}. */
export const PERL = '/usr/bin/perl'

/** A port on 127.0.0.1 whose SYNs are dropped; see {@link startUnansweredPort}. */
export interface UnansweredPortHandle {
  readonly host: string
  readonly port: number
  /** The listener's process (a child of this one until `close()` reaps it). */
  readonly pid: number
  /** Closes the filler connection, kills and reaps the listener; idempotent. */
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

// listen(backlog 0) and never accept(): the accept queue holds one connection.
const LISTENER = [
  'use Socket;',
  'socket(S, PF_INET, SOCK_STREAM, 0) or die "socket: $!";',
  'bind(S, pack_sockaddr_in(0, inet_aton("127.0.0.1"))) or die "bind: $!";',
  'listen(S, 0) or die "listen: $!";',
  'my ($port) = unpack_sockaddr_in(getsockname(S));',
  '$| = 1; print "$port\\n";',
  'sleep 3600;',
].join(' ')

/**
 * Starts a silently blackholed TCP port on the host's loopback: a connect to it neither
 * succeeds nor fails, its SYNs go unanswered, as behind a firewall that drops packets.
 *
 * There is no iptables here and tc on the host's lo would slow every other test, so the kernel
 * drops the SYNs itself: a listener with backlog 0 that never accepts, whose accept queue is
 * filled by one connection of ours. Linux drops a SYN to a listener with a full accept queue
 * (no RST), and the client retransmits until its own timer gives up.
 *
 * @throws Error when the listener does not come up within 10 s.
 */
export async function startUnansweredPort(): Promise<UnansweredPortHandle> {
  const child = spawn(PERL, ['-e', LISTENER], { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()))
  child.on('error', () => {}) // 'close' follows; the start timer reports it
  let filler: Socket | undefined
  const close = async (): Promise<void> => {
    filler?.destroy()
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  }
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the unanswered port did not come up within 10 s')), 10_000)
      child.stdout.once('data', (chunk: Buffer) => {
        clearTimeout(timer)
        resolve(Number(chunk.toString().trim()))
      })
      void exited.then(() => {
        clearTimeout(timer)
        reject(new Error('the unanswered port\'s listener exited'))
      })
    })
    child.stdout.resume()
    child.stderr.resume()
    filler = await new Promise<Socket>((resolve, reject) => {
      const sock = connect(port, LOOPBACK)
      sock.once('connect', () => resolve(sock))
      sock.once('error', reject)
    })
    filler.on('error', () => {})
    let closing: Promise<void> | undefined
    const once = (): Promise<void> => (closing ??= close())
    return { host: LOOPBACK, port, pid: child.pid!, close: once, [Symbol.asyncDispose]: once }
  } catch (err) {
    await close()
    throw err
  }
}
