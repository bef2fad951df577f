/** x-sshd's host keys: the files given, or one ed25519 key kept in the state directory. */
import { chmod, mkdir, open } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { loadPrivateKey } from '@x/transport'
import type { PrivateKey } from '@x/transport'
import { generateOpenSshEd25519 } from './openssh-key.js'

/** Returns the default state directory: `$XDG_STATE_HOME/x-sshd`, else `~/.local/state/x-sshd`. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env['XDG_STATE_HOME'] && env['XDG_STATE_HOME'].startsWith('/') ? env['XDG_STATE_HOME'] : join(homedir(), '.local', 'state')
  return join(base, 'x-sshd')
}

/** Returns the short name of a key type for the startup line: 'ed25519', 'rsa', 'ecdsa-sha2-nistp256'. */
function shortType(type: string): string {
  return type.startsWith('ssh-') ? type.slice(4) : type
}

/** Returns the line x-sshd prints for a host key: `host key SHA256:… (ed25519)`. */
export function hostKeyLine(key: PrivateKey): string {
  return `host key ${key.publicKey.fingerprint} (${shortType(key.type)})`
}

/**
 * Returns `<stateDir>/host_ed25519`, made first if missing: the directory 0700, the key a fresh
 * ed25519 one written 0600 in OpenSSH's format (as `ssh-keygen -t ed25519` writes it).
 * An existing key is reused as is.
 */
export async function ensureStateHostKey(stateDir: string): Promise<string> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 })
  const path = join(stateDir, 'host_ed25519')
  const text = generateOpenSshEd25519('x-sshd host key')
  let file
  try {
    // 'wx': never overwrite a key another start made meanwhile.
    file = await open(path, 'wx', 0o600)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return path
    throw err
  }
  try {
    await file.writeFile(text)
    await chmod(path, 0o600)
  } finally {
    await file.close()
  }
  return path
}

/** Loads the host keys x-sshd serves with: `files`, or the state directory's own key. */
export async function loadHostKeys(files: readonly string[], stateDir: string): Promise<PrivateKey[]> {
  const paths = files.length > 0 ? files : [await ensureStateHostKey(stateDir)]
  return Promise.all(paths.map((p) => loadPrivateKey(p)))
}
