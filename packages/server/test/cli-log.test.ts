// x-sshd's log lines: JSON with a time, or text key=value with quoting where needed.
import { describe, expect, it } from 'vitest'
import { formatLogLine } from '../src/cli/log-format.js'

const at = new Date('2026-01-02T03:04:05.006Z')

describe('formatLogLine', () => {
  it('writes an event as one JSON object with its time', () => {
    const line = formatLogLine({ event: 'auth', id: 3, user: 'al ice', method: 'password', result: 'failure' }, 'json', at)
    expect(JSON.parse(line)).toEqual({ time: '2026-01-02T03:04:05.006Z', event: 'auth', id: 3, user: 'al ice', method: 'password', result: 'failure' })
  })

  it('writes text as time, event and key=value, quoting values with spaces and leaving out undefined ones', () => {
    expect(formatLogLine({ event: 'session', id: 1, kind: 'exec', command: 'ls -l', forced: false }, 'text', at))
      .toBe('2026-01-02T03:04:05.006Z session id=1 kind=exec command="ls -l" forced=false')
    expect(formatLogLine({ event: 'disconnect', id: 2, code: undefined }, 'text', at)).toBe('2026-01-02T03:04:05.006Z disconnect id=2')
  })
})
