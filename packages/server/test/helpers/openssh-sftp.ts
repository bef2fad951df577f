/**
 * Runs OpenSSH's `sftp -b` against fsSftp, either with `-D` ("connect directly to a local sftp
 * server": sftp spawns test/fixtures/sftp-stdio.ts under tsx and speaks SFTP over its stdio) or
 * over SSH to a listen() server whose sftp subsystem serves the same root.
 */
import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { fsSftp } from '../../src/index.js'
import type { SftpSubsystemHandler } from '../../src/index.js'
import { TEST_USER_NAME } from '@x/testbed'
import { startListenFixture } from '../support/listen-server.js'
import type { ListenFixture } from '../support/listen-server.js'

const LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href
const FIXTURE = fileURLToPath(new URL('../fixtures/sftp-stdio.ts', import.meta.url))

/** The argv that runs fsSftp over stdio for `root` (the `-D` command of sftp, split). */
export function stdioServerArgv(root: string, opts: { readOnly?: boolean | undefined } = {}): string[] {
  return [process.execPath, '--conditions=source', '--import', LOADER, FIXTURE, root, ...(opts.readOnly ? ['--read-only'] : [])]
}

/** How sftp reaches fsSftp: its stdio (`-D`) or SSH to a listen() server. */
export type SftpVia = 'stdio' | 'ssh'

let shared: Promise<ListenFixture> | undefined
const SSH_USER = TEST_USER_NAME
let serving: SftpSubsystemHandler | undefined

/** The sftp arguments reaching a shared listen() server that now serves `root`. */
async function sshSftpArgs(root: string, readOnly: boolean): Promise<string[]> {
  serving = fsSftp({ root, readOnly })
  const f = await (shared ??= startListenFixture({ sftp: (stream) => serving!(stream) }))
  return [...f.ssh.slice(0, -2), '-P', String(f.port)]
}

/** Closes the shared listen() server, if one was started. */
export async function closeSshSftp(): Promise<void> {
  const f = shared
  shared = undefined
  await (await f)?.close()
}

/** What one batch run printed and how it exited. */
export interface BatchResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs `lines` as an sftp batch in local directory `cwd` against a server for `root`. */
export async function sftpBatch(root: string, cwd: string, lines: readonly string[], opts: { readOnly?: boolean | undefined; via?: SftpVia | undefined } = {}): Promise<BatchResult> {
  const batch = join(cwd, `.batch-${process.pid}-${Date.now()}`)
  await writeFile(batch, `${lines.join('\n')}\n`)
  // sftp splits the -D command on whitespace: the test paths hold none.
  const args = opts.via === 'ssh' ? await sshSftpArgs(root, opts.readOnly ?? false) : ['-D', stdioServerArgv(root, opts).join(' ')]
  return new Promise((resolve) => {
    execFile('sftp', [...args, '-b', batch, ...(opts.via === 'ssh' ? [`${SSH_USER}@127.0.0.1`] : [])], { cwd, maxBuffer: 16 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1
      resolve({ code, stdout, stderr })
    })
  })
}
