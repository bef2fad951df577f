// Code shown in docs/writing-a-server.md; release/server-snippets.test.ts runs each one against
// real OpenSSH clients and our own Connection.
import { createServer, type Server } from 'node:net'
import { loadPrivateKey, Transport, type PrivateKey } from '@x/transport'
import { AuthorizedKeys, fsSftp, listen, type SshServer } from '@x/server'

/** The ten-line server: keys from files, commands and shells as real processes, SFTP under a directory. */
export async function tenLineServer(port: number, hostKeyPath: string, authorizedKeysPath: string, shareDir: string): Promise<SshServer> {
  // #region listen
  const server = await listen({
    host: '127.0.0.1',
    port, // 0: a free one, see server.address()
    hostKeys: [await loadPrivateKey(hostKeyPath)],
    auth: { authorizedKeys: await AuthorizedKeys.load(authorizedKeysPath) },
    exec: 'process', // `ssh host cmd`, scp -O, rsync: the user's shell runs the command
    shell: 'process', // `ssh -t host`: a login shell on a real pseudo-terminal
    sftp: fsSftp({ root: shareDir }), // sftp, scp: confined to shareDir, shown as /
  })
  console.log('listening on', server.address()) // close(): drain, then disconnect
  // #endregion listen
  return server
}

/**
 * A git-style service: every key runs one forced command naming its account, whatever the client
 * asks; the client's own command arrives as `originalCommand` (SSH_ORIGINAL_COMMAND in sshd).
 */
export async function repoService(hostKey: PrivateKey, keyLines: { alice: string; bob: string }): Promise<SshServer> {
  // #region forced-command
  const authorizedKeys = AuthorizedKeys.parse([
    `restrict,command="repo-service alice" ${keyLines.alice}`,
    `restrict,command="repo-service bob" ${keyLines.bob}`,
  ].join('\n'))
  const server = await listen({
    hostKeys: [hostKey],
    auth: { authorizedKeys },
    exec: (channel, { command, originalCommand }) => {
      const account = command!.split(' ')[1] // the forced command: which key logged in
      const [verb, repo] = (originalCommand ?? '').split(' ')
      if (verb !== 'list' || !repo) {
        channel.stderr.write(`usage: ssh git@host list REPO (you sent ${JSON.stringify(originalCommand ?? '')})\n`)
        return channel.exit(2)
      }
      channel.write(`${account} may read ${repo}\n`)
      channel.exit(0)
    },
  })
  // #endregion forced-command
  return server
}

/** The Transport's server role by hand: paramiko's start_server with a ServerInterface. */
export function byHand(hostKey: PrivateKey, allowedFingerprint: string): Server {
  // #region transport
  const server = createServer(async (socket) => {
    await using t = new Transport<'server'>(socket, { server: { loginGraceMs: 30_000 } })
    t.addServerKey(hostKey)
    await t.startServer({
      // Only verified signatures reach this method; a missing method refuses.
      checkAuthPublicKey: (_ctx, key) => (key.fingerprint === allowedFingerprint ? 'success' : 'failure'),
      checkChannelRequest: () => true,
      checkExecRequest: (_channel, command) => command.startsWith('echo '),
    }).catch(() => undefined)
    const channel = await t.accept({ timeoutMs: 10_000 })
    if (channel) {
      channel.write(`${channel.command!.slice(5)}\n`)
      channel.exit(0)
    }
    await t.wait() // the client closes the connection when its command ended
  })
  // #endregion transport
  return server
}
