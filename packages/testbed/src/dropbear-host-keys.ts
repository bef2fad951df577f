import { join } from 'node:path'
import { toHostKey } from './host-keys.js'
import type { HostKey } from './host-keys.js'
import { runCommand } from './run-command.js'
import { fingerprintOfLine } from './ssh-keygen.js'

/** Names Dropbear's key tool by absolute path. */
export const DROPBEARKEY = '/usr/bin/dropbearkey'

/**
 * Generates Dropbear host keys (ed25519, ecdsa nistp256, rsa 2048) into `dir` with
 * `dropbearkey`, and reads their public halves and fingerprints.
 */
export async function generateDropbearHostKeys(dir: string): Promise<{ paths: string[]; keys: HostKey[] }> {
  const specs = [
    ['ed25519', []],
    ['ecdsa', ['-s', '256']],
    ['rsa', ['-s', '2048']],
  ] as const
  const generated = await Promise.all(
    specs.map(async ([type, extra]) => {
      const path = join(dir, `dropbear_${type}_host_key`)
      await runCommand(DROPBEARKEY, ['-t', type, ...extra, '-f', path])
      // `dropbearkey -y` prints "Public key portion is:", the OpenSSH line, then a fingerprint.
      const out = await runCommand(DROPBEARKEY, ['-y', '-f', path])
      const publicLine = out.stdout.split('\n').find((l) => /^(ssh-|ecdsa-)/.test(l))
      if (!publicLine) throw new Error(`no public key in dropbearkey -y output: ${out.stdout}`)
      const fingerprint = await fingerprintOfLine(publicLine, `${path}.pub`)
      return { path, key: toHostKey({ publicLine, fingerprint }) }
    }),
  )
  return { paths: generated.map((g) => g.path), keys: generated.map((g) => g.key) }
}
