// getOrSetMany (issue 16): many keys read through at once, each with getOrSet's protection, the
// missing ones loaded by one loadMany call. Over Redis and across processes: test/get-or-set-many-redis.test.ts.
import { describe, expect, it } from 'vitest'
import { createCache } from './create-cache.js'
import type { CacheEvents } from './events.js'
import type { Guard } from './guard.js'
import { memoryStore } from './memory-store.js'
import type { BatchLoadContext } from './options.js'

/** A table of ids 0..999 as a loadMany, recording the keys of each call. */
function table(delayMs = 0) {
  const calls: string[][] = []
  const contexts: BatchLoadContext[] = []
  const loadMany = async (keys: string[], ctx: BatchLoadContext) => {
    calls.push(keys)
    contexts.push(ctx)
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs))
    return new Map(keys.filter((key) => Number(key.slice(2)) < 1000).map((key) => [key, { key }]))
  }
  return { calls, contexts, loadMany }
}

const ids = (...n: number[]) => n.map((i) => `u:${i}`)

describe('getOrSetMany', () => {
  it('answers in the order of the keys, loading only the missing ones in one call', async () => {
    const cache = createCache({ store: memoryStore() })
    const { calls, loadMany } = table()
    await cache.set('u:2', { key: 'u:2', cached: true })
    const values = await cache.getOrSetMany(ids(3, 2, 1, 5000, 3), loadMany)
    expect(values).toEqual([
      { key: 'u:3' },
      { key: 'u:2', cached: true },
      { key: 'u:1' },
      undefined,
      { key: 'u:3' },
    ])
    expect(calls).toEqual([ids(3, 1, 5000)])
    // The keys left out are remembered as "not found": asked again, nothing is loaded.
    expect(await cache.getOrSetMany(ids(5000, 1), loadMany)).toEqual([undefined, { key: 'u:1' }])
    expect(calls).toHaveLength(1)
    expect(cache.stats()).toMatchObject({ loads: 3, hits: 3, misses: 4, coalesced: 1 })
  })

  it('gives each position its own copy of a duplicate key', async () => {
    const cache = createCache({ store: memoryStore() })
    const [a, b] = await cache.getOrSetMany(ids(1, 1), table().loadMany)
    expect(a).toEqual(b)
    expect(a).not.toBe(b)
  })

  it('merges the calls of one tick that pass the same loadMany into one query', async () => {
    const cache = createCache({ store: memoryStore() })
    const { calls, loadMany } = table(20)
    const pages = [ids(1, 2, 3), ids(3, 4, 5), ids(5, 6, 1)]
    const answers = await Promise.all(pages.map((keys) => cache.getOrSetMany(keys, loadMany)))
    expect(answers).toEqual(pages.map((keys) => keys.map((key) => ({ key }))))
    expect(calls).toEqual([ids(1, 2, 3, 4, 5, 6)])
  })

  it('loads a key once when overlapping batches and getOrSet calls want it at the same time', async () => {
    const cache = createCache({ store: memoryStore() })
    // Two loadMany functions: their calls are not merged, but no key is loaded by both.
    const { calls, loadMany } = table(20)
    const other = (keys: string[], ctx: BatchLoadContext) => loadMany(keys, ctx)
    let single = 0
    const [first, second, alone] = await Promise.all([
      cache.getOrSetMany(ids(1, 2, 3), loadMany),
      cache.getOrSetMany(ids(2, 3, 4), other),
      cache.getOrSet('u:4', () => {
        single++
        return { key: 'u:4', single: true }
      }),
    ])
    expect(first).toEqual([{ key: 'u:1' }, { key: 'u:2' }, { key: 'u:3' }])
    expect(second).toEqual([{ key: 'u:2' }, { key: 'u:3' }, { key: 'u:4' }])
    // getOrSet joined the load of the batch that started first.
    expect(alone).toEqual({ key: 'u:4' })
    expect(single).toBe(0)
    expect(calls).toEqual([ids(1, 2, 3), ids(4)])
  })

  it('splits a call past maxBatch', async () => {
    const cache = createCache({ store: memoryStore() })
    const { calls, loadMany } = table()
    const keys = Array.from({ length: 250 }, (_, i) => `u:${i}`)
    const values = await cache.getOrSetMany(keys, loadMany, { maxBatch: 100 })
    expect(values).toEqual(keys.map((key) => ({ key })))
    expect(calls.map((call) => call.length)).toEqual([100, 100, 50])
  })

  it('counts a loadMany call as one load against loadConcurrency', async () => {
    // One slot and no queue: 100 keys loaded key by key would be refused 99 times.
    const cache = createCache({ store: memoryStore(), loadConcurrency: 1, loadQueue: 0 })
    const { calls, loadMany } = table(30)
    const other = (keys: string[], ctx: BatchLoadContext) => loadMany(keys, ctx)
    const keys = Array.from({ length: 100 }, (_, i) => `u:${i}`)
    const [first, second] = await Promise.allSettled([
      cache.getOrSetMany(keys, loadMany),
      cache.getOrSetMany(ids(500, 501), other),
    ])
    expect(first).toEqual({ status: 'fulfilled', value: keys.map((key) => ({ key })) })
    // The second batch found the slot taken and no room to wait: refused as a whole.
    expect(second.status === 'rejected' && second.reason.code).toBe('CG_OVERLOADED')
    expect(calls).toHaveLength(1)
    expect(cache.stats().overloaded).toBe(2)
  })

  it('serves stale keys at once and refreshes them together in one background call', async () => {
    const cache = createCache({ store: memoryStore(), ttl: 20, grace: '1m', jitter: 0 })
    const { calls, contexts, loadMany } = table()
    await cache.getOrSetMany(ids(1, 2, 3), loadMany)
    await new Promise((resolve) => setTimeout(resolve, 40))
    await cache.set('u:2', { key: 'u:2', fresh: true })
    let release!: () => void
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const slow = async (keys: string[], ctx: BatchLoadContext) => {
      await held
      return loadMany(keys, ctx)
    }
    expect(await cache.getOrSetMany(ids(1, 2, 3), slow)).toEqual([
      { key: 'u:1' },
      { key: 'u:2', fresh: true },
      { key: 'u:3' },
    ])
    expect(cache.stats().staleHits).toBe(2)
    release()
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(calls).toEqual([ids(1, 2, 3), ids(1, 3)])
    expect(contexts[1]!.stale).toEqual(
      new Map([
        ['u:1', { key: 'u:1' }],
        ['u:3', { key: 'u:3' }],
      ]),
    )
  })

  it('rejects with the error of a failing loadMany, and keeps serving stale keys within grace', async () => {
    const cache = createCache({ store: memoryStore(), ttl: 20, grace: '1m', jitter: 0 })
    await cache.getOrSetMany(ids(1, 2), table().loadMany)
    await new Promise((resolve) => setTimeout(resolve, 40))
    const errors: CacheEvents['error'][] = []
    cache.on('error', (event) => errors.push(event))
    const failing = async () => {
      throw new Error('database down')
    }
    // Only stale keys: served, the failed refresh reported.
    expect(await cache.getOrSetMany(ids(1, 2), failing)).toEqual([{ key: 'u:1' }, { key: 'u:2' }])
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(errors.map((e) => [e.operation, e.key, e.error.code])).toEqual([
      ['refresh', 'u:1', 'CG_LOADER'],
      ['refresh', 'u:2', 'CG_LOADER'],
    ])
    // A missing key too: the call rejects as getOrSet would for it; the stale keys stay.
    await expect(cache.getOrSetMany(ids(1, 3), failing)).rejects.toThrow('database down')
    expect(await cache.getOrSetMany(ids(1, 2), failing)).toEqual([{ key: 'u:1' }, { key: 'u:2' }])
  })

  it('drops keys a guard refuses before loadMany is called', async () => {
    const odd: Guard = { name: 'odd-only', admit: (key) => Number(key.slice(2)) % 2 === 1 }
    const cache = createCache({ store: memoryStore(), guards: [odd] })
    const { calls, loadMany } = table()
    expect(await cache.getOrSetMany(ids(1, 2, 3), loadMany)).toEqual([
      { key: 'u:1' },
      undefined,
      { key: 'u:3' },
    ])
    expect(calls).toEqual([ids(1, 3)])
    expect(cache.stats().blocked).toBe(1)
  })

  it('aborts the call signal once every key of it has passed its hard timeout', async () => {
    const cache = createCache({ store: memoryStore(), timeout: { hard: 20 } })
    let signal: AbortSignal | undefined
    const never = (_keys: string[], ctx: BatchLoadContext) => {
      signal = ctx.signal
      return new Promise<Map<string, unknown>>(() => {})
    }
    await expect(cache.getOrSetMany(ids(1, 2), never)).rejects.toMatchObject({
      code: 'CG_LOAD_TIMEOUT',
    })
    // The call rejected at the first key's timeout; the second key's comes right after.
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(signal?.aborted).toBe(true)
  })

  it('keeps the call signal alive while one of its keys still waits for it', async () => {
    const cache = createCache({ store: memoryStore() })
    let signal: AbortSignal | undefined
    const never = (_keys: string[], ctx: BatchLoadContext) => {
      signal = ctx.signal
      return new Promise<Map<string, unknown>>(() => {})
    }
    // Two calls of one tick with the same loadMany: one query for both, their keys with
    // different hard timeouts.
    const short = cache.getOrSetMany(ids(1), never, { timeout: { hard: 20 } })
    const long = cache.getOrSetMany(ids(2), never, { timeout: { hard: 300 } })
    await expect(short).rejects.toMatchObject({ code: 'CG_LOAD_TIMEOUT' })
    expect(signal?.aborted).toBe(false)
    await expect(long).rejects.toMatchObject({ code: 'CG_LOAD_TIMEOUT' })
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(signal?.aborted).toBe(true)
  })

  describe('bad input', () => {
    it('rejects the whole call for an invalid key, naming its position, before anything is read', async () => {
      const cache = createCache({ store: memoryStore() })
      const { calls, loadMany } = table()
      await expect(cache.getOrSetMany(['u:1', 'u:2', ''], loadMany)).rejects.toMatchObject({
        code: 'CG_INVALID_KEY',
        message: expect.stringContaining('keys[2]'),
      })
      await expect(cache.getOrSetMany('u:1' as never, loadMany)).rejects.toMatchObject({
        code: 'CG_INVALID_KEY',
      })
      expect(calls).toEqual([])
      expect(cache.stats()).toMatchObject({ hits: 0, misses: 0 })
    })

    it('rejects a loadMany that is not a function, and a bad maxBatch, with a TypeError', async () => {
      const cache = createCache({ store: memoryStore() })
      await expect(cache.getOrSetMany(ids(1), 'load' as never)).rejects.toThrow(
        'Expected `loadMany` to be a function, got `"load"` (string)',
      )
      await expect(
        cache.getOrSetMany(ids(1), table().loadMany, { maxBatch: 0 }),
      ).rejects.toBeInstanceOf(TypeError)
    })

    it.each([
      ['an array', [{ key: 'u:1' }]],
      ['null', null],
      ['a string', 'u:1'],
    ])(
      'rejects every key with CG_BATCH_RESULT when loadMany resolves %s, caching nothing',
      async (_, result) => {
        const cache = createCache({ store: memoryStore() })
        await expect(
          cache.getOrSetMany(ids(1, 2), async () => result as never),
        ).rejects.toMatchObject({ code: 'CG_BATCH_RESULT' })
        expect(await cache.getMany(ids(1, 2))).toEqual([undefined, undefined])
      },
    )

    it('ignores keys loadMany was not asked for, and reports them in the loadMany event', async () => {
      const cache = createCache({ store: memoryStore() })
      const events: CacheEvents['loadMany'][] = []
      cache.on('loadMany', (event) => events.push(event))
      const values = await cache.getOrSetMany(ids(1, 2), async () => ({
        'u:1': 'one',
        'u:9': 'nine',
        2: 'a number key',
      }))
      expect(values).toEqual(['one', undefined])
      expect(await cache.get('u:9')).toBeUndefined()
      expect(events).toEqual([
        { keys: ids(1, 2), found: 1, ignored: ['2', 'u:9'], durationMs: expect.any(Number) },
      ])
    })

    it('rejects with CG_CLOSED once the cache is closed', async () => {
      const cache = createCache({ store: memoryStore() })
      await cache.close()
      await expect(cache.getOrSetMany(ids(1), table().loadMany)).rejects.toMatchObject({
        code: 'CG_CLOSED',
      })
    })
  })
})
