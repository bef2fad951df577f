/** from= (addresses, CIDR, wildcards, host names) and expiry-time= as OpenSSH reads them. */
import { describe, expect, it } from 'vitest'
import { inNetwork, parseCidr, parseIp } from '../src/authorized-keys/cidr.js'
import { matchFrom } from '../src/authorized-keys/from-match.js'
import { isExpired, parseExpiryTime } from '../src/authorized-keys/expiry.js'

describe('CIDR networks', () => {
  it.each<[string, string, boolean]>([
    ['10.0.0.0/8', '10.255.1.2', true],
    ['10.0.0.0/8', '11.0.0.0', false],
    ['192.168.1.128/25', '192.168.1.200', true],
    ['192.168.1.128/25', '192.168.1.127', false],
    ['0.0.0.0/0', '203.0.113.9', true],
    ['203.0.113.9', '203.0.113.9', true],
    ['203.0.113.9/32', '203.0.113.8', false],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['::/0', '::1', true],
    ['::1', '::1', true],
    ['fe80::/10', 'febf::1', true],
    ['fe80::/10', 'fec0::1', false],
    ['::ffff:0.0.0.0/96', '::ffff:10.1.2.3', true],
    ['10.0.0.0/8', '::1', false],
    ['::/0', '10.0.0.1', false],
  ])('%s holds %s: %s', (cidr, address, want) => {
    const net = parseCidr(cidr)
    const ip = parseIp(address)
    if (typeof net === 'string' || ip === undefined) throw new Error('unparsed')
    expect(inNetwork(ip, net)).toBe(want)
  })

  it.each([
    ['10.1.2.3/8', 'inconsistent'],
    ['10.0.0.0/33', 'inconsistent'],
    ['2001:db8::1/32', 'inconsistent'],
    ['10.0.0.0/129', 'not-cidr'],
    ['10.0.0.0/x', 'not-cidr'],
    ['host.example', 'not-cidr'],
    ['10.0.0.*', 'not-cidr'],
  ])('%s is %s', (text, want) => {
    expect(parseCidr(text)).toBe(want)
  })

  it('parses IPv6 forms: compressed, full, embedded IPv4', () => {
    expect(Buffer.from(parseIp('2001:db8::ff00:42:8329') ?? []).toString('hex')).toBe('20010db8000000000000ff0000428329')
    expect(Buffer.from(parseIp('1:2:3:4:5:6:7:8') ?? []).toString('hex')).toBe('00010002000300040005000600070008')
    expect(Buffer.from(parseIp('::ffff:192.0.2.1') ?? []).toString('hex')).toBe('00000000000000000000ffffc0000201')
    expect(Buffer.from(parseIp('::') ?? []).toString('hex')).toBe('0'.repeat(32))
    expect(parseIp('fe80::1%eth0')).toBeUndefined()
    expect(parseIp('localhost')).toBeUndefined()
  })
})

describe('from= lists (match_host_and_ip)', () => {
  it.each<[string, string, string | undefined, string]>([
    ['127.0.0.1', '127.0.0.1', undefined, 'allow'],
    ['127.0.0.0/8', '::ffff:127.0.0.5', undefined, 'allow'],
    ['!10.0.0.0/8,*', '10.9.9.9', undefined, 'deny'],
    ['!10.0.0.0/8,*', '192.0.2.1', undefined, 'allow'],
    ['*.example.org', '192.0.2.1', 'host.EXAMPLE.org', 'allow'],
    ['*.example.org', '192.0.2.1', undefined, 'deny'],
    ['*.example.org,!bad.example.org', '192.0.2.1', 'bad.example.org', 'deny'],
    ['192.0.2.1', '192.0.2.1', 'somewhere.else', 'allow'],
    ['!192.0.2.1,*.example.org', '192.0.2.1', 'a.example.org', 'deny'],
    ['2001:db8::/32', '2001:db8::7', undefined, 'allow'],
    ['2001:db8::*', '2001:db8::7', undefined, 'allow'],
    ['127.0.0.1,', '127.0.0.1', undefined, 'invalid'],
    ['127.0.0.1,,10.0.0.1', '10.0.0.1', undefined, 'invalid'],
    ['!', '127.0.0.1', undefined, 'invalid'],
    ['10.1.2.3/8', '10.1.2.3', undefined, 'invalid'],
    ['', '127.0.0.1', undefined, 'invalid'],
    // key-options.sh's proxied case: sshd -i behind a ProxyCommand knows no address ("UNKNOWN").
    ['127.0.0.1', 'UNKNOWN', undefined, 'deny'],
    ['127.0.0.0/8,*', 'UNKNOWN', undefined, 'allow'],
  ])('from="%s" for %s (%s): %s', (list, address, hostname, want) => {
    expect(matchFrom(list, address, hostname)).toBe(want)
  })
})

describe('expiry-time= (parse_absolute_time)', () => {
  it.each<[string, string]>([
    ['20300102Z', '2030-01-02T00:00:00.000Z'],
    ['203001021304Z', '2030-01-02T13:04:00.000Z'],
    ['20300102130405z', '2030-01-02T13:04:05.000Z'],
    ['20300102UTC', '2030-01-02T00:00:00.000Z'],
    ['20300102130405utc', '2030-01-02T13:04:05.000Z'],
    ['20230231Z', '2023-03-03T00:00:00.000Z'],
  ])('%s is %s', (text, iso) => {
    expect(parseExpiryTime(text)?.toISOString()).toBe(iso)
  })

  it('reads a time without Z as local time', () => {
    expect(parseExpiryTime('203001021304')?.getTime()).toBe(new Date(2030, 0, 2, 13, 4, 0).getTime())
  })

  it.each(['2030010', '203001021', '2030-01-02', '20301301Z', '20300100', '20300102250000', '20300102126000', 'Z', 'UTC', '19700101Z', '2030010a'])(
    'refuses %s',
    (text) => {
      expect(parseExpiryTime(text)).toBeUndefined()
    },
  )

  it('refuses only once the expiry is strictly past, in whole seconds', () => {
    const at = Date.parse('2030-01-02T00:00:00Z')
    expect(isExpired(at, new Date('2030-01-02T00:00:00.900Z'))).toBe(false)
    expect(isExpired(at, new Date('2030-01-02T00:00:01Z'))).toBe(true)
    expect(isExpired(undefined, new Date(8.64e15))).toBe(false)
  })
})
