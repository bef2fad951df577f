/** parseProxyJump's URI form reads its user as OpenSSH's misc.c `parse_ssh_uri()` does. */
import { ConfigError, parseProxyJump } from '@x/gateway'
import { describe, expect, it } from 'vitest'

describe('parseProxyJump ssh:// users', () => {
  it('decodes %XX as UTF-8 bytes', () => {
    expect(parseProxyJump('ssh://%C3%A9t%C3%A9@jump')).toEqual([{ user: 'été', host: 'jump' }])
  })

  it('reads + as a space, which a hop refuses', () => {
    expect(() => parseProxyJump('ssh://a+b@jump')).toThrow(ConfigError)
  })

  it('ends the user at the first @, so a second @ makes the host invalid', () => {
    expect(() => parseProxyJump('ssh://a@b@jump')).toThrow(ConfigError)
  })
})
