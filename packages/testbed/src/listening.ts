import { readFile } from 'node:fs/promises'

/**
 * Tells whether some process listens on TCP `127.0.0.1:port` (or on every IPv4 address), from
 * /proc/net/tcp: a readiness probe that, unlike connecting, opens no forwarded channel.
 */
export async function isListeningOnLoopback(port: number): Promise<boolean> {
  const table = await readFile('/proc/net/tcp', 'utf8')
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0')
  return table.split('\n').some((line) => {
    const [, local, , state] = line.trim().split(/\s+/)
    // 0100007F is 127.0.0.1 in the kernel's little-endian hex; 0A is TCP_LISTEN.
    return state === '0A' && (local === `0100007F:${hexPort}` || local === `00000000:${hexPort}`)
  })
}
