// A Connection user's program, type-checked by release/pack.test.ts against the installed
// tarballs with strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess and
// skipLibCheck: false, then run as ESM against a real sshd. It imports from @x/connection only
// and passes `undefined` wherever an option is optional: undefined must mean "not given".
import {
  Connection,
  HostKeyError,
  SSHError,
  UnexpectedExitError,
  knownHosts,
  loadPrivateKey,
  type ConnectionOptions,
  type HostKeyVerifier,
  type KnownHostsOptions,
  type PrivateKey,
  type PublicKey,
  type Result,
  type RunOptions,
} from '@x/connection'

// process.argv entries are string | undefined here (noUncheckedIndexedAccess).
const [config, keyPath, knownHostsFile, emptyKnownHostsFile] = process.argv.slice(2)
if (keyPath === undefined || knownHostsFile === undefined || emptyKnownHostsFile === undefined) throw new Error('usage: config key known_hosts empty_known_hosts')

const key: PrivateKey = await loadPrivateKey(keyPath, { passphrase: process.env['XSSH_NO_SUCH_PASSPHRASE'] })
const publicKey: PublicKey = key.publicKey
const verifierOptions: KnownHostsOptions = { files: [knownHostsFile], policy: undefined, hash: undefined }
const verifier: HostKeyVerifier = knownHosts(verifierOptions)

// User, port and host name come from the ssh_config file: `user: undefined` and
// `port: undefined` must not hide them.
const options: ConnectionOptions = {
  config,
  user: undefined,
  port: undefined,
  proxyJump: undefined,
  gateway: undefined,
  connectTimeoutMs: undefined,
  forwardAgent: undefined,
  maxSessions: undefined,
  allowMatchExec: undefined,
  keepalive: undefined,
  timeouts: { authMs: undefined, channelMs: undefined },
  auth: { privateKeys: [key], password: undefined, passphrase: undefined, agent: false, interactive: undefined, lookForKeys: false },
  hostKeys: { policy: verifier, knownHostsFiles: undefined, hash: undefined },
}
const runOptions: RunOptions = {
  pty: undefined,
  env: undefined,
  warn: undefined,
  timeoutMs: undefined,
  signal: undefined,
  stdin: undefined,
  onStdout: undefined,
  onStderr: undefined,
  watchers: undefined,
}

const c = new Connection('web1', options)
try {
  const result: Result = await c.run('uname -s', runOptions)
  let exitCode: number | null | undefined
  try {
    await c.run('exit 3', runOptions)
  } catch (err) {
    if (!(err instanceof UnexpectedExitError)) throw err
    exitCode = err.result.exitCode
  }
  let reason: string | undefined
  const stranger = new Connection('web1', { ...options, hostKeys: { policy: knownHosts({ files: [emptyKnownHostsFile] }) } })
  try {
    await stranger.open()
  } catch (err) {
    if (!(err instanceof HostKeyError) || !(err instanceof SSHError)) throw err
    reason = err.reason
  } finally {
    await stranger.close()
  }
  const fingerprint: string | undefined = c.transport?.remoteServerKey?.fingerprint
  console.log(JSON.stringify({ stdout: result.stdout, exitCode, reason, keyType: publicKey.type, fingerprint: fingerprint?.slice(0, 7) }))
} finally {
  await c.close()
}
