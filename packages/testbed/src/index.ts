// The public surface of @x/testbed, listed by hand (no `export *`).
export { testUser, TEST_USER_NAME, STATE_DIR } from './test-user.js'
export type { TestUser } from './test-user.js'
export { clientKeys, authorizedKeysText } from './client-keys.js'
export { KEY_CACHE_ENV } from './key-cache.js'
export type { ClientKey, ClientKeys } from './client-keys.js'
export { generateKey, fingerprintOfFile, SSH_KEYGEN } from './ssh-keygen.js'
export type { KeyType, GenerateKeyOptions, GeneratedKey } from './ssh-keygen.js'
export { fingerprintOfPublicLine } from './fingerprint.js'
export { knownHostsLines, writeKnownHostsFile } from './host-keys.js'
export type { HostKey } from './host-keys.js'
export type { SshServerHandle } from './server-handle.js'
export { startSshd, SSHD } from './sshd.js'
export type { SshdOptions, SshdHandle } from './sshd.js'
export type { SshdAuth } from './sshd-config.js'
export { startDropbear, DROPBEAR } from './dropbear.js'
export type { DropbearOptions, DropbearHandle } from './dropbear.js'
export { ServerStartError } from './server-process.js'
export { startSshAgent } from './ssh-agent.js'
export type { SshAgentHandle } from './ssh-agent.js'
export { startSsh2Server, generateUsableEd25519 } from './ssh2-server.js'
export type { Ssh2ServerOptions, Ssh2ServerHandle } from './ssh2-server.js'
export { startEchoServer, startSilentServer, startGarbageServer, startTcpServer } from './tcp-servers.js'
export type { TcpServerHandle } from './tcp-servers.js'
export { echoThrough } from './echo-through.js'
export { startHostileBannerServer, hostileBannerBytes, HOSTILE_BANNERS, DRIP_BANNER } from './hostile-servers.js'
export type { HostileBanner, HostileBannerOptions } from './hostile-servers.js'
export { startMitmRelay } from './mitm-relay.js'
export type { MitmFault, MitmRelayHandle, RelayDirection, RelayStreamReport } from './mitm-relay.js'
export { SshStreamTracker, plaintextPacket, plaintextIgnorePacket, MSG_IGNORE, MSG_KEXINIT, MSG_NEWKEYS } from './ssh-stream-tracker.js'
export type { ChunkReport, StreamMark, StreamPhase } from './ssh-stream-tracker.js'
export { disableStrictKex } from './ssh2-no-strict-kex.js'
export { startTlsHttpsServer, HTTPS_TEST_BODY } from './tls-server.js'
export type { HttpsServerHandle, HttpsServerOptions } from './tls-server.js'
export {
  IP,
  NSENTER,
  SOCAT,
  TC,
  answersSshInNetns,
  createNetns,
  deleteNetns,
  hostConnectRefused,
  inNetns,
  listNetns,
  listenInNetns,
  netnsPath,
  netnsPids,
  readFirstBytesInNetns,
  unusedHostPorts,
} from './netns.js'
export type { NetnsCredentials } from './netns.js'
export { startNetnsRelay } from './relay.js'
export type { NetnsRelayHandle, NetnsRelayOptions } from './relay.js'
export { startSite } from './site.js'
export type {
  SiteHandle,
  SiteHttps,
  SiteOptions,
  SitePostgres,
  SiteServerName,
  SiteSshServer,
  SiteSshdOptions,
} from './site.js'
export { closedPort, freePort, LOOPBACK } from './ports.js'
export {
  childPids,
  descendantPids,
  isProcessAlive,
  killConnections,
  openFdCount,
  processCommandLine,
  readProcessStat,
  signalEach,
  socketsTo,
} from './proc.js'
export type { ProcessStat } from './proc.js'
export { isStopped } from './server-process.js'
export { ensureSudo, sudoersText, SUDO, SUDOERS_FILE, VISUDO } from './sudo.js'
export { startPostgres, postgresBinDir, POSTGRES_OS_USER, POSTGRES_ROLE } from './postgres.js'
export type { PostgresOptions, PostgresHandle } from './postgres.js'
export { runCommand } from './run-command.js'
export type { RunCommandOptions, CommandOutput } from './run-command.js'
export { waitFor } from './wait.js'
export type { WaitForOptions } from './wait.js'
export { testUserTempDir } from './test-user-dir.js'
export { freezeProcesses } from './freeze.js'
export { clientTargetOf, targetFingerprints, targetKnownHostsLines } from './client-target.js'
export type { ClientTarget } from './client-target.js'
export { runClientProcess, ClientRunError } from './client-process.js'
export type { ClientProcessOptions, ClientProcessResult } from './client-process.js'
export { runPlink, runPsftp, convertKeyToPpk, PLINK, PSFTP, PUTTYGEN } from './putty.js'
export type { PlinkOptions, PsftpOptions, PuttyResult } from './putty.js'
export { parsePuttyLog, channelRequestAnswers } from './putty-log.js'
export type { PuttyLogPacket, PuttyChannelRequest } from './putty-log.js'
export { runDbclient, startDbclientForward, DBCLIENT, DROPBEARCONVERT } from './dbclient.js'
export type { DbclientOptions, DbclientForwardOptions, DbclientForwardHandle } from './dbclient.js'
export { runPythonClient, SYSTEM_PYTHON } from './python-clients.js'
export type {
  PythonClient,
  PythonClientOptions,
  PythonClientOutcome,
  PythonExecScenario,
  PythonForwardScenario,
  PythonScenario,
  PythonScenarioResults,
  PythonSftpScenario,
} from './python-clients.js'
export { isListeningOnLoopback } from './listening.js'
export { makeClientScratch } from './client-scratch.js'
export { startEtcd, ETCD } from './etcd.js'
export type { EtcdHandle, EtcdOptions } from './etcd.js'
export { sourceCli } from './source-cli.js'
export type { SourceCli, CliProcess } from './source-cli.js'
export type { ClientScratch } from './client-scratch.js'
