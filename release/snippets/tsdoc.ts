// The @example blocks of the TSDoc of put(), get() and Connection#waitClosed, byte for byte
// (release/tsdoc-examples.test.ts checks that and runs each function against a real sshd).
import { get, put, type Connection, type SSHError } from '@x/connection'
import type { Transport } from '@x/transport'

/** put()'s example: run with the current directory holding app.tar.gz. */
export async function putExample(transport: Transport): Promise<{ remotePath: string; bytes: number }> {
  // #region put
  const sftp = await transport.openSftpClient()
  const { remotePath, bytes } = await put(sftp, 'app.tar.gz', '~/releases/', {
    mkdirs: true, // creates ~/releases first when it is missing
    onProgress: (n, total) => console.log(`${n}/${total}`),
  })
  // #endregion put
  await sftp.close()
  return { remotePath, bytes }
}

/** get()'s example: writes downloads/app.tar.gz under the current directory. */
export async function getExample(transport: Transport): Promise<void> {
  // #region get
  const sftp = await transport.openSftpClient()
  await get(sftp, '~/releases/app.tar.gz', 'downloads/', {
    onProgress: (n, total) => console.log(`${n}/${total}`),
  })
  // #endregion get
  await sftp.close()
}

/** Connection#waitClosed's example; returns the cause it saw. */
export async function waitClosedExample(c: Connection): Promise<SSHError | undefined> {
  // #region wait-closed
  await c.open()
  const cause = await c.waitClosed() // undefined after c.close(); the error after a loss
  if (cause) console.error(`lost ${c.host}: ${cause.code}`)
  // #endregion wait-closed
  return cause
}
