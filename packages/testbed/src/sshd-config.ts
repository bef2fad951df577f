/** Names the authentication an sshd test server asks for (its `AuthenticationMethods`). */
export type SshdAuth =
  | 'publickey'
  | 'password'
  | 'keyboard-interactive'
  | 'password+keyboard-interactive'
  | 'publickey,password'
  | 'publickey,keyboard-interactive'

/** Holds everything sshd_config needs, as {@link startSshd} decides it. */
export interface SshdConfigInput {
  port: number
  pidFile: string
  hostKeyPaths: readonly string[]
  authorizedKeysFile: string
  user: string
  auth: SshdAuth
  allowTcpForwarding: boolean | 'local' | 'remote'
  maxSessions?: number
  logLevel: string
  extraConfig: readonly string[]
}

/**
 * The method lists per variant. A comma joins methods that must all succeed (partial
 * success after the first); a space separates alternatives.
 */
const METHODS: Record<SshdAuth, { methods: string; pubkey: boolean; password: boolean; kbd: boolean }> = {
  publickey: { methods: 'publickey', pubkey: true, password: false, kbd: false },
  password: { methods: 'password', pubkey: false, password: true, kbd: false },
  'keyboard-interactive': { methods: 'keyboard-interactive', pubkey: false, password: false, kbd: true },
  'password+keyboard-interactive': {
    methods: 'password keyboard-interactive', pubkey: false, password: true, kbd: true,
  },
  'publickey,password': { methods: 'publickey,password', pubkey: true, password: true, kbd: false },
  'publickey,keyboard-interactive': {
    methods: 'publickey,keyboard-interactive', pubkey: true, password: false, kbd: true,
  },
}

const yesNo = (on: boolean): string => (on ? 'yes' : 'no')

/**
 * Renders the sshd_config of a test server.
 *
 * sshd keeps the FIRST value it reads for most keywords, so `extraConfig` lines come first
 * and override the defaults below; lines from the first `Match` on go last, where sshd
 * requires Match blocks to be.
 */
export function renderSshdConfig(input: SshdConfigInput): string {
  const auth = METHODS[input.auth]
  const matchAt = input.extraConfig.findIndex((line) => /^\s*Match\s/i.test(line))
  const extraFirst = matchAt < 0 ? input.extraConfig : input.extraConfig.slice(0, matchAt)
  const extraLast = matchAt < 0 ? [] : input.extraConfig.slice(matchAt)
  const forwarding =
    typeof input.allowTcpForwarding === 'string' ? input.allowTcpForwarding : yesNo(input.allowTcpForwarding)
  const lines = [
    '# Written by @x/testbed for one test server; removed with its temp dir.',
    ...extraFirst,
    `ListenAddress 127.0.0.1:${input.port}`,
    `PidFile ${input.pidFile}`,
    ...input.hostKeyPaths.map((path) => `HostKey ${path}`),
    `LogLevel ${input.logLevel}`,
    // The authorized_keys file lives in the root-owned temp dir; sshd reads it as the user.
    'StrictModes no',
    `AuthorizedKeysFile ${input.authorizedKeysFile}`,
    'UsePAM yes',
    `PubkeyAuthentication ${yesNo(auth.pubkey)}`,
    `PasswordAuthentication ${yesNo(auth.password)}`,
    `KbdInteractiveAuthentication ${yesNo(auth.kbd)}`,
    `AuthenticationMethods ${auth.methods}`,
    'PermitEmptyPasswords no',
    'PermitRootLogin no',
    `AllowUsers ${input.user}`,
    'MaxAuthTries 10',
    'MaxStartups 200',
    'LoginGraceTime 60',
    ...(input.maxSessions === undefined ? [] : [`MaxSessions ${input.maxSessions}`]),
    `AllowTcpForwarding ${forwarding}`,
    'AllowStreamLocalForwarding yes',
    'AllowAgentForwarding yes',
    'GatewayPorts no',
    'X11Forwarding no',
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    'AcceptEnv LANG LC_* XSSH_*',
    // Without it every command pays for a login shell's slow startup on this machine kind.
    'SetEnv SHLVL=1',
    'Subsystem sftp internal-sftp',
    ...extraLast,
  ]
  return `${lines.join('\n')}\n`
}
