import { describe, expect, it } from 'vitest'
import { SSHD, runCommand, startSshd, waitFor } from '../src/index.js'
import type { SshdAuth, SshdHandle } from '../src/index.js'
import { ssh2Connect, ssh2End, ssh2Exec } from './helpers.js'
import type { Client } from './helpers.js'

/** Logs in as the test user with whatever `auth` asks for: the ed25519 key, then the password. */
function login(sshd: SshdHandle): Promise<Client> {
  const { user, password } = sshd
  return ssh2Connect({
    host: sshd.host,
    port: sshd.port,
    username: user,
    tryKeyboard: true,
    authHandler: (left, _partial, next) => {
      // First round: no method list yet; sshd's answer to `none` lists them.
      if (left === null) return next({ type: 'none', username: user })
      if (left.includes('publickey')) {
        return next({ type: 'publickey', username: user, key: sshd.clientKeys.ed25519.privateText })
      }
      if (left.includes('password')) return next({ type: 'password', username: user, password })
      return next({
        type: 'keyboard-interactive', username: user,
        prompt: (_n, _i, _l, prompts, finish) => finish(prompts.map(() => password)),
      })
    },
  })
}

/** Returns `sshd -T`'s effective value of `keyword` (lower case) for the server's config. */
async function effective(sshd: SshdHandle, keyword: string): Promise<string | undefined> {
  const { stdout } = await runCommand(SSHD, ['-T', '-f', sshd.configPath])
  return stdout.split('\n').find((line) => line.startsWith(`${keyword} `))?.slice(keyword.length + 1)
}

describe("startSshd extraConfig: ['MaxAuthTries 6']", () => {
  const variants: SshdAuth[] = [
    'password', 'keyboard-interactive', 'password+keyboard-interactive',
    'publickey,password', 'publickey,keyboard-interactive',
  ]
  for (const auth of variants) {
    it(`${auth}: overrides the default 10, and the password still lets the user in`, async () => {
      await using sshd = await startSshd({ auth, extraConfig: ['MaxAuthTries 6'] })
      expect(await effective(sshd, 'maxauthtries')).toBe('6')
      const client = await login(sshd)
      try {
        expect(await ssh2Exec(client, 'id -un')).toBe(`${sshd.user}\n`)
      } finally {
        await ssh2End(client)
      }
    })
  }

  it('disconnects at the 6th failed attempt (the first `none` does not count)', async () => {
    await using sshd = await startSshd({ auth: 'password', extraConfig: ['MaxAuthTries 6'] })
    let attempts = 0
    const refused = ssh2Connect({
      host: sshd.host, port: sshd.port, username: sshd.user,
      // `none` fails without PAM's ~2 s failure delay, and counts like any other method.
      authHandler: (_left, _partial, next) => {
        attempts++
        return attempts > 20 ? next(false as never) : next({ type: 'none', username: sshd.user })
      },
    })
    await expect(refused).rejects.toThrow(/Too many authentication failures/)
    expect(attempts).toBe(7)
    // The preauth child logs through the monitor, so the line may land after the disconnect.
    await waitFor(async () => (await sshd.log()).includes('maximum authentication attempts exceeded'), {
      timeoutMs: 5000, description: "sshd's log line",
    })
  })
})

describe('startSshd({ maxSessions: 10 })', () => {
  it('opens 10 session channels on one connection and refuses the 11th', async () => {
    await using sshd = await startSshd({ maxSessions: 10 })
    expect(await effective(sshd, 'maxsessions')).toBe('10')
    const client = await login(sshd)
    try {
      const open = (): Promise<unknown> =>
        new Promise((resolve, reject) => client.shell(false, (err, ch) => (err ? reject(err) : resolve(ch))))
      for (let i = 0; i < 10; i++) await open()
      await expect(open()).rejects.toThrow(/open failed|prohibited/i)
    } finally {
      await ssh2End(client)
    }
  })
})
