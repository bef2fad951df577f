/**
 * Differential: for each authorized_keys line, real OpenSSH sshd and real `ssh` say whether
 * the login, a pty, a direct-tcpip or a tcpip-forward is allowed (and what a forced command or
 * environment= does), and our AuthorizedKeys/KeyRestrictions must decide the same.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PublicKey } from '@x/transport'
import { AuthorizedKeys } from '@x/server'
import { freePort, runCommand, startEchoServer, startSshAgent, startSshd } from '@x/testbed'
import type { ClientKey, CommandOutput, SshAgentHandle, SshdHandle, TcpServerHandle } from '@x/testbed'

let sshd: SshdHandle
let echo: TcpServerHandle
let key: ClientKey
let listenPort: number
let agent: SshAgentHandle

beforeAll(async () => {
  ;[sshd, echo, listenPort, agent] = await Promise.all([
    startSshd({ extraConfig: ['PermitUserEnvironment yes'] }),
    startEchoServer(),
    freePort(),
    startSshAgent(),
  ])
  key = sshd.clientKeys.ed25519
})
afterAll(async () => {
  await Promise.all([sshd?.close(), echo?.close(), agent?.close()])
})

function ssh(
  args: readonly string[],
  command: string,
  input?: string,
  env?: NodeJS.ProcessEnv,
  server: SshdHandle = sshd,
): Promise<CommandOutput> {
  return runCommand('/usr/bin/ssh', [
    '-F', '/dev/null',
    '-o', 'BatchMode=yes',
    '-o', 'IdentitiesOnly=yes',
    '-i', key.privatePath,
    '-o', 'StrictHostKeyChecking=yes',
    '-o', `UserKnownHostsFile=${server.knownHostsFile}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-p', String(server.port),
    ...args,
    `${server.user}@${server.host}`,
    command,
  ], { allowFailure: true, timeoutMs: 20_000, input: input ?? '', env })
}

/** Installs `text` as sshd's authorized_keys (sshd reads it on every login) and ours. */
async function install(text: string, server: SshdHandle = sshd): Promise<AuthorizedKeys> {
  await writeFile(join(server.dir, 'authorized_keys'), text, { mode: 0o644 })
  return AuthorizedKeys.parse(text)
}

const ours = (ak: AuthorizedKeys) =>
  ak.check(PublicKey.parse(key.publicLine), { address: '127.0.0.1', permitUserEnvironment: true })

/** Local (or UTC) YYYYMMDDHHMM at now + offsetMs: sshd and this process share the time zone. */
function stamp(offsetMs: number, utc = false): string {
  const d = new Date(Date.now() + offsetMs)
  const parts = utc
    ? [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes()]
    : [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes()]
  return parts.map((n, i) => String(n).padStart(i === 0 ? 4 : 2, '0')).join('')
}

const line = (options: string): string => `${options === '' ? '' : `${options} `}${key.publicLine}\n`

describe('authorized_keys against real sshd: may this key log in?', () => {
  it.each([
    '',
    'from="127.0.0.1"',
    'from="10.0.0.0/8"',
    'from="127.0.0.0/8,!127.0.0.2"',
    'from="!127.0.0.1,*"',
    'from="localhost"',
    'from="127.0.0.*"',
    'from="127.0.0.1/8"',
    'expiry-time="19990101"',
    'expiry-time="20990101"',
    'expiry-time="20990101Z"',
    'expiry-time="19990101UTC"',
    `expiry-time="${stamp(-120_000)}"`,
    `expiry-time="${stamp(+120_000)}"`,
    `expiry-time="${stamp(-120_000, true)}Z"`,
    'frobnicate',
    'no-pty,frobnicate',
    'no-pty,',
    ',no-pty',
    'no-pty,,command="echo x"',
    'No-Pty,COMMAND="echo x"',
    'permitopen="host"',
    'environment="FOO"',
    'tunnel="tun0"',
    'command="a",command="b"',
    'cert-authority',
    'restrict,command="echo restricted"',
  ])('%s', async (options) => {
    const ak = await install(line(options))
    const out = await ssh([], 'echo original')
    const decision = ours(ak)
    expect({ options, loggedIn: out.code === 0 }).toEqual({ options, loggedIn: decision.accepted })
  })

  it('an unknown option rejects only its line: a later line for the same key still logs in', async () => {
    const ak = await install(`frobnicate ${key.publicLine}\nno-pty ${key.publicLine}\n`)
    const out = await ssh([], 'echo original')
    expect(out.code).toBe(0)
    const decision = ours(ak)
    expect(decision.accepted && decision.entry.line).toBe(2)
  })
})

describe('authorized_keys against real sshd: what the session gets', () => {
  it.each([
    'command="echo bar"',
    'command="echo \\"[$SSH_ORIGINAL_COMMAND]\\""',
    'no-pty,command="printf %s done"',
  ])('forced command %s runs instead of the client\'s', async (options) => {
    const ak = await install(line(options))
    const out = await ssh([], 'echo original')
    const decision = ours(ak)
    if (!decision.accepted) throw new Error('we refused')
    const forced = decision.restrictions.forcedCommand
    expect(forced).toBeDefined()
    // What the forced command prints, run here with the variable sshd sets.
    const expected = await runCommand('/bin/sh', ['-c', forced ?? ''], { env: { SSH_ORIGINAL_COMMAND: 'echo original' } })
    expect(out.stdout).toBe(expected.stdout)
  })

  it.each(['', 'no-pty', 'restrict', 'restrict,pty', 'pty,restrict', 'no-pty,pty'])('a pty with %s', async (options) => {
    const ak = await install(line(options))
    const out = await ssh(['-tt'], 'tty')
    const decision = ours(ak)
    if (!decision.accepted) throw new Error('we refused')
    const granted = out.stdout.includes('/dev/pts/')
    // ssh -tt gives up (255) when the server refuses the pty; anything else is a failed probe.
    expect(granted || out.stderr.includes('PTY allocation request failed')).toBe(true)
    expect({ options, pty: granted }).toEqual({ options, pty: decision.restrictions.allowPty() })
  })

  it.each([
    ['environment="XSSH_FOO=bar"', 'bar'],
    ['environment="XSSH_FOO=first",environment="XSSH_FOO=second"', 'first'],
    ['', ''],
  ])('environment with %s (PermitUserEnvironment yes)', async (options, want) => {
    const ak = await install(line(options))
    const out = await ssh([], 'echo "$XSSH_FOO"')
    const decision = ours(ak)
    if (!decision.accepted) throw new Error('we refused')
    expect(out.stdout.trim()).toBe(want)
    expect(decision.restrictions.environment.get('XSSH_FOO') ?? '').toBe(want)
  })
})

describe('authorized_keys against real sshd: PermitUserEnvironment off and as a pattern list', () => {
  it.each<[string, boolean | string]>([
    ['no', false],
    ['XSSH_A', 'XSSH_A'],
  ])('PermitUserEnvironment %s', async (setting, policy) => {
    const other = await startSshd({ extraConfig: [`PermitUserEnvironment ${setting}`] })
    try {
      const ak = await install(line('environment="XSSH_A=1",environment="XSSH_B=2"'), other)
      const out = await ssh([], 'echo "[$XSSH_A][$XSSH_B]"', '', undefined, other)
      const decision = ak.check(PublicKey.parse(key.publicLine), { address: '127.0.0.1', permitUserEnvironment: policy })
      if (!decision.accepted) throw new Error('we refused')
      const env = decision.restrictions.environment
      expect(out.stdout.trim()).toBe(`[${env.get('XSSH_A') ?? ''}][${env.get('XSSH_B') ?? ''}]`)
    } finally {
      await other.close()
    }
  })
})

describe('authorized_keys against real sshd: agent forwarding', () => {
  it.each(['', 'no-agent-forwarding', 'restrict', 'restrict,agent-forwarding', 'no-agent-forwarding,agent-forwarding'])(
    'ssh -A with %s',
    async (options) => {
      const ak = await install(line(options))
      const out = await ssh(['-A'], 'echo "[$SSH_AUTH_SOCK]"', '', { SSH_AUTH_SOCK: agent.socketPath })
      const decision = ours(ak)
      if (!decision.accepted) throw new Error('we refused')
      expect(out.code).toBe(0)
      const forwarded = !out.stdout.includes('[]')
      expect({ options, forwarded }).toEqual({ options, forwarded: decision.restrictions.allowAgentForwarding() })
    },
  )
})

describe('authorized_keys against real sshd: forwarding', () => {
  const openCases = (): string[] => [
    '',
    `permitopen="127.0.0.1:${echo.port}"`,
    `permitopen="127.0.0.1:*"`,
    `permitopen="127.0.0.1:1"`,
    `permitopen="localhost:${echo.port}"`,
    `permitopen="127.0.0.1:1",permitopen="127.0.0.1:${echo.port}"`,
    `permitopen="*:${echo.port}"`,
    'no-port-forwarding',
    'restrict',
    'restrict,port-forwarding',
  ]

  it('direct-tcpip (ssh -W) to 127.0.0.1:<echo> for each permitopen line', async () => {
    for (const options of openCases()) {
      const ak = await install(line(options))
      const out = await ssh(["-W", `127.0.0.1:${echo.port}`], "", "ping\n")
      const decision = ours(ak)
      if (!decision.accepted) throw new Error('we refused')
      const opened = out.code === 0 && out.stdout === 'ping\n'
      expect({ options, opened }).toEqual({ options, opened: decision.restrictions.allowOpen('127.0.0.1', echo.port) })
    }
  })

  it('tcpip-forward (ssh -R 127.0.0.1:<port>) for each permitlisten line', async () => {
    const cases = [
      '',
      `permitlisten="${listenPort}"`,
      `permitlisten="127.0.0.1:${listenPort}"`,
      `permitlisten="localhost:${listenPort}"`,
      `permitlisten="127.0.0.*:*"`,
      `permitlisten="${listenPort + 1 > 65535 ? 1025 : listenPort + 1}"`,
      'no-port-forwarding',
      `restrict,port-forwarding,permitlisten="${listenPort}"`,
    ]
    for (const options of cases) {
      const ak = await install(line(options))
      const out = await ssh(
        ['-o', 'ExitOnForwardFailure=yes', '-R', `127.0.0.1:${listenPort}:127.0.0.1:${echo.port}`],
        'echo forwarded',
      )
      const decision = ours(ak)
      if (!decision.accepted) throw new Error('we refused')
      const listened = out.code === 0 && out.stdout.trim() === 'forwarded'
      expect({ options, listened }).toEqual({ options, listened: decision.restrictions.allowListen('127.0.0.1', listenPort) })
    }
  })

  it('tcpip-forward asking for port 0 (ssh -R 127.0.0.1:0) for each permitlisten line', async () => {
    const cases = ['', `permitlisten="${listenPort}"`, 'permitlisten="127.0.0.1:*"', 'permitlisten="*"']
    for (const options of cases) {
      const ak = await install(line(options))
      const out = await ssh(['-o', 'ExitOnForwardFailure=yes', '-R', `127.0.0.1:0:127.0.0.1:${echo.port}`], 'echo forwarded')
      const decision = ours(ak)
      if (!decision.accepted) throw new Error('we refused')
      const listened = out.code === 0 && out.stdout.trim() === 'forwarded'
      expect({ options, listened }).toEqual({ options, listened: decision.restrictions.allowListen('127.0.0.1', 0) })
    }
  })
})
