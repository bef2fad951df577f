import { describe, expect, it } from 'vitest'
import { expandNodeset, MAX_NODES, NodesetError } from '../src/index.js'

describe('expandNodeset', () => {
  it('expands ranges with the left bound\'s zero padding, lists and steps, in order, with a port', () => {
    expect(expandNodeset('node[01-03]:22')).toEqual(['node01:22', 'node02:22', 'node03:22'])
    expect(expandNodeset('web[1,3,5-7]')).toEqual(['web1', 'web3', 'web5', 'web6', 'web7'])
    expect(expandNodeset('n[08-10]')).toEqual(['n08', 'n09', 'n10'])
    expect(expandNodeset('n[1-9/4]')).toEqual(['n1', 'n5', 'n9'])
    expect(expandNodeset('h[9-11]')).toEqual(['h9', 'h10', 'h11'])
  })

  it('takes every combination of several brackets, and top-level lists, each name once', () => {
    expect(expandNodeset('r[1-2]n[1-2]')).toEqual(['r1n1', 'r1n2', 'r2n1', 'r2n2'])
    expect(expandNodeset('a, b[1-2]:2222,a')).toEqual(['a', 'b1:2222', 'b2:2222'])
    expect(expandNodeset('10.0.0.[1-2]:22')).toEqual(['10.0.0.1:22', '10.0.0.2:22'])
    expect(expandNodeset('plain')).toEqual(['plain'])
  })

  it('keeps an IPv6 literal in brackets as it is', () => {
    expect(expandNodeset('[::1]:2222,[fe80::1]')).toEqual(['[::1]:2222', '[fe80::1]'])
  })

  it.each([
    ['node[1-3', '"[" without "]"', 4],
    ['node1-3]', '"]" without "["', 7],
    ['n[[1]]', 'nested', 2],
    ['n[3-1]', 'goes down', 2],
    ['n[1-x]', 'is not a number', 2],
    ['n[]', 'is not a number', 2],
    ['a,,b', 'empty name', 2],
    ['@compute', 'node groups', 0],
    ['a b', 'holds a space', 0],
    ['n[1-5/0]', 'step below 1', 2],
  ])('refuses %j (%s) at offset %i', (text, what, offset) => {
    const err = (() => {
      try {
        expandNodeset(text)
      } catch (e) {
        return e
      }
      return undefined
    })()
    expect(err).toBeInstanceOf(NodesetError)
    expect((err as NodesetError).message).toContain(what)
    expect((err as NodesetError).offset).toBe(offset)
  })

  it(`refuses a nodeset past ${MAX_NODES} names without building it (a hostile config)`, () => {
    const t0 = process.hrtime.bigint()
    expect(() => expandNodeset('n[1-999999999999]')).toThrow(/more than 10000/)
    expect(() => expandNodeset('a[1-1000]b[1-1000]')).toThrow(/more than 10000/)
    expect(() => expandNodeset(Array.from({ length: 3 }, (_, i) => `x${i}[1-5000]`).join(','))).toThrow(/more than 10000/)
    // Refused from the arithmetic, not after allocating: well under a second for all three.
    expect(Number(process.hrtime.bigint() - t0) / 1e9).toBeLessThan(1)
    expect(expandNodeset(`n[1-${MAX_NODES}]`)).toHaveLength(MAX_NODES)
  })
})
