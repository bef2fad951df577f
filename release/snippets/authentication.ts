// Code shown in docs/authentication.md; release/snippets.test.ts runs each function against a
// real sshd (or ssh-agent) started by the test.
import { Connection, HostKeyError, fixedHostKey, knownHosts } from '@x/connection'

/** Authenticates with a key file, an encrypted key's passphrase, then a password. */
export async function keysThenPassword(host: string, keyPath: string, password: string, knownHostsFile: string): Promise<boolean> {
  // #region keys-then-password
  await using c = new Connection(host, {
    auth: {
      privateKeys: [keyPath],                    // tried first, in order
      passphrase: (path) => askPassphrase(path), // only for encrypted key files
      agent: false,                              // default: IdentityAgent, else SSH_AUTH_SOCK
      password,                                  // tried after keys
    },
    hostKeys: { knownHostsFiles: [knownHostsFile] },
  })
  await c.open()
  // #endregion keys-then-password
  return c.isConnected
}

/** Stands in for a prompt in the docs' example. */
function askPassphrase(path: string): Promise<string> {
  return Promise.reject(new Error(`no passphrase prompt in this example (${path})`))
}

/** Authenticates with keys held by an ssh-agent. */
export async function withAgent(host: string, agentSocketPath: string, knownHostsFile: string): Promise<boolean> {
  // #region agent
  await using c = new Connection(host, {
    auth: { agent: agentSocketPath, lookForKeys: false },
    hostKeys: { knownHostsFiles: [knownHostsFile] },
  })
  await c.open()
  // #endregion agent
  return c.isConnected
}

/** Answers keyboard-interactive prompts (a password prompt, then a one-time code, say). */
export async function twoFactor(host: string, secrets: { password: string; otp: () => string }, knownHostsFile: string): Promise<boolean> {
  // #region two-factor
  await using c = new Connection(host, {
    auth: {
      interactive: (_title, _instructions, prompts) =>
        prompts.map((p) => (/verification code/i.test(p.prompt) ? secrets.otp() : secrets.password)),
    },
    hostKeys: { knownHostsFiles: [knownHostsFile] },
  })
  await c.open()
  // #endregion two-factor
  return c.isConnected
}

/** Pins one host key instead of reading known_hosts. */
export async function pinnedKey(host: string, keyPath: string, hostKeyLine: string): Promise<string | undefined> {
  // #region pinned
  await using c = new Connection(host, {
    auth: { privateKeys: [keyPath] },
    hostKeys: { policy: fixedHostKey(hostKeyLine) }, // 'ssh-ed25519 AAAA…'
  })
  await c.open()
  // #endregion pinned
  return c.transport?.remoteServerKey?.fingerprint
}

/** Pins one host key by its SHA256 fingerprint. */
export async function pinnedFingerprint(host: string, keyPath: string, fingerprint: string): Promise<string | undefined> {
  // #region pinned-fingerprint
  await using c = new Connection(host, {
    auth: { privateKeys: [keyPath] },
    hostKeys: { policy: fixedHostKey(fingerprint) }, // 'SHA256:…', as ssh-keygen -lf prints it
  })
  await c.open()
  // #endregion pinned-fingerprint
  return c.transport?.remoteServerKey?.fingerprint
}

/** Collects the debug lines of one open, as `ssh -v` would print them. */
export async function debugLines(host: string, keyPath: string, knownHostsFile: string): Promise<string[]> {
  // #region debug
  const lines: string[] = []
  await using c = new Connection(host, {
    auth: { privateKeys: [keyPath] },
    hostKeys: { knownHostsFiles: [knownHostsFile] },
    debug: (line) => lines.push(line), // '[deploy@web1:22] auth: trying publickey (…)'
  })
  await c.open()
  // #endregion debug
  return lines
}

/** Tells an unknown host key from a changed one. */
export async function unknownHost(host: string, keyPath: string, emptyKnownHostsFile: string): Promise<string> {
  // #region host-key-error
  try {
    await using c = new Connection(host, {
      auth: { privateKeys: [keyPath] },
      hostKeys: { policy: knownHosts({ files: [emptyKnownHostsFile] }) }, // strict
    })
    await c.open()
    return 'connected'
  } catch (err) {
    if (!(err instanceof HostKeyError)) throw err
    // 'unknown': never seen; 'mismatch': a different key is on file (err.expected); 'revoked'
    return `${err.reason} ${err.fingerprint}`
  }
  // #endregion host-key-error
}
