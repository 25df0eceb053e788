import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { createCache, memoryStore, redisStore } from '../../../test/helpers/packages.js'
import { connectRedis, uniquePrefix } from '../../../test/helpers/redis.js'
import { startRedisServer } from '../../../test/helpers/redis-server.js'
import { warmup } from './warmup.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const ids = (n: number) => Array.from({ length: n }, (_, i) => `user:${i}`)

/** A source of truth that records every load, and how many run at once. */
function countingBackend(latencyMs: number, failing: Set<string> = new Set()) {
  const backend = {
    loads: new Map<string, number>(),
    starts: [] as number[],
    running: 0,
    peak: 0,
    async load(key: string) {
      backend.loads.set(key, (backend.loads.get(key) ?? 0) + 1)
      backend.starts.push(performance.now())
      backend.running++
      backend.peak = Math.max(backend.peak, backend.running)
      await sleep(latencyMs)
      backend.running--
      if (failing.has(key)) throw new Error(`cannot load ${key}`)
      return { key }
    },
  }
  return backend
}

describe('warmup | one run', () => {
  it('loads each key exactly once, never more than `concurrency` at a time', async () => {
    const cache = createCache()
    const backend = countingBackend(2)
    const progress: number[] = []
    const report = await warmup(cache, {
      keys: ids(500),
      load: (key) => backend.load(key),
      concurrency: 8,
      onProgress: ({ done }) => progress.push(done),
    })
    expect(report).toMatchObject({
      total: 500,
      done: 500,
      loaded: 500,
      skipped: 0,
      failed: 0,
      aborted: false,
    })
    expect([...backend.loads.values()].every((n) => n === 1)).toBe(true)
    expect(backend.loads.size).toBe(500)
    expect(backend.peak).toBe(8)
    expect(progress).toHaveLength(500)
    expect(await cache.get('user:499')).toEqual({ key: 'user:499' })
  })

  it('skips keys that are still fresh unless forced, and refreshes those about to expire', async () => {
    const cache = createCache({ ttl: '1m', jitter: 0 })
    await cache.set('user:0', { key: 'old' })
    await cache.set('user:1', { key: 'old' }, { ttl: '5s' })
    const backend = countingBackend(0)
    const first = await warmup(cache, { keys: ids(3), load: (key) => backend.load(key) })
    expect(first).toMatchObject({ loaded: 1, skipped: 2 })
    const ahead = await warmup(cache, {
      keys: ids(3),
      load: (key) => backend.load(key),
      freshFor: 10_000,
    })
    // user:1 expires within 10 s: it is reloaded now, not answered from the cache.
    expect(ahead).toMatchObject({ loaded: 1, skipped: 2 })
    expect(await cache.get('user:1')).toEqual({ key: 'user:1' })
    expect(backend.loads.get('user:1')).toBe(1)
    const forced = await warmup(cache, {
      keys: ids(3),
      load: (key) => backend.load(key),
      force: true,
    })
    expect(forced).toMatchObject({ loaded: 3, skipped: 0 })
    expect(await cache.get('user:0')).toEqual({ key: 'user:0' })
  })

  it('retries a failing key with backoff, reports it, and finishes the run', async () => {
    const backend = countingBackend(0, new Set(['user:3']))
    const report = await warmup(createCache(), {
      keys: ids(10),
      load: (key) => backend.load(key),
      retries: 2,
      retryDelay: 5,
    })
    expect(report).toMatchObject({ total: 10, loaded: 9, failed: 1 })
    expect(report.errors).toHaveLength(1)
    expect(report.errors[0]!.key).toBe('user:3')
    expect(String(report.errors[0]!.error)).toContain('cannot load user:3')
    expect(backend.loads.get('user:3')).toBe(3)
  })

  it('keeps at most maxErrors errors, and counts them all', async () => {
    const backend = countingBackend(0, new Set(ids(50)))
    const report = await warmup(createCache(), {
      keys: ids(50),
      load: (k) => backend.load(k),
      retries: 0,
      maxErrors: 5,
    })
    expect(report.failed).toBe(50)
    expect(report.errors).toHaveLength(5)
  })

  it('holds the rate limit', async () => {
    const backend = countingBackend(0)
    await warmup(createCache(), {
      keys: ids(21),
      load: (key) => backend.load(key),
      concurrency: 8,
      ratePerSecond: 200,
    })
    // 200 per second: start k comes at least (k / 200) s after the first (1 ms timer slack).
    const first = backend.starts[0]!
    for (const [k, at] of backend.starts.entries())
      expect(at - first).toBeGreaterThanOrEqual(k * 5 - 1)
  })

  it('stops starting new keys when aborted, and lets the running ones finish', async () => {
    const backend = countingBackend(10)
    const controller = new AbortController()
    const run = warmup(createCache(), {
      keys: ids(1000),
      load: (key) => backend.load(key),
      concurrency: 4,
      signal: controller.signal,
    })
    await sleep(35)
    controller.abort()
    const report = await run
    const startedAtAbort = backend.loads.size
    await sleep(30)
    expect(report.aborted).toBe(true)
    expect(backend.loads.size).toBe(startedAtAbort)
    expect(report.loaded).toBeLessThan(100)
    expect(backend.running).toBe(0)
  })

  it('walks an async iterable lazily, and a function returning one', async () => {
    let pulled = 0
    async function* cursor() {
      for (const key of ids(200)) {
        pulled++
        yield key
      }
    }
    const backend = countingBackend(1)
    const report = await warmup(createCache(), {
      keys: () => cursor(),
      load: (key) => backend.load(key),
      concurrency: 4,
    })
    expect(report.loaded).toBe(200)
    expect(pulled).toBe(200)
  })

  it('rejects bad options with a TypeError naming them', async () => {
    const cache = createCache()
    const load = () => 1
    await expect(warmup(cache, { keys: ids(1), load, concurrency: 0 })).rejects.toThrow(
      'Expected `concurrency` to be a positive integer, got `0` (number)',
    )
    await expect(warmup(cache, { keys: 'user:1' as never, load })).rejects.toThrow(
      'Expected `keys` to be an array',
    )
    await expect(warmup(cache, { keys: ids(1), load, ratePerSecond: -1 })).rejects.toThrow(
      'Expected `ratePerSecond` to be a positive number',
    )
    await expect(warmup({} as never, { keys: ids(1), load })).rejects.toThrow(
      'Expected `cache` to be a cache',
    )
    await expect(warmup(cache, { keys: ids(1), load, freshFor: 'soon' as never })).rejects.toThrow(
      "Expected `freshFor` to be a duration of 0 or more (ms, or a string such as '1m'), got `soon`",
    )
    await expect(warmup(cache, { keys: ids(1), load, retries: 1.5 })).rejects.toThrow(
      'Expected `retries` to be an integer of 0 or more',
    )
  })

  it('takes durations as strings: freshFor and retryDelay', async () => {
    const cache = createCache({ ttl: '30s', jitter: 0 })
    await cache.set('user:0', 'old')
    const backend = countingBackend(0)
    const report = await warmup(cache, {
      keys: ids(1),
      load: (key) => backend.load(key),
      freshFor: '1m',
      retryDelay: '10ms',
    })
    expect(report).toMatchObject({ loaded: 1, skipped: 0 })
    expect(await cache.get('user:0')).toEqual({ key: 'user:0' })
  })
})

describe('warmup | what counts as warmed', () => {
  it('loads a key that is only stale (within grace), and counts its failure as failed', async () => {
    const cache = createCache({ ttl: 30, grace: '1m', jitter: 0 })
    for (const key of ids(20)) await cache.set(key, 'old')
    await sleep(50)
    const backend = countingBackend(0, new Set(ids(20)))
    const report = await warmup(cache, {
      keys: ids(20),
      load: (key) => backend.load(key),
      retries: 0,
    })
    // Before: getOrSet answered the stale value, counted the key loaded, and refreshed it later.
    expect(report).toMatchObject({ loaded: 0, failed: 20 })
    expect(backend.loads.size).toBe(20)
  })

  it('counts a key whose write the store refuses as failed, after its retries', async () => {
    // No replica can ever acknowledge: this server refuses every write and answers every read.
    const server = await startRedisServer(['--min-replicas-to-write', '1'])
    const client = new Redis(server.url, { maxRetriesPerRequest: 1 })
    try {
      const cache = createCache({ store: redisStore(client), breaker: false })
      const report = await warmup(cache, { keys: ids(3), load: (key) => ({ key }), retryDelay: 1 })
      expect(report).toMatchObject({ loaded: 0, failed: 3 })
      expect(String((report.errors[0]!.error as Error).message)).toContain('NOREPLICAS')
    } finally {
      client.disconnect()
      await server.stop()
    }
  })

  it('reloads keys the store lost even when this process still holds them in memory', async () => {
    const redis = connectRedis()
    const prefix = uniquePrefix('warmup-flush')
    const store = redisStore(redis, { prefix: `${prefix}flush:` })
    const cache = createCache({ store, l1: memoryStore(), ttl: '1h' })
    await warmup(cache, { keys: ids(3), load: (key) => ({ key }) })
    await redis.del(ids(3).map((key) => `${prefix}flush:${key}`))
    const report = await warmup(cache, { keys: ids(3), load: (key) => ({ key }) })
    expect(report).toMatchObject({ loaded: 3, skipped: 0 })
    expect(await redis.exists(ids(3).map((key) => `${prefix}flush:${key}`))).toBe(3)
    await redis.del(ids(3).map((key) => `${prefix}flush:${key}`))
  })
})

describe('warmup | hot keys', () => {
  it('refreshes the most requested keys before they expire, and only those', async () => {
    const cache = createCache({ hotKeys: 100, ttl: '5s', jitter: 0 })
    for (const key of ids(5)) await cache.set(key, { key: 'old' })
    for (let i = 0; i < 10; i++) await Promise.all([cache.get('user:3'), cache.get('user:1')])
    await cache.get('user:4')
    const backend = countingBackend(0)
    const report = await warmup(cache, {
      keys: () => cache.hotKeys(2),
      load: (key) => backend.load(key),
      freshFor: 10_000,
    })
    expect(report).toMatchObject({ total: 2, loaded: 2 })
    expect([...backend.loads.keys()].sort()).toEqual(['user:1', 'user:3'])
    expect(await cache.get('user:3')).toEqual({ key: 'user:3' })
    expect(await cache.get('user:4')).toEqual({ key: 'old' })
  })
})

describe('warmup | avalanche', () => {
  const redis = connectRedis()
  const prefix = uniquePrefix('warmup')
  afterAll(async () => {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      if (keys.length > 0) await redis.unlink(keys)
      cursor = next
    } while (cursor !== '0')
  })

  it('spreads the expiry of 10,000 warmed keys: no second holds more than 1.2 x its share', async () => {
    // 10,000 writes on a busy machine: none may time out (the default is 500 ms) and fail a key.
    const cache = createCache({
      store: redisStore(redis, { prefix }),
      ttl: '60s',
      jitter: 0.1,
      storeTimeout: '5s',
    })
    const started = Date.now()
    const report = await warmup(cache, {
      keys: ids(10_000),
      load: (key) => ({ key }),
      concurrency: 64,
    })
    expect(report.loaded).toBe(10_000)
    const buckets = new Map<number, number>()
    for (let i = 0; i < 10_000; i += 500) {
      const pipeline = redis.pipeline()
      for (const key of ids(10_000).slice(i, i + 500)) pipeline.pttl(`${prefix}${key}`)
      for (const [, ttl] of (await pipeline.exec())!) {
        const second = Math.floor((ttl as number) / 1000)
        buckets.set(second, (buckets.get(second) ?? 0) + 1)
      }
    }
    // 54 to 66 s: twelve one-second buckets, about 833 keys each. A TTL read back has lost the
    // time since its write, at most the time since the warmup started, however slow the machine.
    const elapsed = Date.now() - started
    expect(Math.min(...buckets.keys())).toBeGreaterThanOrEqual(
      Math.floor((54_000 - elapsed) / 1000),
    )
    expect(Math.max(...buckets.keys())).toBeLessThanOrEqual(65)
    expect(Math.max(...buckets.values())).toBeLessThanOrEqual(1.2 * (10_000 / 12))
  })
})
