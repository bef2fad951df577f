import { describe, expect, it } from 'vitest'
import { parseDuration } from '../src/index.js'

describe('parseDuration', () => {
  it('reads Go-style units, compounds and plain seconds', () => {
    expect(parseDuration('500ms')).toBe(500)
    expect(parseDuration('5s')).toBe(5000)
    expect(parseDuration('2m')).toBe(120_000)
    expect(parseDuration('1h30m')).toBe(5_400_000)
    expect(parseDuration('1.5s')).toBe(1500)
    expect(parseDuration('1m30s250ms')).toBe(90_250)
    expect(parseDuration(5)).toBe(5000)
    expect(parseDuration('5')).toBe(5000)
    expect(parseDuration(0.25)).toBe(250)
    expect(parseDuration('0')).toBe(0)
  })

  it.each(['', '5 s', 's', '5x', '-1s', '1s-', 'ms5', '1d', '169h'])('refuses %j', (text) => {
    expect(() => parseDuration(text)).toThrow(RangeError)
  })

  it('refuses a negative or non-finite number', () => {
    expect(() => parseDuration(-1)).toThrow(RangeError)
    expect(() => parseDuration(Number.NaN)).toThrow(RangeError)
    expect(() => parseDuration(Number.POSITIVE_INFINITY)).toThrow(RangeError)
  })
})
