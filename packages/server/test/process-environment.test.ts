import { describe, expect, it } from 'vitest'
import { testUser } from '@x/testbed'
import { DEFAULT_SUPERUSER_PATH, lookupUser, runSession, sessionEnvironment, UnknownUserError } from '../src/index.js'
import { MemoryChannel } from './support/memory-channel.js'

const alice = { name: 'alice', uid: 1234, gid: 1234, home: '/home/alice', shell: '/bin/bash' }

describe('sessionEnvironment (sshd do_setup_env order)', () => {
  it('lets sshd\'s own variables replace the client\'s, server-chosen ones replace the defaults, and never takes SSH_ORIGINAL_COMMAND from the client', () => {
    const env = sessionEnvironment({
      user: alice,
      shell: '/bin/bash',
      clientEnv: { USER: 'mallory', LANG: 'C.UTF-8', SSH_ORIGINAL_COMMAND: 'forged' },
      extraEnv: { PATH: '/opt/bin', SSH_CONNECTION: 'forged' },
      endpoints: { remoteAddress: '10.0.0.2', remotePort: 5555, localAddress: '10.0.0.1', localPort: 22 },
      tz: undefined,
    })
    expect(env).toEqual({
      USER: 'alice', LOGNAME: 'alice', HOME: '/home/alice', PATH: '/opt/bin', MAIL: '/var/mail/alice',
      SHELL: '/bin/bash', LANG: 'C.UTF-8',
      SSH_CLIENT: '10.0.0.2 5555 22', SSH_CONNECTION: '10.0.0.2 5555 10.0.0.1 22',
    }) // and the client's SSH_ORIGINAL_COMMAND is dropped
  })

  it('gives uid 0 the superuser PATH and sets TERM, SSH_TTY, SSH_AUTH_SOCK and SSH_ORIGINAL_COMMAND when known', () => {
    const env = sessionEnvironment({
      user: { ...alice, uid: 0 }, shell: '/bin/sh', term: 'xterm', tty: '/dev/pts/3',
      agentSocket: '/tmp/agent.1', originalCommand: 'ls', tz: 'UTC',
    })
    expect(env).toMatchObject({ PATH: DEFAULT_SUPERUSER_PATH, TERM: 'xterm', SSH_TTY: '/dev/pts/3', SSH_AUTH_SOCK: '/tmp/agent.1', SSH_ORIGINAL_COMMAND: 'ls', TZ: 'UTC' })
  })
})

describe('runSession start-up corners', () => {
  it('runs in / with sshd\'s message when the home directory is missing', async () => {
    await testUser()
    const user = { ...(await lookupUser('xssh-test')), home: '/nonexistent-x-server-home' }
    const channel = new MemoryChannel(undefined)
    expect(await runSession(channel, { user, command: 'pwd' })).toMatchObject({ exitCode: 0 })
    expect(channel.stdout).toBe('/\n')
    expect(channel.errText).toMatch(/^Could not chdir to home directory \/nonexistent-x-server-home: ENOENT/)
  })

  it('ends with code 1 and the reason on stderr when the shell cannot be started', async () => {
    const user = { ...(await lookupUser('root')), shell: '/nonexistent/shell' }
    const channel = new MemoryChannel(undefined)
    expect(await runSession(channel, { user, command: 'true' })).toEqual({ exitCode: 1, exitSignal: null, hungUp: false })
    expect(channel.errText).toMatch(/\/nonexistent\/shell: .*ENOENT/)
    expect(channel.exitRecord).toEqual({ code: 1 })
  })

  it('lookupUser reads passwd(5) and throws UnknownUserError for a missing account', async () => {
    expect(await lookupUser('root')).toMatchObject({ name: 'root', uid: 0, gid: 0, home: '/root' })
    await expect(lookupUser('no-such-user-x')).rejects.toBeInstanceOf(UnknownUserError)
    await expect(lookupUser('no-such-user-x')).rejects.toMatchObject({ code: 'ERR_UNKNOWN_USER' })
  })
})
