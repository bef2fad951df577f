// Code shown in docs/getting-started.md; release/snippets.test.ts runs each function against a
// real sshd (`host` is 'user@127.0.0.1:port', the key and known_hosts file are the test's).
import { Connection, UnexpectedExitError, type SSHError } from '@x/connection'

/** Connects with an explicit key and known_hosts file and runs one command. */
export async function firstCommand(host: string, keyPath: string, knownHostsFile: string): Promise<string> {
  // #region first-command
  await using c = new Connection(host, {
    auth: { privateKeys: [keyPath] },
    hostKeys: { knownHostsFiles: [knownHostsFile] },
  })
  const result = await c.run('uname -s')
  // result: { command, stdout: 'Linux\n', stderr: '', exitCode: 0, signal: null, ok: true }
  // #endregion first-command
  return result.stdout
}

/** Shows that a failing command rejects, unless `warn` is set. */
export async function failingCommand(c: Connection): Promise<readonly [number | null, number | null]> {
  // #region failing-command
  let failedWith: number | null = null
  try {
    await c.run('exit 3')
  } catch (err) {
    if (!(err instanceof UnexpectedExitError)) throw err
    failedWith = err.result.exitCode                   // 3
  }
  const tolerated = await c.run('exit 3', { warn: true })  // resolves; tolerated.ok === false
  // #endregion failing-command
  return [failedWith, tolerated.exitCode]
}

/** Uploads a buffer and downloads it again through SFTP. */
export async function putAndGet(c: Connection, remoteDir: string, localPath: string): Promise<void> {
  // #region put-get
  await c.put(Buffer.from('hello\n'), `${remoteDir}/hello.txt`, { mode: 0o600 })   // temp file, then renamed
  await c.get(`${remoteDir}/hello.txt`, localPath)   // written to a temp file, then renamed
  // #endregion put-get
}

/** Waits for the connection to end and returns why (undefined after close()). */
export async function waitClosed(c: Connection): Promise<SSHError | undefined> {
  // #region wait-closed
  await c.open()
  const cause = await c.waitClosed()   // pending while the connection is up
  if (cause) console.error(`connection lost (${cause.code}); a new verb opens it again`)
  // #endregion wait-closed
  return cause
}
