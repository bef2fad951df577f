/**
 * Runs OpenSSH's `sftp -b` against fsSftp with `-D` ("connect directly to a local sftp server"):
 * sftp spawns test/fixtures/sftp-stdio.ts under tsx and speaks SFTP over its stdin/stdout.
 */
import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href
const FIXTURE = fileURLToPath(new URL('../fixtures/sftp-stdio.ts', import.meta.url))

/** The argv that runs fsSftp over stdio for `root` (the `-D` command of sftp, split). */
export function stdioServerArgv(root: string, opts: { readOnly?: boolean | undefined } = {}): string[] {
  return [process.execPath, '--conditions=source', '--import', LOADER, FIXTURE, root, ...(opts.readOnly ? ['--read-only'] : [])]
}

/** What one batch run printed and how it exited. */
export interface BatchResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs `lines` as an sftp batch in local directory `cwd` against a server for `root`. */
export async function sftpBatch(root: string, cwd: string, lines: readonly string[], opts: { readOnly?: boolean | undefined } = {}): Promise<BatchResult> {
  const batch = join(cwd, `.batch-${process.pid}-${Date.now()}`)
  await writeFile(batch, `${lines.join('\n')}\n`)
  // sftp splits the -D command on whitespace: the test paths hold none.
  const server = stdioServerArgv(root, opts)
  return new Promise((resolve) => {
    execFile('sftp', ['-D', server.join(' '), '-b', batch], { cwd, maxBuffer: 16 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1
      resolve({ code, stdout, stderr })
    })
  })
}
