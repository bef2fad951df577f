import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { clientEnv, runClientProcess } from './client-process.js'
import type { ClientProcessResult } from './client-process.js'
import { targetFingerprints } from './client-target.js'
import type { ClientTarget } from './client-target.js'
import { withClientHome } from './client-home.js'
import { freePort } from './ports.js'
import { runCommand } from './run-command.js'

/** Names PuTTY's command-line client (Debian's putty-tools). */
export const PLINK = '/usr/bin/plink'
/** Names PuTTY's SFTP client. */
export const PSFTP = '/usr/bin/psftp'
/** Names PuTTY's key converter. */
export const PUTTYGEN = '/usr/bin/puttygen'

/** Configures {@link runPlink}. */
export interface PlinkOptions {
  /** The remote command; none: a shell (plink then asks for a pty, as PuTTY users get). */
  command?: string
  /** Bytes for the remote side's stdin (a shell's script), then EOF. */
  input?: string | Buffer
  /**
   * Add a local forward to a free port nobody connects to (default true). plink in "simple"
   * mode (one channel, no forwards) never sends winadj@putty.projects.tartarus.org; a forward
   * turns that mode off, so the server has to answer the winadj requests.
   */
  forceWinadj?: boolean
  /** `-t` (true) or `-T` (false); default: plink's own choice. */
  pty?: boolean
  /** Kill plink after this many milliseconds (default 30 000). */
  timeoutMs?: number
  signal?: AbortSignal
}

/** Holds what plink or psftp printed, how it ended, and its packet log (`-sshlog`). */
export interface PuttyResult extends ClientProcessResult {
  /** The `-sshlog` file of this run: every packet, as PuTTY logs it. */
  sshlog: string
}

/**
 * Runs plink against `target`: `-batch -noagent`, the host key pinned with `-hostkey`
 * (every fingerprint of the target), the client key converted to .ppk, a private HOME and a
 * fresh `-sshlog` file.
 *
 * @example
 * ```ts
 * const r = await runPlink(clientTargetOf(sshd), { command: 'echo hi; exit 3' })
 * // r.stdout 'hi\n', r.code 3
 * ```
 * @throws ClientRunError when plink times out or cannot start.
 */
export function runPlink(target: ClientTarget, options: PlinkOptions = {}): Promise<PuttyResult> {
  const { command, input, forceWinadj = true, pty, timeoutMs, signal } = options
  return withClientHome('plink', async (home) => {
    const args = await commonArgs(target, home)
    if (forceWinadj) args.push('-L', `127.0.0.1:${await freePort()}:127.0.0.1:9`)
    if (pty !== undefined) args.push(pty ? '-t' : '-T')
    args.push(target.host)
    if (command !== undefined) args.push(command)
    const result = await runClientProcess(PLINK, args, { input, timeoutMs, signal, env: puttyEnv(home) })
    return { ...result, sshlog: await readFile(join(home, 'ssh.log'), 'utf8').catch(() => '') }
  })
}

/** Configures {@link runPsftp}. */
export interface PsftpOptions {
  /** Kill psftp after this many milliseconds (default 30 000). */
  timeoutMs?: number
  signal?: AbortSignal
}

/**
 * Runs psftp against `target` with `batch` as its `-b` script (`-bc`: echo each command;
 * psftp stops at the first failing one and exits non-zero). Same pinning and HOME as
 * {@link runPlink}.
 *
 * @throws ClientRunError when psftp times out or cannot start.
 */
export function runPsftp(target: ClientTarget, batch: string, options: PsftpOptions = {}): Promise<PuttyResult> {
  return withClientHome('psftp', async (home) => {
    const batchPath = join(home, 'batch')
    await writeFile(batchPath, batch)
    const args = [...(await commonArgs(target, home)), '-b', batchPath, '-bc', target.host]
    const result = await runClientProcess(PSFTP, args, { ...options, env: puttyEnv(home) })
    return { ...result, sshlog: await readFile(join(home, 'ssh.log'), 'utf8').catch(() => '') }
  })
}

/** Converts an OpenSSH private key file into PuTTY's .ppk at `out` with puttygen. */
export async function convertKeyToPpk(privateKeyPath: string, out: string): Promise<void> {
  await runCommand(PUTTYGEN, [privateKeyPath, '-O', 'private', '-o', out], { timeoutMs: 15_000 })
}

async function commonArgs(target: ClientTarget, home: string): Promise<string[]> {
  const ppk = join(home, 'key.ppk')
  await convertKeyToPpk(target.privateKeyPath, ppk)
  return [
    '-ssh', '-batch', '-noagent',
    '-P', String(target.port), '-l', target.user, '-i', ppk,
    ...targetFingerprints(target).flatMap((fp) => ['-hostkey', fp]),
    '-sshlog', join(home, 'ssh.log'),
  ]
}

function puttyEnv(home: string): NodeJS.ProcessEnv {
  return clientEnv({ HOME: home, TERM: 'dumb' })
}
