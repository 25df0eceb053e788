import { describe, expect, it } from 'vitest'
import { createCache } from './create-cache.js'
import { CacheGuardError } from './errors.js'
import type { Guard } from './guard.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A backend that records how many of its calls run at once. */
function countingBackend(latencyMs: number) {
  const backend = {
    calls: 0,
    running: 0,
    peak: 0,
    async load(id: string) {
      backend.calls++
      backend.running++
      backend.peak = Math.max(backend.peak, backend.running)
      await sleep(latencyMs)
      backend.running--
      return { id }
    },
  }
  return backend
}

describe('load cap | loadConcurrency', () => {
  it('never runs more than 8 loads for 1,000 concurrent misses; the overflow gets CG_OVERLOADED', async () => {
    const backend = countingBackend(5)
    const cache = createCache({ loadConcurrency: 8, loadQueue: 92 })
    const settled = await Promise.allSettled(
      Array.from({ length: 1000 }, (_, i) =>
        cache.getOrSet(`user:${i}`, () => backend.load(String(i))),
      ),
    )
    expect(backend.peak).toBe(8)
    const fulfilled = settled.filter((s) => s.status === 'fulfilled')
    const rejected = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected')
    // 8 running + 92 queued were served; every other caller was refused at once, typed.
    expect(fulfilled).toHaveLength(100)
    expect(rejected).toHaveLength(900)
    for (const { reason } of rejected) {
      expect(reason).toBeInstanceOf(CacheGuardError)
      expect(reason.code).toBe('CG_OVERLOADED')
    }
    expect(backend.calls).toBe(100)
    expect(cache.stats()).toMatchObject({ loads: 100, overloaded: 900 })
  })

  it('serves every caller when the queue is long enough, 8 at a time', async () => {
    const backend = countingBackend(2)
    const cache = createCache({ loadConcurrency: 8, loadQueue: Number.POSITIVE_INFINITY })
    const values = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        cache.getOrSet(`user:${i}`, () => backend.load(String(i))),
      ),
    )
    expect(values.map((v) => v?.id)).toEqual(Array.from({ length: 1000 }, (_, i) => String(i)))
    expect(backend.peak).toBe(8)
    expect(backend.calls).toBe(1000)
  })

  it('keeps a slot free of a failing loader, and of keys a guard blocks', async () => {
    const blockOdd: Guard = {
      name: 'odd',
      load: (ctx, next) => (Number(ctx.key) % 2 ? Promise.resolve(ctx.block()) : next()),
    }
    const cache = createCache({ loadConcurrency: 1, loadQueue: 0, guards: [blockOdd] })
    await expect(cache.getOrSet('0', () => Promise.reject(new Error('db')))).rejects.toThrow('db')
    expect(await cache.getOrSet('1', () => 'never')).toBeUndefined()
    expect(await cache.getOrSet('2', () => 'two')).toBe('two')
  })

  it('skips a background refresh when overloaded and keeps serving the stale value', async () => {
    const cache = createCache({ ttl: 10, grace: '1m', jitter: 0, loadConcurrency: 1, loadQueue: 0 })
    await cache.getOrSet('stale', () => 'old')
    await sleep(30)
    let release!: () => void
    const busy = cache.getOrSet(
      'busy',
      () => new Promise<string>((resolve) => (release = () => resolve('b'))),
    )
    const codes: string[] = []
    cache.on('error', ({ operation, error }) => codes.push(`${operation}:${error.code}`))
    expect(await cache.getOrSet('stale', () => 'new')).toBe('old')
    release()
    await busy
    await sleep(5)
    expect(codes).toEqual(['refresh:CG_OVERLOADED'])
    expect(await cache.getOrSet('stale', () => 'newer')).toBe('old')
  })

  it('loaders that never settle and ignore their signal: overdue loads keep their slot, visibly, and free it when they settle', async () => {
    const cache = createCache({ loadConcurrency: 2, loadQueue: 2, timeout: { hard: 20 } })
    const overdue: Array<{ key: string; hardTimeoutMs: number; overdueLoads: number }> = []
    cache.on('overdue', (event) => overdue.push(event))
    const releases: Array<() => void> = []
    // Deaf to its signal: it settles only when the test says so.
    const deaf = (value: string) => () =>
      new Promise<string>((resolve) => releases.push(() => resolve(value)))
    const stuck = ['a', 'b', 'c', 'd'].map((key) => cache.getOrSet(key, deaf(key)))
    for (const result of await Promise.allSettled(stuck)) {
      expect(result).toMatchObject({ status: 'rejected', reason: { code: 'CG_LOAD_TIMEOUT' } })
    }
    // Two loads hold the slots past their hard timeout, two wait for them.
    expect(cache.stats().overdueLoads).toBe(4)
    expect(overdue.map((event) => event.key).sort()).toEqual(['a', 'b', 'c', 'd'])
    expect(overdue[0]).toMatchObject({ hardTimeoutMs: 20 })
    expect(overdue.map((event) => event.overdueLoads)).toEqual([1, 2, 3, 4])
    const refused = await cache.getOrSet('e', () => 'e').catch((error: unknown) => error)
    expect(refused).toMatchObject({ code: 'CG_OVERLOADED' })
    expect((refused as Error).message).toContain('4 of them are past their hard timeout')
    // The slots come back as the loaders settle, and what they loaded is cached.
    for (const release of releases.splice(0)) release()
    await sleep(5)
    for (const release of releases.splice(0)) release()
    await sleep(5)
    expect(cache.stats().overdueLoads).toBe(0)
    expect(await cache.getOrSet('e', () => 'e')).toBe('e')
    expect(await cache.getOrSet('a', () => 'not called')).toBe('a')
  })

  it('rejects bad limits with a TypeError', () => {
    expect(() => createCache({ loadConcurrency: 0 })).toThrow(
      'Expected `loadConcurrency` to be a number from 1 or more',
    )
    expect(() => createCache({ loadConcurrency: 2.5 })).toThrow('to be an integer or Infinity')
    expect(() => createCache({ loadQueue: -1 })).toThrow(
      'Expected `loadQueue` to be a number from 0 or more',
    )
  })
})
