/** Keys written by the real ssh-keygen, for the authorized_keys tests. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PublicKey } from '@x/transport'
import { SSH_KEYGEN, clientKeys, generateKey, runCommand } from '@x/testbed'

/** The ssh-keygen lines the tests put options in front of. */
export interface KeygenLines {
  ed25519: string
  ecdsa: string
  ecdsa384: string
  ecdsa521: string
  rsa: string
  /** An ed25519 user certificate signed by `ca` (`ssh-keygen -s`): a type we cannot match yet. */
  certificate: string
  /** The CA's public line. */
  ca: string
  /** Removes the temp dir. */
  cleanup: () => Promise<void>
}

/** Generates (or reuses the test bed's) keys with ssh-keygen and returns their public lines. */
export async function keygenLines(): Promise<KeygenLines> {
  const keys = await clientKeys()
  const dir = await mkdtemp(join(tmpdir(), 'akeys-'))
  const [p384, p521, ca] = await Promise.all([
    generateKey('ecdsa', join(dir, 'p384'), { bits: 384, comment: 'p384 key' }),
    generateKey('ecdsa', join(dir, 'p521'), { bits: 521, comment: 'p521 key' }),
    generateKey('ed25519', join(dir, 'ca'), { comment: 'the ca' }),
  ])
  // Sign a copy of the user's public key: ssh-keygen writes user-cert.pub beside it.
  const userPub = join(dir, 'user.pub')
  await writeFile(userPub, `${keys.ed25519.publicLine}\n`)
  await runCommand(SSH_KEYGEN, ['-q', '-s', ca.privatePath, '-I', 'id', '-n', 'alice', userPub])
  const certificate = (await readFile(join(dir, 'user-cert.pub'), 'utf8')).trim()
  return {
    ed25519: keys.ed25519.publicLine,
    ecdsa: keys.ecdsa.publicLine,
    ecdsa384: p384.publicLine,
    ecdsa521: p521.publicLine,
    rsa: keys.rsa.publicLine,
    certificate,
    ca: ca.publicLine,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  }
}

/** Parses a public line with transport's parser: the oracle for key equality. */
export const pub = (line: string): PublicKey => PublicKey.parse(line)
