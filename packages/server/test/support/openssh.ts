// Test-only: runs OpenSSH clients against a test server with a private known_hosts and key.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ClientKey, Ssh2ServerHandle } from '@x/testbed'

/** Writes known_hosts for `server` into `dir`; returns the ssh options every client run uses. */
export async function sshOptions(server: Ssh2ServerHandle, key: ClientKey, dir: string): Promise<string[]> {
  const knownHosts = join(dir, 'known_hosts')
  await writeFile(knownHosts, `${server.knownHostsLine}\n`)
  return [
    '-F', '/dev/null',
    '-o', 'BatchMode=yes',
    '-o', `UserKnownHostsFile=${knownHosts}`,
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'IdentitiesOnly=yes',
    '-o', 'LogLevel=ERROR',
    '-i', key.privatePath,
    '-p', String(server.port),
  ]
}
