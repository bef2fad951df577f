/** The Resources ownership stack: reverse disposal, defer handles, move, failures. */
import { describe, expect, it } from 'vitest'
import { Resources } from '../src/resources.js'

describe('Resources', () => {
  it('disposes what it holds in reverse, each once, and is empty after', async () => {
    const order: string[] = []
    const stack = new Resources()
    stack.use({ close: async () => void order.push('close()') })
    stack.use({ [Symbol.asyncDispose]: async () => void order.push('asyncDispose') })
    stack.use({ [Symbol.dispose]: () => void order.push('dispose') })
    stack.defer(() => order.push('deferred'))
    await stack.dispose()
    await stack.dispose()
    expect(order).toEqual(['deferred', 'dispose', 'asyncDispose', 'close()'])
    expect(stack.size).toBe(0)
  })

  it('lets go of a deferred entry through its handle without running it', async () => {
    let ran = false
    const stack = new Resources()
    const handle = stack.defer(() => (ran = true))
    handle[Symbol.dispose]()
    await stack.dispose()
    expect(ran).toBe(false)
  })

  it('moves its entries to a new owner, leaving itself empty', async () => {
    const order: number[] = []
    const stack = new Resources()
    stack.defer(() => order.push(1))
    const moved = stack.move()
    await stack.dispose()
    expect(order).toEqual([])
    await moved.dispose()
    expect(order).toEqual([1])
  })

  it('runs every entry when one fails, then rejects with that failure (AggregateError for several)', async () => {
    const order: number[] = []
    const stack = new Resources()
    stack.defer(() => order.push(1))
    stack.defer(() => {
      throw new Error('two')
    })
    stack.defer(() => order.push(3))
    await expect(stack.dispose()).rejects.toThrow('two')
    expect(order).toEqual([3, 1])
    stack.defer(() => Promise.reject(new Error('a')))
    stack.defer(() => Promise.reject(new Error('b')))
    await expect(stack.dispose()).rejects.toBeInstanceOf(AggregateError)
  })

  it('unwinds a half-built setup with await using', async () => {
    const closed: string[] = []
    await expect((async () => {
      await using setup = new Resources()
      setup.use({ close: async () => void closed.push('a') })
      setup.use({ close: async () => void closed.push('b') })
      throw new Error('step 3 failed')
    })()).rejects.toThrow('step 3 failed')
    expect(closed).toEqual(['b', 'a'])
  })
})
